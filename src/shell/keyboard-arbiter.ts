import type { ReplAdapter } from './node-repl-adapter.js';

/**
 * Decides who receives keystrokes: the line editor at the prompt; a small listener while a command runs
 * (Ctrl-C interrupts it; other keys are kept as type-ahead and handed to the line editor when the prompt
 * returns, so they neither scribble over streaming output nor get lost); or whoever borrowed the
 * keyboard.
 *
 * Two kinds of borrowers: a question (`borrow`) reads keys in this process, so type-ahead goes to it first —
 * the `y` typed right after `stop worker3` answers the question instead of running later as a command; a
 * program given the terminal (`borrowTerminal`: a raw remote shell, vim) reads the tty itself, so
 * type-ahead waits for the line editor.
 */
export class KeyboardArbiter {
  private borrowed = 0;
  private questions = 0;
  private busy = false;
  private collecting = false;
  private flushScheduled = false;
  private typeAhead: Buffer[] = [];
  /** Holds keys nobody reads directly yet: while a command runs, and until held keys have been handed on. */
  private readonly collector = (chunk: Buffer) => {
    if (this.busy && chunk.indexOf(0x03) >= 0) {
      // Ctrl-C cancels the command and whatever was typed ahead, like a terminal's line discipline.
      this.typeAhead = [];
      this.onInterrupt();
      return;
    }
    this.typeAhead.push(chunk);
  };
  private readonly keepStrayKeys = (sequence: string): void => {
    this.typeAhead.push(Buffer.from(sequence, 'utf8'));
  };

  constructor(
    private readonly adapter: ReplAdapter,
    private readonly input: NodeJS.ReadStream,
    private readonly onInterrupt: () => void,
  ) {}

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.apply();
  }

  /** For a question read from this process's input: it receives the type-ahead first. */
  borrow(): () => void {
    return this.lend(true);
  }

  /** For a program that reads the terminal itself: type-ahead stays for the line editor. */
  borrowTerminal(): () => void {
    return this.lend(false);
  }

  private lend(question: boolean): () => void {
    this.borrowed++;
    if (question) this.questions++;
    this.apply();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.borrowed--;
      if (question) this.questions--;
      this.apply();
    };
  }

  /** Who reads keys now: the line editor, a question (reads 'data' itself), a program on the tty, or nobody (busy). */
  private reader(): 'editor' | 'question' | 'terminal' | 'none' {
    if (this.borrowed === 0) return this.busy ? 'none' : 'editor';
    return this.questions === this.borrowed ? 'question' : 'terminal';
  }

  private apply(): void {
    const reader = this.reader();
    if (reader !== 'editor') this.adapter.detachKeyboard(this.keepStrayKeys);
    if (reader === 'none') {
      this.collect(true);
    } else if (reader === 'terminal') {
      // The program reads the tty itself; what was typed for dust waits for the line editor.
      this.collect(false);
    } else if (this.typeAhead.length === 0) {
      this.collect(false);
      if (reader === 'editor') this.adapter.attachKeyboard();
    } else {
      // Keys typed earlier go first: until they are handed on (next tick, once the reader listens), new
      // keys queue behind them instead of overtaking them (`er[0-2]` before `show work` would be a command).
      this.collect(true);
      this.scheduleFlush();
    }
  }

  private collect(on: boolean): void {
    if (on && !this.collecting) {
      if (this.input.isTTY) this.input.setRawMode(true);
      this.input.on('data', this.collector);
      this.input.resume();
      this.collecting = true;
    } else if (!on && this.collecting) {
      this.input.off('data', this.collector);
      this.collecting = false;
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const reader = this.reader();
      if (reader !== 'editor' && reader !== 'question') return; // someone else took over: keep holding
      this.collect(false);
      if (reader === 'editor') this.adapter.attachKeyboard();
      const pending = Buffer.concat(this.typeAhead);
      this.typeAhead = [];
      // Through the same path real typing takes; a command this starts collects whatever follows.
      if (pending.length > 0) this.input.emit('data', pending);
    });
  }
}
