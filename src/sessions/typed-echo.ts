/**
 * Recognises dust's own typing coming back as terminal echo.
 *
 * Line mode wants echo off. dust asks for it in the PTY request (OpenSSH applies it, at no cost per session)
 * instead of running `stty -echo` on every node; a server that ignores PTY modes (ssh2-based servers, for
 * one: ssh2 1.17 drops the modes it parses) echoes what dust types. The first typed line of every command
 * carries a fresh marker token, so it cannot be confused with output: once it comes back, echo is known to be
 * on, its lines are dropped as they arrive, and the session turns echo off with `stty -echo` before the next
 * command. Text without a token is only expected once echo is known to be on.
 */

interface TypedText {
  lines: string[];
  matched: number;
}

export type EchoState = 'unknown' | 'off' | 'on';

export class TypedEcho {
  state: EchoState = 'unknown';
  private pending: TypedText[] = [];

  /** A new shell: nothing known about its echo yet. */
  reset(): void {
    this.state = 'unknown';
    this.pending = [];
  }

  /**
   * Records text dust typed (ending in a newline). `anchored`: its first line carries a token, so its echo
   * can be recognised even while echo is not known to be on.
   */
  typed(text: string, anchored: boolean): void {
    if (this.state === 'off' || (!anchored && this.state !== 'on')) return;
    this.pending.push({ lines: text.replace(/\n$/, '').split('\n'), matched: 0 });
  }

  /** True when `line` is the echo of typed text (drop it). Echo of typed text arrives in the order it was typed. */
  isEcho(line: string): boolean {
    const head = this.pending[0];
    if (!head) return false;
    // A typed ^C echoes as `^C` in front of the line typed after it (the interrupt's marker line).
    const text = head.matched === 0 && line.startsWith('^C') ? line.slice(2) : line;
    if (text !== head.lines[head.matched]) return false;
    this.state = 'on';
    if (++head.matched === head.lines.length) this.pending.shift();
    return true;
  }

  /** A command's marker came back. True when echo was seen and must be turned off before the next command. */
  settle(): boolean {
    this.pending = [];
    if (this.state === 'on') return true;
    this.state = 'off';
    return false;
  }

  /** dust typed `stty -echo` (the line-mode settings). */
  turnedOff(): void {
    this.state = 'off';
    this.pending = [];
  }
}
