import readline from 'node:readline';
import type { DustApp } from './app.js';

/**
 * Non-interactive use: `dust -c LINE` (repeatable) and lines on a non-TTY stdin. Lines run in order in
 * one process (so `use` and SSH state carry over); the exit status is 0 only if every line succeeded.
 * A line during which an inventory source failed did not succeed: what it showed or ran on was missing
 * that source's nodes, and a script must not take that for the whole fleet.
 */
export async function runScript(app: DustApp, lines: readonly string[], stdin: NodeJS.ReadableStream | undefined): Promise<number> {
  let failed = 0;
  const runOne = async (line: string): Promise<boolean> => {
    if (line.trim() === '' || line.trim().startsWith('#')) return true;
    const failuresBefore = app.inventoryFailures;
    const ok = await app.runner.runLine(line);
    if (!ok || app.inventoryFailures > failuresBefore) failed++;
    return !app.wantsExit;
  };
  for (const line of lines) if (!(await runOne(line))) break;
  if (stdin && !app.wantsExit) {
    const rl = readline.createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
    for await (const line of rl) if (!(await runOne(line))) break;
  }
  await app.shutdown();
  return failed === 0 ? 0 : 1;
}
