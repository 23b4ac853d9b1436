import repl, { type REPLServer } from 'node:repl';
import type { CompleterResult } from 'node:readline';

/**
 * node:repl gives us line editing, persisted history, Ctrl-R reverse search and Tab completion for free,
 * but it is a JavaScript REPL. Every workaround that turns it into a command shell lives in this file
 * (mongosh's rule: quarantine the patches):
 *  1. Its 'line' handler evaluates JavaScript and treats any line starting with '.' as a REPL keyword
 *     (`./deploy.sh` would print "Invalid REPL keyword"), so we replace the 'line' listeners with ours.
 *  2. Its SIGINT handler exits on a second Ctrl-C; dust must never exit on Ctrl-C.
 *  3. The dot-commands (.editor, .load, .save...) are removed.
 *  4. Its keypress listeners are detached while something else owns the terminal (raw remote shells,
 *     our own no-echo prompts), so keys are not also typed into the hidden prompt line; keys of a chunk
 *     that was being read when that happened are kept as type-ahead (see detachKeyboard).
 */
export interface ReplAdapterOptions {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  prompt: string;
  completer: (line: string, cb: (err: Error | null, result: CompleterResult) => void) => void;
  onLine: (line: string) => void;
  onInterrupt: () => void;
  onClose: () => void;
  historySize: number;
  /** Decides what reaches the history: return undefined to drop the line, or a redacted text. */
  filterHistory: (line: string) => string | undefined;
  /** Where history persists (node:repl's own `setupHistory` would overwrite other shells' lines). */
  history: { load(): Promise<string[]>; add(entry: string): void };
}

export class ReplAdapter {
  readonly server: REPLServer;
  private detachedKeypress: ((...args: unknown[]) => void)[] | undefined;
  private prompting = false;
  private prompt: string;

  constructor(private readonly opts: ReplAdapterOptions) {
    this.prompt = opts.prompt;
    this.server = repl.start({
      // repl.start draws its prompt at once; ours appears only when the shell is ready (history loaded),
      // so a prompt on screen always means typed lines are accepted.
      prompt: '',
      input: opts.input,
      output: opts.output,
      terminal: true,
      completer: opts.completer,
      ignoreUndefined: true,
      preview: false,
      useColors: false,
      historySize: opts.historySize,
    } as repl.ReplOptions);
    for (const key of Object.keys(this.server.commands)) delete (this.server.commands as Record<string, unknown>)[key];
    this.server.removeAllListeners('line');
    this.server.removeAllListeners('SIGINT');
    this.server.on('line', (line: string) => {
      this.prompting = false;
      opts.onLine(line);
    });
    this.server.on('SIGINT', () => opts.onInterrupt());
    this.server.on('exit', () => opts.onClose());
    // readline records the line in its history array before emitting 'line'; filter it there so a
    // secret is neither recalled with the arrow keys nor written to the history file.
    this.server.on('history', (history: string[]) => {
      const first = history[0];
      if (first === undefined) return;
      const kept = opts.filterHistory(first);
      if (kept === undefined) history.shift();
      else {
        history[0] = kept;
        opts.history.add(kept);
      }
    });
  }

  /** Fills the line editor's history (Up, Ctrl-R) from the persisted one. */
  async loadHistory(): Promise<void> {
    const entries = await this.opts.history.load();
    (this.server as unknown as { history: string[] }).history = entries.slice(0, this.opts.historySize);
  }

  setPrompt(prompt: string): void {
    this.prompt = prompt;
    if (this.prompting) this.server.setPrompt(prompt);
  }

  /** Shows a fresh prompt. */
  showPrompt(): void {
    this.prompting = true;
    this.server.setPrompt(this.prompt);
    this.server.displayPrompt(false);
  }

  /** Clears the half-typed line (Ctrl-C at the prompt). */
  clearLine(): void {
    this.server.clearBufferedCommand();
    const rl = this.server as unknown as { line: string; cursor: number };
    rl.line = '';
    rl.cursor = 0;
    this.opts.output.write('^C\n');
    this.showPrompt();
  }

  /** True while the prompt is on screen waiting for input. */
  isShowing(): boolean {
    return this.prompting && this.detachedKeypress === undefined;
  }

  /**
   * Erases prompt + typed text on every row they occupy. readline remembers the cursor's row within the wrapped
   * line (`prevRows`) and climbs that many rows before it redraws; the rows are gone now, so it must not.
   */
  erase(): void {
    // getCursorPos() is the cursor's row within prompt + line now; prevRows is only updated by a full refresh, not
    // while characters are typed.
    const rl = this.server as unknown as { prevRows?: number; getCursorPos?: () => { rows: number } };
    const up = rl.getCursorPos?.().rows ?? rl.prevRows ?? 0;
    this.opts.output.write(`${up > 0 ? `\x1b[${up}A` : ''}\r\x1b[J`);
    rl.prevRows = 0;
  }

  /** Redraws prompt + typed text, keeping the cursor (after asynchronous output). */
  redraw(): void {
    this.server.prompt(true);
  }

  /**
   * Takes the keyboard away from the line editor (for raw shells, local programs, our own prompts).
   *
   * Detaching usually happens inside readline's keypress loop: the Enter of a pasted `a\rb\rc\r` starts
   * command `a`, and the rest of that same chunk (`b\rc\r`) is still being turned into keypresses. Those
   * keys are handed to `onStrayKeys` (type-ahead) instead of vanishing; from the next tick on, the keys that
   * arrive belong to whoever took the keyboard and are not captured.
   */
  detachKeyboard(onStrayKeys?: (sequence: string) => void): void {
    if (this.detachedKeypress) return;
    this.detachedKeypress = this.opts.input.listeners('keypress') as ((...args: unknown[]) => void)[];
    this.opts.input.removeAllListeners('keypress');
    this.server.pause();
    if (onStrayKeys) {
      const capture = (s: string | undefined, key: { sequence?: string } | undefined): void => {
        const seq = key?.sequence ?? s;
        if (seq) onStrayKeys(seq);
      };
      this.opts.input.on('keypress', capture);
      queueMicrotask(() => this.opts.input.off('keypress', capture));
    }
  }

  attachKeyboard(): void {
    if (!this.detachedKeypress) return;
    for (const l of this.detachedKeypress) this.opts.input.on('keypress', l);
    this.detachedKeypress = undefined;
    if (this.opts.input.isTTY) this.opts.input.setRawMode(true);
    this.server.resume();
  }

  close(): void {
    this.server.close();
  }
}
