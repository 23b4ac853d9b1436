import { StringDecoder } from 'node:string_decoder';
import { MARKER_PREFIX, parseMarker, type ParsedMarker } from './shell-protocol.js';

/** Where one node's decoded output goes. */
export interface LineSink {
  /** A complete line (without `\r`/`\n`), or the rest of a line whose beginning was already delivered as a partial. */
  line(text: string): void;
  /** The undelivered start of an unfinished line, delivered after `quietMs` of silence (a prompt such as `Continue? `). */
  partial(text: string): void;
  /** A marker line. Return true to stop: `pushText`/`push` then return the text after the marker line unprocessed. */
  marker(m: ParsedMarker): boolean | void;
}

/**
 * Turns one node's byte stream into lines: incremental UTF-8 decoding (a character split across reads comes
 * out whole), `\r` stripped, complete lines delivered at once, an unfinished line delivered after a quiet
 * period. Also removes the newline that the marker `printf` adds: an empty line directly followed by a marker
 * is dust's, not the command's, so empty lines are held until the next line or the quiet period.
 */
export class LineDemux {
  private readonly decoder = new StringDecoder('utf8');
  /** The current unfinished line (including the part already delivered as a partial). */
  private pending = '';
  /** Characters of `pending` already delivered through `partial`. */
  private delivered = 0;
  private heldEmpty = false;
  private timer: NodeJS.Timeout | undefined;
  /** Whether the current quiet period has already been extended for a line that does not look like a prompt. */
  private extended = false;

  /**
   * @param quietMs silence after which an unfinished line that looks like a prompt (`Continue? `) is delivered
   * @param idlePartialMs silence after which any other unfinished line is delivered: a command stalling in the
   *   middle of a line (load, GC, a slow pipe) must not have its line split in two
   */
  constructor(private readonly sink: LineSink, public quietMs = 300, public idlePartialMs = 2000) {}

  /** Feeds raw bytes. Returns the unprocessed text after a marker the sink stopped at, else undefined. */
  push(data: Buffer): string | undefined {
    return this.pushText(this.decoder.write(data));
  }

  /** Feeds already-decoded text (e.g. the rest returned by a previous stop). */
  pushText(text: string): string | undefined {
    this.clearTimer();
    this.extended = false;
    const buf = this.pending === '' ? text : this.pending + text;
    // Walk by index: slicing the remainder after every line made large outputs quadratic.
    let start = 0;
    let nl: number;
    while ((nl = buf.indexOf('\n', start)) >= 0) {
      const raw = buf.slice(start, nl);
      start = nl + 1;
      const already = this.delivered;
      this.pending = '';
      this.delivered = 0;
      const line = stripCr(raw);
      const marker = already === 0 && line.startsWith(MARKER_PREFIX) ? parseMarker(line) : undefined;
      if (marker) {
        this.heldEmpty = false; // the empty line before a marker is the printf's own newline
        if (this.sink.marker(marker) === true) return buf.slice(start);
        continue;
      }
      this.releaseHeld();
      if (already > 0) {
        // The beginning went out as a partial; deliver only what followed it (nothing if just the newline).
        const remainder = stripCr(raw.slice(already));
        if (remainder !== '') this.sink.line(remainder);
      } else if (line === '') {
        this.heldEmpty = true;
      } else {
        this.sink.line(line);
      }
    }
    this.pending = start === 0 ? buf : buf.slice(start);
    if (this.heldEmpty || this.pending.length > this.delivered) {
      this.timer = setTimeout(() => this.onQuiet(), this.quietMs);
      this.timer.unref?.();
    }
    return undefined;
  }

  /** Delivers whatever is held now (used when a run ends or output is handed elsewhere). */
  flush(): void {
    this.clearTimer();
    this.onQuiet(true);
  }

  /** Forgets buffered text (after a reconnect the old stream is gone). */
  reset(): void {
    this.clearTimer();
    this.pending = '';
    this.delivered = 0;
    this.heldEmpty = false;
  }

  dispose(): void {
    this.clearTimer();
  }

  private onQuiet(force = false): void {
    this.timer = undefined;
    const p = this.pending;
    // A marker may be arriving in pieces (with dust's empty line before it): never show half of one.
    const maybeMarker = p !== '' && this.delivered === 0 && (p.startsWith(MARKER_PREFIX) || MARKER_PREFIX.startsWith(p));
    if (maybeMarker && !force) return;
    const text = stripCr(p.slice(this.delivered));
    if (!force && text !== '' && !PROMPT_END.test(text) && !this.extended && this.idlePartialMs > this.quietMs) {
      this.extended = true;
      this.timer = setTimeout(() => this.onQuiet(), this.idlePartialMs - this.quietMs);
      this.timer.unref?.();
      return;
    }
    this.releaseHeld();
    this.delivered = p.length;
    if (text !== '') this.sink.partial(text);
  }

  private releaseHeld(): void {
    if (this.heldEmpty) {
      this.heldEmpty = false;
      this.sink.line('');
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Text ending like a prompt (`Continue [Y/n] `, `Password: `, `$ `): shown after a short quiet period. */
export const PROMPT_END = /[:?>#$\])]\s*$/;

function stripCr(s: string): string {
  const cr = s.indexOf('\r');
  if (cr < 0) return s;
  // A PTY ends every line with \r\n: the common case needs no regex.
  if (cr === s.length - 1) return s.slice(0, -1);
  return s.replace(/\r/g, '');
}
