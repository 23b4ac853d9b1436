import { targetSyntaxError } from './errors.js';
import {
  expandRange, isNumericRange, MAX_EXPANSION, parseNumericRange, rangeCount, rangeHasDigits, type RangeItem,
} from './range.js';
import { columnAt, sliceText, type SourceText } from './text.js';

/**
 * A compiled name or value pattern: shell-style globs (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`) plus
 * ClusterShell-style numeric ranges (`[0-12]`, `[01-10,15]`). Matching is case-insensitive and covers the
 * whole subject. We match with a small backtracking matcher rather than a RegExp because a numeric range
 * must be checked as a number, and `node[1-3]*` has to be able to give back digits to the `*`.
 */
export interface Pattern {
  /** The pattern as written, quotes removed. */
  readonly source: string;
  readonly tokens: readonly PatternToken[];
}

export type PatternToken =
  | { readonly t: 'literal'; readonly text: string; readonly lower: string }
  | { readonly t: 'star' }
  | { readonly t: 'any' }
  | { readonly t: 'class'; readonly negated: boolean; readonly ranges: ReadonlyArray<readonly [string, string]> }
  | { readonly t: 'range'; readonly items: readonly RangeItem[]; readonly column: number };

/** Compiles a pattern; errors point at columns of `expr`. Quoted characters are literal. */
export function compilePattern(src: SourceText, expr: string): Pattern {
  const tokens: PatternToken[] = [];
  const text = src.text;
  let literal = '';
  const flush = (): void => {
    if (literal !== '') tokens.push({ t: 'literal', text: literal, lower: literal.toLowerCase() });
    literal = '';
  };
  let names = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (src.quoted[i]) { literal += ch; continue; }
    if (ch === '*') {
      flush();
      if (tokens[tokens.length - 1]?.t !== 'star') tokens.push({ t: 'star' });
    } else if (ch === '?') {
      flush();
      tokens.push({ t: 'any' });
    } else if (ch === '[') {
      flush();
      let close = i + 1;
      while (close < text.length && (text[close] !== ']' || src.quoted[close])) close++;
      if (close >= text.length) {
        throw targetSyntaxError(expr, "unclosed '['", columnAt(src, i), "close it: worker[1-5] or worker[abc]");
      }
      const content = sliceText(src, i + 1, close);
      const closeColumn = columnAt(src, close);
      if (content.text.trim() === '') {
        throw targetSyntaxError(expr, "empty '[]'", columnAt(src, i), 'put a range or characters inside: [1-5], [abc]');
      }
      if (isNumericRange(content.text)) {
        const items = parseNumericRange(content, closeColumn, expr);
        names *= rangeCount(items);
        if (names > MAX_EXPANSION) {
          throw targetSyntaxError(expr, `range expands to more than ${MAX_EXPANSION} names`, columnAt(src, i),
            'use smaller ranges, or a glob such as node*');
        }
        tokens.push({ t: 'range', items, column: columnAt(src, i) });
      } else {
        tokens.push(compileClass(content, expr));
      }
      i = close;
    } else if (ch === ']') {
      throw targetSyntaxError(expr, "unexpected ']'", columnAt(src, i));
    } else {
      literal += ch;
    }
  }
  flush();
  return { source: text, tokens };
}

function compileClass(content: SourceText, expr: string): PatternToken {
  const chars = content.text;
  let i = 0;
  let negated = false;
  if ((chars[0] === '!' || chars[0] === '^') && !content.quoted[0]) { negated = true; i = 1; }
  if (i >= chars.length) {
    throw targetSyntaxError(expr, "empty '[]'", columnAt(content, 0) - 1, 'put characters inside: [!abc]');
  }
  const ranges: Array<readonly [string, string]> = [];
  while (i < chars.length) {
    const from = chars[i] ?? '';
    const to = chars[i + 2];
    if (chars[i + 1] === '-' && !content.quoted[i + 1] && to !== undefined) {
      if (from > to) {
        throw targetSyntaxError(expr, `range ${from}-${to} is descending`, columnAt(content, i), `write it as ${to}-${from}`);
      }
      ranges.push([from, to]);
      i += 3;
    } else {
      ranges.push([from, from]);
      i += 1;
    }
  }
  return { t: 'class', negated, ranges };
}

function classHas(token: Extract<PatternToken, { t: 'class' }>, ch: string): boolean {
  const candidates = [ch, ch.toLowerCase(), ch.toUpperCase()];
  const inClass = token.ranges.some(([lo, hi]) => candidates.some((c) => c >= lo && c <= hi));
  return inClass !== token.negated;
}

/** Whether `subject` as a whole matches, ignoring case. */
export function matchPattern(pattern: Pattern, subject: string): boolean {
  const tokens = pattern.tokens;
  const s = subject.toLowerCase();
  // Memo on (token, position): keeps `*a*a*a*` style patterns polynomial.
  const failed = new Set<number>();
  const width = s.length + 1;
  const go = (ti: number, si: number): boolean => {
    const tok = tokens[ti];
    if (tok === undefined) return si === s.length;
    const key = ti * width + si;
    if (failed.has(key)) return false;
    let ok = false;
    switch (tok.t) {
      case 'literal':
        ok = s.startsWith(tok.lower, si) && go(ti + 1, si + tok.lower.length);
        break;
      case 'any':
        ok = si < s.length && go(ti + 1, si + 1);
        break;
      case 'class':
        ok = si < s.length && classHas(tok, subject[si] ?? '') && go(ti + 1, si + 1);
        break;
      case 'star':
        for (let k = si; k <= s.length && !ok; k++) ok = go(ti + 1, k);
        break;
      case 'range': {
        let end = si;
        while (end < s.length && /\d/.test(s[end] ?? '')) end++;
        for (let e = si + 1; e <= end && !ok; e++) ok = rangeHasDigits(tok.items, s.slice(si, e)) && go(ti + 1, e);
        break;
      }
    }
    if (!ok) failed.add(key);
    return ok;
  };
  return go(0, 0);
}

/** Whether the pattern has glob parts (anything but literals and numeric ranges). */
export function firstGlobToken(pattern: Pattern): PatternToken | undefined {
  return pattern.tokens.find((t) => t.t === 'star' || t.t === 'any' || t.t === 'class');
}

/** All names a glob-free pattern stands for, in range order (leftmost range varies slowest). */
export function expandPattern(pattern: Pattern): string[] {
  let out = [''];
  for (const tok of pattern.tokens) {
    if (tok.t === 'literal') out = out.map((p) => p + tok.text);
    else if (tok.t === 'range') {
      const values = expandRange(tok.items);
      out = out.flatMap((p) => values.map((v) => p + v));
    } else {
      throw new Error('expandPattern: pattern has glob parts');
    }
  }
  return out;
}
