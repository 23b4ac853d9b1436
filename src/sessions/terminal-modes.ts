/**
 * Terminal modes a full-screen program switches on (alternate screen, hidden cursor, application keys, mouse
 * reporting, bracketed paste, a scroll region). When the user leaves a raw shell while such a program still
 * runs, dust puts the local terminal back as it was, and puts the program's modes back on when the user returns.
 */

/** DEC private modes and their power-on defaults (true = set). */
const DEFAULTS: Readonly<Record<number, boolean>> = {
  1: false, // application cursor keys
  7: true, // autowrap
  12: false, // blinking cursor
  25: true, // cursor visible
  47: false, 1047: false, 1048: false, 1049: false, // alternate screen (and cursor save)
  1000: false, 1002: false, 1003: false, 1005: false, 1006: false, 1015: false, // mouse reporting
  1004: false, // focus events
  2004: false, // bracketed paste
};

const DEC_MODE = /\x1b\[\?([\d;]+)([hl])/g;

export class TerminalModes {
  private readonly modes = new Map<number, boolean>();
  private keypadApplication = false;
  private scrollRegion = false;
  private tail = '';

  /** Notes the mode changes in a chunk of program output. */
  observe(data: Buffer): void {
    const text = this.tail + data.toString('latin1');
    // Keep a little for a sequence cut between chunks (it may then be seen twice: setting a mode is idempotent).
    this.tail = text.slice(-16);
    for (const m of text.matchAll(DEC_MODE)) {
      const on = m[2] === 'h';
      for (const n of m[1]!.split(';')) {
        const mode = Number(n);
        if (mode in DEFAULTS) this.modes.set(mode, on);
      }
    }
    const pad = Math.max(text.lastIndexOf('\x1b='), text.lastIndexOf('\x1b>'));
    if (pad >= 0) this.keypadApplication = text[pad + 1] === '=';
    // CSI top;bottom r sets a region, CSI r resets it.
    for (const m of text.matchAll(/\x1b\[(\d*;?\d*)r/g)) this.scrollRegion = m[1] !== '';
  }

  /** What puts a terminal back to its defaults for every mode the program changed. */
  restoreSequence(): string {
    let s = '';
    // Leave the alternate screen first, so the rest applies to the normal one.
    for (const alt of [1049, 1047, 47]) if (this.modes.get(alt)) s += `\x1b[?${alt}l`;
    for (const [mode, on] of this.modes) {
      if ([1049, 1047, 47].includes(mode)) continue;
      if (on !== DEFAULTS[mode]) s += `\x1b[?${mode}${DEFAULTS[mode] ? 'h' : 'l'}`;
    }
    if (this.keypadApplication) s += '\x1b>';
    if (this.scrollRegion) s += '\x1b[r';
    return `${s}\x1b[0m\x1b[?25h`;
  }

  /** What puts the program's modes back on when the user returns to it. */
  replaySequence(): string {
    let s = '';
    for (const alt of [1049, 1047, 47]) if (this.modes.get(alt)) s += `\x1b[?${alt}h`;
    for (const [mode, on] of this.modes) {
      if ([1049, 1047, 47].includes(mode)) continue;
      if (on !== DEFAULTS[mode]) s += `\x1b[?${mode}${on ? 'h' : 'l'}`;
    }
    if (this.keypadApplication) s += '\x1b=';
    return s;
  }

  /** The program is gone: its modes are too. */
  reset(): void {
    this.modes.clear();
    this.keypadApplication = false;
    this.scrollRegion = false;
    this.tail = '';
  }
}
