import { spawn, spawnSync } from 'node:child_process';
import { DUST_BIN } from './pty-driver.js';

/**
 * Runs the built `dust` once, not on a terminal (scripts, `-c` lines), with its own DUST_HOME and HOME so
 * nothing of the developer's machine leaks in. `cwd` defaults to that home.
 */
export function runDust(args: readonly string[], opts: { home: string; cwd?: string; input?: string; env?: Record<string, string> }): {
  code: number | null; stdout: string; stderr: string;
} {
  const r = spawnSync(process.execPath, [DUST_BIN, ...args], {
    cwd: opts.cwd ?? opts.home,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 90000,
    env: { PATH: process.env['PATH'], HOME: opts.home, DUST_HOME: opts.home, NO_COLOR: '1', ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `runDust` without blocking this process: for tests whose servers (an emulator) run in the test process itself
 * and must keep answering while dust runs.
 */
export function runDustAsync(args: readonly string[], opts: { home: string; cwd?: string; input?: string; env?: Record<string, string> }): Promise<{
  code: number | null; stdout: string; stderr: string;
}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DUST_BIN, ...args], {
      cwd: opts.cwd ?? opts.home,
      env: { PATH: process.env['PATH'], HOME: opts.home, DUST_HOME: opts.home, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** `-c` for each line, in order. */
export const lines = (...ls: string[]): string[] => ls.flatMap((l) => ['-c', l]);
