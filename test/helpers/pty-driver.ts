import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pty from 'node-pty';
import xterm from '@xterm/headless';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DUST_BIN = path.join(REPO_ROOT, 'dist/shell/main.js');

/** Strips ANSI escape sequences so tests read the text a person sees. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, '');
}

/**
 * Drives the built `dust` binary through a real pseudo-terminal, as a person at a keyboard would.
 * `waitFor` polls the accumulated output (never a fixed sleep), so tests assert on behaviour, not time.
 */
export class PtySession {
  private buffer = '';
  private exitCode: number | undefined;
  private readonly proc: pty.IPty;
  /** A terminal emulator fed the same bytes: what a person would see on the screen. */
  private readonly term: InstanceType<typeof xterm.Terminal>;
  private pendingWrites = 0;

  constructor(args: string[], env: Record<string, string>, opts: { cols?: number; rows?: number; cwd?: string } = {}) {
    const cols = opts.cols ?? 120, rows = opts.rows ?? 40;
    this.term = new xterm.Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true });
    this.proc = pty.spawn(process.execPath, [DUST_BIN, ...args], {
      // node-pty sets TERM from `name`: a test's own TERM (dumb) must win.
      name: env['TERM'] ?? 'xterm-256color',
      cols,
      rows,
      cwd: opts.cwd ?? REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', TERM: 'xterm-256color', ...env },
    });
    this.proc.onData((d) => {
      this.buffer += d;
      this.pendingWrites++;
      this.term.write(d, () => { this.pendingWrites--; });
    });
    this.proc.onExit(({ exitCode }) => {
      this.exitCode = exitCode;
    });
  }

  get text(): string {
    return stripAnsi(this.buffer);
  }

  /** Everything received, escape sequences included. */
  get raw(): string {
    return this.buffer;
  }

  /** Output received since `mark()`. */
  since(mark: number): string {
    return stripAnsi(this.buffer.slice(mark));
  }

  mark(): number {
    return this.buffer.length;
  }

  write(data: string): void {
    this.proc.write(data);
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
    this.term.resize(cols, rows);
  }

  /**
   * The screen as a person sees it: every row of the active buffer (scrollback included for the normal buffer),
   * trailing blanks trimmed. Waits until the emulator has taken in everything received so far.
   */
  async screen(): Promise<{ lines: string[]; alternate: boolean; cursorRow: number }> {
    while (this.pendingWrites > 0) await new Promise((r) => setTimeout(r, 5));
    const b = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    return { lines, alternate: b.type === 'alternate', cursorRow: b.baseY + b.cursorY };
  }

  async waitFor(pattern: RegExp | string, opts: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    const deadline = Date.now() + (opts.timeoutMs ?? 15000);
    const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
    for (;;) {
      const seen = this.since(opts.from ?? 0);
      if (test(seen)) return seen;
      if (this.exitCode !== undefined) throw new Error(`dust exited (${this.exitCode}) before ${String(pattern)} appeared; output:\n${seen}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; output:\n${seen}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitForExit(timeoutMs = 15000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.exitCode === undefined) {
      if (Date.now() > deadline) throw new Error(`dust did not exit; output:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.exitCode;
  }

  kill(): void {
    if (this.exitCode === undefined) this.proc.kill();
  }
}
