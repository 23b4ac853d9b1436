import { Table } from './lazy-table.js';
import type { ChalkInstance } from 'chalk';
import type { Output, Progress } from '../plugins/api.js';
import { formatError } from '../errors/dust-error.js';
import { stripVTControlCharacters } from 'node:util';
import { canRedrawLine, colorWanted, makeChalk } from './style.js';

/**
 * What the line editor lends the output layer so asynchronous text can be printed above the prompt
 * without corrupting the line being typed: hide the prompt line, print, then redraw prompt + typed text.
 */
export interface PromptLine {
  /** True while the prompt (and possibly a half-typed line) is on screen. */
  isShowing(): boolean;
  /**
   * Erases the prompt and the typed text, every row of them when the line wraps, leaving the cursor at the start
   * of the row the prompt began on (and the line editor knowing it must draw afresh).
   */
  erase(): void;
  /** Redraws the prompt and the typed text with the cursor where it was. */
  redraw(): void;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * The one writer of the terminal. Every command, plugin and background session prints through it, so
 * the prompt line, a progress line and printed text never overwrite each other.
 */
export class TerminalOutput implements Output {
  readonly isTTY: boolean;
  readonly colorEnabled: boolean;
  readonly json: boolean;
  readonly chalk: ChalkInstance;
  private promptLine: PromptLine | undefined;
  private progressText: string | undefined;
  private readonly debugEnabled: boolean;
  /** A terminal that can erase a line (not TERM=dumb): progress lines and prompt redraws need it. */
  private readonly redraws: boolean;

  constructor(
    private readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly stderr: NodeJS.WritableStream = stdout,
    opts: { color?: boolean; debug?: boolean; json?: boolean; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.json = opts.json ?? false;
    this.isTTY = stdout.isTTY === true;
    this.redraws = canRedrawLine(stdout, opts.env);
    // JSON mode: the human text goes to stderr, so colour follows stderr's terminal.
    this.colorEnabled = opts.color ?? colorWanted(this.json ? (stderr as typeof stdout) : stdout);
    this.chalk = makeChalk(this.colorEnabled);
    this.debugEnabled = opts.debug ?? false;
  }

  attachPrompt(line: PromptLine | undefined): void {
    this.promptLine = line;
  }

  get columns(): number {
    return this.stdout.columns ?? 100;
  }

  print(text: string): void {
    this.write(this.json ? this.stderr : this.stdout, text);
  }

  printErr(text: string): void {
    this.write(this.stderr, text);
  }

  info(text: string): void {
    this.write(this.json ? this.stderr : this.stdout, text);
  }

  /** Terminal escape sequences (a remote program's colours) are taken out of every string: JSON is data. */
  record(obj: Record<string, unknown>): void {
    if (this.json) this.write(this.stdout, JSON.stringify(obj, (_key, value: unknown) => (typeof value === 'string' ? stripVTControlCharacters(value) : value)));
  }

  success(text: string): void {
    this.write(this.json ? this.stderr : this.stdout, this.chalk.green(text));
  }

  warn(text: string): void {
    this.write(this.stderr, this.chalk.yellow(text));
  }

  error(textOrError: unknown): void {
    const line = typeof textOrError === 'string' ? textOrError : formatError(textOrError);
    this.write(this.stderr, this.chalk.red(`✖ ${line}`));
    if (this.debugEnabled && textOrError instanceof Error && textOrError.stack) {
      this.write(this.stderr, this.chalk.dim(textOrError.stack));
      let cause = textOrError.cause;
      while (cause instanceof Error) {
        this.write(this.stderr, this.chalk.dim(`caused by: ${cause.stack ?? cause.message}`));
        cause = cause.cause;
      }
    }
  }

  debug(text: string): void {
    if (this.debugEnabled) this.write(this.stderr, this.chalk.dim(text));
  }

  table(head: readonly string[], rows: readonly (readonly string[])[]): void {
    this.print(renderTable(head, rows, this.colorEnabled));
  }

  /** A status line that later output replaces; only shown on a terminal. */
  progress(text: string): Progress {
    if (!this.redraws || this.json) return { update: () => undefined, done: (final) => { if (final) this.print(final); } };
    this.progressText = this.fitLine(text);
    this.stdout.write(CLEAR_LINE + this.chalk.dim(this.progressText));
    return {
      update: (next) => {
        this.progressText = this.fitLine(next);
        this.stdout.write(CLEAR_LINE + this.chalk.dim(this.progressText));
      },
      done: (final) => {
        this.progressText = undefined;
        this.stdout.write(CLEAR_LINE);
        if (final) this.print(final);
      },
    };
  }

  /**
   * Bytes another process already rendered (an attached client writing what `dust serve` sent): printed above the
   * prompt like any line, byte for byte.
   */
  writeRendered(stream: 'stdout' | 'stderr', data: Buffer): void {
    const target = stream === 'stdout' ? this.stdout : this.stderr;
    const prompting = this.isTTY && this.promptLine?.isShowing() === true;
    if (prompting) this.promptLine!.erase();
    target.write(data);
    if (prompting) this.promptLine?.redraw();
  }

  /**
   * A status line cut to the terminal's width: clearing it erases one row only, so a status that wrapped (a thousand
   * nodes' names) would leave its first rows behind on every redraw.
   */
  private fitLine(text: string): string {
    const max = Math.max(10, this.columns - 1);
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
  }

  private write(stream: NodeJS.WritableStream, text: string): void {
    const body = text.endsWith('\n') ? text : `${text}\n`;
    const prompting = this.isTTY && this.promptLine?.isShowing() === true;
    // Clearing only the cursor's row would leave the other rows of a wrapped half-typed line behind, and the
    // editor's redraw would then climb over the text just printed. A dumb terminal cannot erase at all:
    // the text goes below the prompt, and the prompt follows.
    if (prompting && !this.redraws) this.stdout.write('\n');
    else if (prompting) this.promptLine!.erase();
    else if (this.isTTY && this.progressText !== undefined) this.stdout.write(CLEAR_LINE);
    stream.write(body);
    if (this.isTTY && this.progressText !== undefined) this.stdout.write(this.chalk.dim(this.progressText));
    if (prompting) this.promptLine?.redraw();
  }
}

/** cli-table3 emits colour codes even off a TTY, so borders and heads are styled only when colour is on. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[], color: boolean): string {
  const table = new (Table())({
    head: [...head],
    style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}
