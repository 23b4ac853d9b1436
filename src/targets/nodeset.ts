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

/** One bracket of a folded name: numbers printed with `width` digits (0 = unpadded). */
interface Axis {
  readonly width: number;
  /** Ascending, unique. */
  readonly values: readonly number[];
}

/** A name cut into literal text around its digit runs: `rack1-node12` = ['rack', '-node', ''] + ['1', '12']. */
interface Split {
  /** Literal pieces, one more than `digits`; the group key. */
  readonly literals: readonly string[];
  readonly digits: readonly string[];
}

/**
 * Folds names into a compact node set the way ClusterShell's `nodeset -f` does, on every digit run of a
 * name (several axes): rack1-node1..rack2-node3 -> 'rack[1-2]-node[1-3]'; ['worker0'..'worker9',
 * 'worker12','master'] -> 'master,worker[0-9,12]'.
 *
 * Names with the same literal text around their numbers fold together. The LAST axis folds first: names
 * that agree on every other axis share a bracket there, then the names whose last brackets came out equal
 * fold the same way on the axis before, and so on (`r[1-3]-n[1-2],r[1-2]-n3` -> 'r[1-2]-n[1-3],r3-n[1-2]',
 * as nodeset prints it). Hash maps all the way: O(N log N), fine for 100,000 names.
 *
 * Zero padding is kept apart: `n01` and `n1` never share a bracket; an unpadded number joins a padded
 * bracket only when it prints identically there (`node[01-10]`). A bracket with one member prints plainly.
 * The result is canonical (a function of the set of names) and expands back to exactly the names given,
 * except names holding `[`, `]`, `,`, `*` or `?`, which are printed as they are. Digit runs longer than 15
 * digits (ids) are literal text.
 */
export function foldNodeNames(names: readonly string[]): string {
  const groups = new Map<string, { literals: readonly string[]; vectors: string[][] }>();
  const terms: Array<{ literals: readonly string[]; axes: readonly Axis[] }> = [];
  for (const name of new Set(names)) {
    const split = /[[\],*?]/.test(name) ? { literals: [name], digits: [] } : splitDigits(name);
    if (split.digits.length === 0) {
      terms.push({ literals: split.literals, axes: [] });
      continue;
    }
    const key = split.literals.join('\u0000');
    const group = groups.get(key) ?? { literals: split.literals, vectors: [] };
    group.vectors.push([...split.digits]);
    groups.set(key, group);
  }
  for (const { literals, vectors } of groups.values()) {
    for (const axes of foldBest(vectors, literals.length - 1)) terms.push({ literals, axes });
  }
  terms.sort(compareTerms);
  return terms.map(formatTerm).join(',');
}

function splitDigits(name: string): Split {
  const literals: string[] = [];
  const digits: string[] = [];
  let literal = '';
  for (const m of name.matchAll(/(\d+)|(\D+)/g)) {
    const run = m[0];
    if (m[1] !== undefined && run.length <= MAX_FOLD_DIGITS) {
      literals.push(literal);
      digits.push(run);
      literal = '';
    } else {
      literal += run;
    }
  }
  literals.push(literal);
  return { literals, digits };
}

/** Up to this many axes every order of folding them is tried (4! = 24 linear passes); beyond, the natural order. */
const MAX_ORDERED_AXES = 4;

/**
 * Folds in the order of axes that gives the fewest terms: `rack1-n6,rack7-n6,rack3-n10,rack7-n10` is two
 * terms folded on the rack axis (rack[1,7]-n6,rack[3,7]-n10) but three on the node axis. Ties keep the
 * natural order (last axis first), which is what nodeset prints for them.
 */
function foldBest(vectors: readonly (readonly string[])[], dims: number): Axis[][] {
  let best: Axis[][] | undefined;
  for (const order of dims <= MAX_ORDERED_AXES ? permutations(dims) : [[...Array(dims).keys()]]) {
    const permuted = vectors.map((v) => order.map((axis) => v[axis] ?? ''));
    const folded = foldVectors(permuted, dims).map((axesInOrder) => {
      const axes: Axis[] = [];
      order.forEach((axis, j) => { axes[axis] = axesInOrder[j]!; });
      return axes;
    });
    if (best === undefined || folded.length < best.length) best = folded;
  }
  return best ?? [];
}

