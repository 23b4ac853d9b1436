import fs from 'node:fs';

/**
 * Whether stdin is a pipe, a socket or a non-empty file that may hold input for the nodes (pssh -I), rather than
 * a terminal or /dev/null. One fstat: the tiny entry and `dust run` ask it before loading anything.
 */
export function stdinMayHoldInput(): boolean {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket() || (st.isFile() && st.size > 0);
  } catch {
    return false;
  }
}

/**
 * Piped input for the nodes, read now: the server protocol does not carry it, so a script with input runs in an
 * engine of its own. `empty`: nothing came (the script may still go to a server); `input` holds it either way.
 */
export async function preloadStdin(): Promise<{ input: import('./local-stdin.js').LocalStdin; empty: boolean }> {
  const { LocalStdin } = await import('./local-stdin.js');
  const input = new LocalStdin(process.stdin);
  return { input, empty: (await input.load()) === undefined };
}
