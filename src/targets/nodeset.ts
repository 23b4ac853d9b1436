import { targetSyntaxError } from './errors.js';
import { compilePattern, expandPattern, firstGlobToken } from './pattern.js';
import { formatNumber, MAX_EXPANSION } from './range.js';
import { columnAt, plainText, sliceText, trimText, type SourceText } from './text.js';

/**
 * Expands a ClusterShell-style node set: `node[01-03,7]` -> node01 node02 node03 node07. Several
 * brackets multiply (`rack[1-2]-n[1-2]`), and top-level commas join sets (`master,worker[0-2]`), so the
 * output of `foldNodeNames` expands back. Names keep their case; duplicates are dropped.
 * @throws DustError DUST_TARGET_SYNTAX for malformed ranges, glob characters, or more than 100000 names.
 */
export function expandNodeRange(pattern: string): string[] {
  const src = plainText(pattern);
  const out = new Set<string>();
  for (const part of splitTopLevel(src)) {
    const text = trimText(part);
    if (text.text === '') {
      if (pattern.trim() === '') return [];
      throw targetSyntaxError(pattern, 'empty name', columnAt(text, 0));
    }
    const compiled = compilePattern(text, pattern);
    const glob = firstGlobToken(compiled);
    if (glob !== undefined) {
      const at = text.text.search(/[*?]|\[/);
      throw targetSyntaxError(pattern, 'cannot expand a glob', columnAt(text, Math.max(at, 0)),
        'only numeric ranges such as node[01-10] expand to names');
    }
    for (const name of expandPattern(compiled)) out.add(name);
    if (out.size > MAX_EXPANSION) {
      throw targetSyntaxError(pattern, `range expands to more than ${MAX_EXPANSION} names`, columnAt(text, 0));
    }
  }
  return [...out];
}

function splitTopLevel(src: SourceText): SourceText[] {
  const parts: SourceText[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < src.text.length; i++) {
    const ch = src.text[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) { parts.push(sliceText(src, start, i)); start = i + 1; }
  }
  parts.push(sliceText(src, start));
  return parts;
}

/** Longest digit run we fold; longer ones (ids, timestamps) stay literal. */
const MAX_FOLD_DIGITS = 15;

interface Group {
  readonly prefix: string;
  readonly suffix: string;
  /** Zero-padding width of the numbers (0 = unpadded). */
  readonly width: number;
  readonly values: number[];
}

/**
 * Folds names into a compact node set: ['worker0'..'worker9','worker12','master'] -> 'master,worker[0-9,12]'.
 * Only the LAST digit run of a name is folded (like `nodeset -f` without `-a`). Zero padding is kept
 * apart: `n01` and `n1` never share a bracket; an unpadded number joins a padded group only when it
 * prints identically there (`node[01-10]`). A group with one member prints plainly. Sorted by prefix,
 * suffix, padding, then first number. Names holding `[`, `]`, `,`, `*` or `?` are printed as they are and
 * do not expand back.
 */
export function foldNodeNames(names: readonly string[]): string {
  const plain = new Set<string>();
  const byAffix = new Map<string, { prefix: string; suffix: string; digits: Set<string> }>();
  for (const name of new Set(names)) {
    const m = /^(.*?)(\d+)(\D*)$/.exec(name);
    const [prefix, digits, suffix] = [m?.[1], m?.[2], m?.[3]];
    if (prefix === undefined || digits === undefined || suffix === undefined || digits.length > MAX_FOLD_DIGITS) {
      plain.add(name);
      continue;
    }
    const key = `${prefix}\u0000${suffix}`;
    const entry = byAffix.get(key) ?? { prefix, suffix, digits: new Set<string>() };
    entry.digits.add(digits);
    byAffix.set(key, entry);
  }

  const groups: Group[] = [];
  for (const { prefix, suffix, digits } of byAffix.values()) {
    const byWidth = new Map<number, number[]>();
    const add = (width: number, value: number): void => {
      const list = byWidth.get(width) ?? [];
      list.push(value);
      byWidth.set(width, list);
    };
    const paddedWidths = new Set<number>();
    for (const d of digits) if (d.length > 1 && d.startsWith('0')) paddedWidths.add(d.length);
    for (const d of digits) {
      if (d.length > 1 && d.startsWith('0')) { add(d.length, Number(d)); continue; }
      // `10` prints the same at width 2 or 1, so it may join `01..09`; pick the widest group it fits.
      const fits = [...paddedWidths].filter((w) => w <= d.length);
      add(fits.length > 0 ? Math.max(...fits) : 0, Number(d));
    }
    for (const [width, values] of byWidth) groups.push({ prefix, suffix, width, values: values.sort((a, b) => a - b) });
  }

  const entries: Array<{ key: readonly [string, string, number, number]; text: string }> = [];
  for (const name of plain) entries.push({ key: [name, '', -1, -1], text: name });
  for (const g of groups) entries.push({ key: [g.prefix, g.suffix, g.width, g.values[0] ?? 0], text: formatGroup(g) });
  entries.sort((a, b) => compareKeys(a.key, b.key));
  return entries.map((e) => e.text).join(',');
}

function formatGroup(g: Group): string {
  const fmt = (v: number): string => formatNumber(v, g.width);
  if (g.values.length === 1) return `${g.prefix}${fmt(g.values[0] ?? 0)}${g.suffix}`;
  const runs: string[] = [];
  let i = 0;
  while (i < g.values.length) {
    const lo = g.values[i] ?? 0;
    let hi = lo;
    while (g.values[i + 1] === hi + 1) { hi++; i++; }
    runs.push(lo === hi ? fmt(lo) : `${fmt(lo)}-${fmt(hi)}`);
    i++;
  }
  return `${g.prefix}[${runs.join(',')}]${g.suffix}`;
}

function compareKeys(a: readonly [string, string, number, number], b: readonly [string, string, number, number]): number {
  const str = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return str(a[0], b[0]) || str(a[1], b[1]) || a[2] - b[2] || a[3] - b[3];
}
