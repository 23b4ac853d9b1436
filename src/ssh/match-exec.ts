/**
 * `Match exec "command"` in ssh config: the block applies when the command, run through /bin/sh -c with its
 * tokens expanded, exits 0 (as OpenSSH does). Each distinct expanded command runs once per dust process:
 * `Match exec "probe %h"` runs once per host, a host-independent probe once in all, instead of once per
 * connection of a 200-node command. Commands run in the background with a limit on how many at once, so a
 * slow probe never blocks the shell, and with a time limit, so a hung one cannot hold every connection.
 */
import { spawn } from 'node:child_process';
import { ConcurrencyLimit } from '../sessions/concurrency-limit.js';

export interface MatchExecOptions {
  /** Default /bin/sh. */
  shell?: string;
  /** A command still running after this counts as "no match" (and is killed). Default 10 s. */
  timeoutMs?: number;
  /** Commands running at once. Default 8. */
  concurrency?: number;
  /** Told once per command that could not run or timed out. */
  warn?: (message: string) => void;
}

export class MatchExecRunner {
  private readonly results = new Map<string, boolean>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly shell: string;
  private readonly timeoutMs: number;
  private readonly limit: ConcurrencyLimit;
  /** Replaceable after construction: the config file is parsed before the shell wires its output. */
  warn: (message: string) => void;

  constructor(opts: MatchExecOptions = {}) {
    this.shell = opts.shell ?? '/bin/sh';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.limit = new ConcurrencyLimit(opts.concurrency ?? 8);
    this.warn = opts.warn ?? (() => undefined);
  }

  /** The cached outcome of an expanded command, or undefined when it has not run yet. */
  known(command: string): boolean | undefined {
    return this.results.get(command);
  }

  /** Number of commands actually started (tests: proves the cache). */
  get started(): number {
    return this.results.size + this.running.size;
  }

  /** Runs every command whose outcome is not known yet; resolves when all are known. */
  async run(commands: readonly string[]): Promise<void> {
    await Promise.all([...new Set(commands)].map((c) => this.runOne(c)));
  }

  private runOne(command: string): Promise<void> {
    if (this.results.has(command)) return Promise.resolve();
    let p = this.running.get(command);
    if (!p) {
      p = this.limit.run(() => this.spawnOnce(command)).then((ok) => {
        this.results.set(command, ok);
        this.running.delete(command);
      });
      this.running.set(command, p);
    }
    return p;
  }

  private spawnOnce(command: string): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (ok: boolean, problem?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (problem !== undefined) this.warn(`Match exec "${command}" ${problem}; the block does not apply`);
        resolve(ok);
      };
      // Own process group, so a timeout also ends whatever the command started; no terminal: it must not
      // draw over dust's prompt or read the user's keystrokes.
      const child = spawn(this.shell, ['-c', command], { stdio: 'ignore', detached: true });
      const timer = setTimeout(() => {
        killGroup(child.pid);
        finish(false, `did not finish within ${this.timeoutMs >= 1000 ? `${Math.round(this.timeoutMs / 1000)} s` : `${this.timeoutMs} ms`}`);
      }, this.timeoutMs);
      timer.unref();
      child.once('error', (err) => finish(false, `could not run: ${err.message}`));
      child.once('exit', (code) => finish(code === 0));
    });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
