/**
 * Text of one term after the lexer removed its quotes, with enough bookkeeping to point errors at the
 * right column of the original expression and to know which characters were quoted (quoted characters
 * are literal: they are never operators, glob characters, brackets or separators).
 */
export interface SourceText {
  readonly text: string;
  /** 1-based column in the original expression of each character of `text`. */
  readonly cols: readonly number[];
  readonly quoted: readonly boolean[];
  /** Column just after the last character (where "at the end" errors point). */
  readonly end: number;
}

/** Unquoted text whose first character sits at `firstColumn`. */
export function plainText(text: string, firstColumn = 1): SourceText {
  const chars = text.split('');
  return {
    text: chars.join(''),
    cols: chars.map((_, i) => firstColumn + i),
    quoted: chars.map(() => false),
    end: firstColumn + chars.length,
  };
}

export function sliceText(t: SourceText, from: number, to = t.text.length): SourceText {
  const cols = t.cols.slice(from, to);
  const last = cols[cols.length - 1];
  return {
    text: t.text.slice(from, to),
    cols,
    quoted: t.quoted.slice(from, to),
    end: last === undefined ? columnAt(t, from) : last + 1,
  };
}

/** Removes unquoted whitespace at both ends. */
export function trimText(t: SourceText): SourceText {
  let from = 0;
  let to = t.text.length;
  while (from < to && !t.quoted[from] && /\s/.test(t.text[from] ?? '')) from++;
  while (to > from && !t.quoted[to - 1] && /\s/.test(t.text[to - 1] ?? '')) to--;
  return sliceText(t, from, to);
}

/** Column of character `i`, or the end column when `i` is past the end. */
export function columnAt(t: SourceText, i: number): number {
  return t.cols[i] ?? t.end;
}

/**
 * Index of the first (or last) `ch` outside quotes; when every occurrence is quoted, falls back to the
 * first (or last) occurrence anyway, so `tags="team:a,b"` still splits at its colon.
 */
export function findSeparator(t: SourceText, ch: string, which: 'first' | 'last'): number {
  const hits: number[] = [];
  for (let i = 0; i < t.text.length; i++) if (t.text[i] === ch) hits.push(i);
  const unquoted = hits.filter((i) => !t.quoted[i]);
  const pool = unquoted.length > 0 ? unquoted : hits;
  return (which === 'first' ? pool[0] : pool[pool.length - 1]) ?? -1;
}