/** Every order of 0..n-1, the identity first. */
function permutations(n: number): number[][] {
  if (n <= 1) return [[...Array(n).keys()]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let at = rest.length; at >= 0; at--) out.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
  }
  return out;
}

/** Folds equal-length digit vectors into terms, one Axis per dimension (last axis first; see foldNodeNames). */
function foldVectors(vectors: readonly (readonly string[])[], dims: number): Axis[][] {
  if (dims === 1) return bracketsOf(vectors.map((v) => v[0] ?? '')).map((axis) => [axis]);
  const lastByPrefix = new Map<string, { prefix: readonly string[]; last: string[] }>();
  for (const v of vectors) {
    const prefix = v.slice(0, dims - 1);
    const key = prefix.join(',');
    const entry = lastByPrefix.get(key);
    if (entry) entry.last.push(v[dims - 1] ?? '');
    else lastByPrefix.set(key, { prefix, last: [v[dims - 1] ?? ''] });
  }
  const prefixesByLast = new Map<string, { axis: Axis; prefixes: (readonly string[])[] }>();
  for (const { prefix, last } of lastByPrefix.values()) {
    for (const axis of bracketsOf(last)) {
      const key = `${axis.width}:${axis.values.join(',')}`;
      const entry = prefixesByLast.get(key);
      if (entry) entry.prefixes.push(prefix);
      else prefixesByLast.set(key, { axis, prefixes: [prefix] });
    }
  }
  const out: Axis[][] = [];
  for (const { axis, prefixes } of prefixesByLast.values()) {
    for (const head of foldVectors(prefixes, dims - 1)) out.push([...head, axis]);
  }
  return out;
}

/**
 * Splits one axis's digit strings into brackets by padding: `01`..`09` are width 2, `7` is width 0, and
 * `10` (which prints the same at width 2 or 0) joins the widest padded bracket it fits, else width 0.
 */
function bracketsOf(digits: readonly string[]): Axis[] {
  const unique = new Set(digits);
  const padded = new Set<number>();
  for (const d of unique) if (d.length > 1 && d.startsWith('0')) padded.add(d.length);
  const byWidth = new Map<number, number[]>();
  for (const d of unique) {
    let width = 0;
    if (d.length > 1 && d.startsWith('0')) width = d.length;
    else for (const w of padded) if (w <= d.length && w > width) width = w;
    const list = byWidth.get(width) ?? [];
    list.push(Number(d));
    byWidth.set(width, list);
  }
  return [...byWidth].map(([width, values]) => ({ width, values: values.sort((a, b) => a - b) }))
    .sort((a, b) => a.width - b.width);
}

function formatAxis(axis: Axis): string {
  const fmt = (v: number): string => formatNumber(v, axis.width);
  const { values } = axis;
  if (values.length === 1) return fmt(values[0] ?? 0);
  const runs: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const lo = values[i] ?? 0;
    let hi = lo;
    while (values[i + 1] === hi + 1) { hi++; i++; }
    runs.push(lo === hi ? fmt(lo) : `${fmt(lo)}-${fmt(hi)}`);
  }
  return `[${runs.join(',')}]`;
}

function formatTerm(term: { literals: readonly string[]; axes: readonly Axis[] }): string {
  let out = term.literals[0] ?? '';
  term.axes.forEach((axis, i) => { out += formatAxis(axis) + (term.literals[i + 1] ?? ''); });
  return out;
}

/** Literal text first (prefix, then what follows), then padding and first number axis by axis. */
function compareTerms(a: { literals: readonly string[]; axes: readonly Axis[] }, b: { literals: readonly string[]; axes: readonly Axis[] }): number {
  const n = Math.max(a.literals.length, b.literals.length);
  for (let i = 0; i < n; i++) {
    const x = a.literals[i];
    const y = b.literals[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  for (let i = 0; i < a.axes.length; i++) {
    const x = a.axes[i]!;
    const y = b.axes[i]!;
    const d = x.width - y.width || (x.values[0] ?? 0) - (y.values[0] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
