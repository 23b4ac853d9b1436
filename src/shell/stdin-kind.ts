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
