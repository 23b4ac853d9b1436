import type { ReplAdapter } from './node-repl-adapter.js';

/**
 * Decides who receives keystrokes: the line editor at the prompt; a small listener while a command runs
 * (Ctrl-C interrupts it, everything else is dropped so typing cannot scribble over streaming output);
 * or whoever borrowed the keyboard (a question, a raw remote shell, a local program).
 */
export class KeyboardArbiter {
  private borrowed = 0;
  private busy = false;
  private busyListenerOn = false;
  private readonly busyListener = (chunk: Buffer) => {
    if (chunk.includes(0x03)) this.onInterrupt();
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
