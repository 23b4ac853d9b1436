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
  private busyListenerOn = false;
  private typeAhead: Buffer[] = [];
  private readonly busyListener = (chunk: Buffer) => {
    const ctrlC = chunk.indexOf(0x03);
    if (ctrlC >= 0) {
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

  private apply(): void {
    const editor = !this.busy && this.borrowed === 0;
    const busyKeys = this.busy && this.borrowed === 0;
    if (editor) this.adapter.attachKeyboard();
    else this.adapter.detachKeyboard(this.keepStrayKeys);
    if (busyKeys && !this.busyListenerOn) {
      if (this.input.isTTY) this.input.setRawMode(true);
      this.input.on('data', this.busyListener);
      this.input.resume();
      this.busyListenerOn = true;
    } else if (!busyKeys && this.busyListenerOn) {
      this.input.off('data', this.busyListener);
      this.busyListenerOn = false;
    }
    if (this.readsInProcess()) this.replayTypeAhead();
  }

  /** The line editor, or a question that only borrowed the keyboard (not a program on the terminal). */
  private readsInProcess(): boolean {
    return (!this.busy && this.borrowed === 0) || (this.questions > 0 && this.questions === this.borrowed);
  }

  /** After the reader has attached (same tick): the keys go through the same path real typing takes. */
  private replayTypeAhead(): void {
    setImmediate(() => {
      // Someone else may own the keyboard by now (a raw shell started meanwhile): then the keys wait.
      if (this.typeAhead.length === 0 || !this.readsInProcess()) return;
      const pending = Buffer.concat(this.typeAhead);
      this.typeAhead = [];
      this.input.emit('data', pending);
    });
  }
}
