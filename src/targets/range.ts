import { targetSyntaxError } from './errors.js';
import { columnAt, type SourceText } from './text.js';

/**
 * One item of a numeric range: `7`, `1-12`, `01-10` (zero padded to width 2), `0-10/2` (every 2nd).
 * `width` 0 means "no padding"; otherwise numbers print with at least `width` digits. All items of
 * one bracket share the same width.
 */
export interface RangeItem {
  readonly lo: number;
  readonly hi: number;
  readonly step: number;
  readonly width: number;
}

/** The most names one range may stand for; protects against `node[0-99999999]`. */
export const MAX_EXPANSION = 100_000;

/** Longest number we accept: beyond this, JavaScript numbers lose integer precision. */
const MAX_DIGITS = 15;

/**
 * Whether the content of a `[...]` is a numeric range (`01-10,15`, `0-10/2`) rather than a glob class
 * (`abc`, `!x`, `a-z`). It must hold a digit, so `[-]` and `[,]` stay glob classes.
 */
export function isNumericRange(content: string): boolean {
  return /^[\d,\-/\s]+$/.test(content) && /\d/.test(content);
}

/** Zero-pads `value` to `width` digits (never truncates). */
export function formatNumber(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function paddingOf(digits: string): number {
  return digits.length > 1 && digits.startsWith('0') ? digits.length : 0;
}

/**
 * Parses `1-3,7,01-10,0-10/2` (the inside of a `[...]`, or an index range such as `2-5`). A bound
 * with a leading zero sets the padding of the whole range; two different paddings are an error.
 * `closeColumn` is where the closing `]` (or the end of the term) sits, for "unexpected end" errors.
 * Whitespace between items is ignored.
 */
export function parseNumericRange(content: SourceText, closeColumn: number, expr: string, closer = "']'"): RangeItem[] {
  const text = content.text;
  let i = 0;
  const skipSpace = (): void => { while (i < text.length && /\s/.test(text[i] ?? '')) i++; };
  const unexpected = (): never => {
    const found = i < text.length ? `'${text[i]}'` : closer;
    const column = i < text.length ? columnAt(content, i) : closeColumn;
    throw targetSyntaxError(expr, `unexpected ${found}`, column, 'numeric ranges look like [1-5] or [01-10,15]');
  };
  const readNumber = (): string => {
    skipSpace();
    const start = i;
    while (i < text.length && /\d/.test(text[i] ?? '')) i++;
    if (i === start) unexpected();
    const digits = text.slice(start, i);
    if (digits.length > MAX_DIGITS) {
      throw targetSyntaxError(expr, `number ${digits} is too large`, columnAt(content, start));
    }
    return digits;
  };

  const items: RangeItem[] = [];
  // One padding per range: a zero-padded bound pads every number of the range (node[01-03,7] -> node07).
  let width = 0;
  for (;;) {
    skipSpace();
    const itemColumn = columnAt(content, i);
    const loText = readNumber();
    let hiText = loText;
    let step = 1;
    skipSpace();
    if (text[i] === '-') {
      i++;
      hiText = readNumber();
      skipSpace();
      if (text[i] === '/') {
        i++;
        const stepText = readNumber();
        step = Number(stepText);
        if (step === 0) throw targetSyntaxError(expr, 'range step 0', itemColumn, 'a step must be at least 1: [0-10/2]');
        skipSpace();
      }
    }
    const lo = Number(loText);
    const hi = Number(hiText);
    if (lo > hi) {
      throw targetSyntaxError(expr, `range ${loText}-${hiText} is descending`, itemColumn, `write it as ${hiText}-${loText}`);
    }
    for (const pad of [paddingOf(loText), paddingOf(hiText)]) {
      if (pad === 0) continue;
      if (width !== 0 && pad !== width) {
        throw targetSyntaxError(expr, `range mixes zero-padding widths ${width} and ${pad}`, itemColumn,
          'pad every number of one range to the same width, e.g. [001-010,100]');
      }
      width = pad;
    }
    items.push({ lo, hi, step, width: 0 });
    if (i >= text.length) return items.map((it) => ({ ...it, width }));
    if (text[i] !== ',') unexpected();
    i++;
  }
}

/** How many numbers the items stand for (duplicates between items counted twice: it is only a bound). */
export function rangeCount(items: readonly RangeItem[]): number {
  return items.reduce((sum, it) => sum + Math.floor((it.hi - it.lo) / it.step) + 1, 0);
}

/** Whether the number `value` is one of the items' numbers (padding ignored: used for node indexes). */
export function rangeHasValue(items: readonly RangeItem[], value: number): boolean {
  return items.some((it) => value >= it.lo && value <= it.hi && (value - it.lo) % it.step === 0);
}

/** Whether the digit string is exactly how one of the items prints one of its numbers (`07` is not `7`). */
export function rangeHasDigits(items: readonly RangeItem[], digits: string): boolean {
  const value = Number(digits);
  return items.some((it) => value >= it.lo && value <= it.hi && (value - it.lo) % it.step === 0
    && formatNumber(value, it.width) === digits);
}

/** Every string the items print, ascending by value, without duplicates. Call only after checking rangeCount. */
export function expandRange(items: readonly RangeItem[]): string[] {
  const all: Array<{ value: number; text: string }> = [];
  for (const it of items) {
    for (let v = it.lo; v <= it.hi; v += it.step) all.push({ value: v, text: formatNumber(v, it.width) });
  }
  all.sort((a, b) => a.value - b.value || a.text.length - b.text.length);
  return [...new Set(all.map((x) => x.text))];
}
