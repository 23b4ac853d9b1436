import readline from 'node:readline';
import type { DustApp } from './app.js';

export interface ScriptOptions {
  /**
   * `any` (default): exit 0 when every line succeeded, else 1. `max`: the largest exit status any node returned in
   * any line (`clush -S`; unreachable and timed-out nodes count as 255), at least 1 when a line failed otherwise.
   */
  exitStatus?: 'any' | 'max';
  /** End the script at the first line that fails (`dust -e`), with that line's status. */
  stopOnError?: boolean;
}

/**
 * Non-interactive use: `dust -c LINE` (repeatable) and lines on a non-TTY stdin. Lines run in order in
 * one process (so `use` and SSH state carry over); the exit status is 0 only if every line succeeded (a failed
 * line whose command returned a number of its own, such as `cluster submit`'s job exit code, gives that number).
 * A line during which an inventory source failed did not succeed (`DustApp.runScriptLine`).
 */
export async function runScript(app: DustApp, lines: readonly string[], stdin: NodeJS.ReadableStream | undefined, opts: ScriptOptions = {}): Promise<number> {
  let status = 0;
  let stop = false;
  const runOne = async (line: string): Promise<boolean> => {
    if (line.trim() === '' || line.trim().startsWith('#')) return true;
    const failed = !(await app.runScriptLine(app.runner, line));
    // A command that returned its own status (`cluster submit`: the job's exit code) exits with it.
    const own = app.runner.lastCommandStatus;
    const lineStatus = opts.exitStatus === 'max'
      ? Math.max(failed ? 1 : 0, own ?? 0, app.state.lastResults.commandMaxRc ?? 0)
      : own ?? (failed ? 1 : 0);
    if (opts.stopOnError && failed) {
      status = lineStatus;
      stop = true;
      return false;
    }
    status = Math.max(status, lineStatus);
    return !app.wantsExit;
  };
  for (const line of lines) if (!(await runOne(line))) break;
  if (stdin && !app.wantsExit && !stop) {
    const rl = readline.createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
    for await (const line of rl) if (!(await runOne(line))) break;
  }
  await app.shutdown();
  return status;
}
