import type { ReplAdapter } from './node-repl-adapter.js';

/**
 * Decides who receives keystrokes: the line editor at the prompt; a small listener while a command runs
 * (Ctrl-C interrupts it; other keys are kept as type-ahead and handed to the line editor when the prompt
 * returns, so they neither scribble over streaming output nor get lost); or whoever borrowed the
 * keyboard (a question, a raw remote shell, a local program).
 */
export class KeyboardArbiter {
  private borrowed = 0;
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

  constructor(
    private readonly adapter: ReplAdapter,
    private readonly input: NodeJS.ReadStream,
    private readonly onInterrupt: () => void,
  ) {}

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.apply();
  }

  borrow(): () => void {
    this.borrowed++;
    this.apply();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.borrowed--;
      this.apply();
    };
  }

  private apply(): void {
    const editor = !this.busy && this.borrowed === 0;
    const busyKeys = this.busy && this.borrowed === 0;
    if (editor) this.adapter.attachKeyboard();
    else this.adapter.detachKeyboard();
    if (editor && this.typeAhead.length > 0) {
      const pending = Buffer.concat(this.typeAhead);
      this.typeAhead = [];
      // After the prompt is drawn: feed the keys through the same decoder real typing goes through.
      setImmediate(() => this.input.emit('data', pending));
    }
    if (busyKeys && !this.busyListenerOn) {
      if (this.input.isTTY) this.input.setRawMode(true);
      this.input.on('data', this.busyListener);
      this.input.resume();
      this.busyListenerOn = true;
    } else if (!busyKeys && this.busyListenerOn) {
      this.input.off('data', this.busyListener);
      this.busyListenerOn = false;
    }
  }
}
