/**
 * What a raw shell (`@node`) shows must never contain dust's own protocol: marker lines (a line-mode command that
 * finishes while the user is attached, an outer shell's prompt after a nested one exits) and the invisible
 * prompt beacon. This filter removes both from the byte stream, reports them, and holds back the few bytes at
 * the end of a chunk that could be the start of one (released by `flush` after a moment of quiet).
 * Works on latin1 text so every byte maps to one char and back unchanged.
 */
import { MARKER_PREFIX, PROMPT_BEACON, parseMarker, type ParsedMarker } from './shell-protocol.js';

const BEACON = `\x01${PROMPT_BEACON}\x02`;
const MARKER_LINE = /^__DUST_[A-Za-z0-9]+_\d+_\d+_b?_[^\r\n]*__\r?\n/;
/** A marker line longer than this is not one (a cwd of 4 KiB is not a thing). */
const MAX_MARKER = 4200;

export interface RawFilterSink {
  marker(m: ParsedMarker): void;
  beacon(): void;
}

export class RawOutputFilter {
  private held = '';

  constructor(private readonly sink: RawFilterSink) {}

  /** Bytes to show for this chunk (possibly fewer: a possible marker or beacon start is held). */
  push(data: Buffer): Buffer {
    let text = this.held + data.toString('latin1');
    this.held = '';
    let out = '';
    for (;;) {
      const m = text.indexOf(MARKER_PREFIX);
      const b = text.indexOf(PROMPT_BEACON);
      if (m < 0 && b < 0) break;
      if (b >= 0 && (m < 0 || b < m)) {
        // The beacon, with readline's zero-width brackets around it when the shell printed them.
        const start = b > 0 && text[b - 1] === '\x01' ? b - 1 : b;
        let end = b + PROMPT_BEACON.length;
        if (text[end] === '\x02') end++;
        out += text.slice(0, start);
        text = text.slice(end);
        this.sink.beacon();
        continue;
      }
      const rest = text.slice(m);
      const line = MARKER_LINE.exec(rest);
      if (line) {
        const parsed = parseMarker(line[0].replace(/\r?\n$/, ''));
        out += text.slice(0, m);
        text = rest.slice(line[0].length);
        if (parsed) this.sink.marker(parsed);
        continue;
      }
      if (!/[\r\n]/.test(rest) && rest.length < MAX_MARKER && /^__DUST_[A-Za-z0-9_]*(_[^\r\n]*)?$/.test(rest)) {
        // Perhaps a marker still arriving: hold it.
        out += text.slice(0, m);
        this.held = rest;
        return Buffer.from(out, 'latin1');
      }
      // Looked like one, is not (someone printed the word): show it.
      out += text.slice(0, m + MARKER_PREFIX.length);
      text = text.slice(m + MARKER_PREFIX.length);
    }
    // The end may be the start of a marker or a beacon.
    const keep = partialSuffix(text, MARKER_PREFIX, BEACON);
    this.held = text.slice(text.length - keep);
    return Buffer.from(out + text.slice(0, text.length - keep), 'latin1');
  }

  /** Releases held bytes (nothing more came: they were ordinary output). */
  flush(): Buffer {
    const h = this.held;
    this.held = '';
    return Buffer.from(h, 'latin1');
  }

  get holding(): boolean {
    return this.held !== '';
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of one of `words`. */
function partialSuffix(text: string, ...words: string[]): number {
  let best = 0;
  for (const w of words) {
    for (let n = Math.min(w.length - 1, text.length); n > best; n--) {
      if (text.endsWith(w.slice(0, n))) { best = n; break; }
    }
  }
  return best;
}
