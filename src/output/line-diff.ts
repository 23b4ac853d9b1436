/**
 * Line diff in unified format (`@@ -a,n +b,m @@`, ` `/`-`/`+` lines), for `gather --diff`.
 *
 * Node outputs usually differ in a few lines of a long, mostly equal text, so the common head and tail are
 * cut first and the longest common subsequence is computed only on what remains (O(n·m) on that part).
 * Past MAX_CELLS the diff is refused rather than making the shell stall.
 */

export type DiffOp = { kind: ' ' | '-' | '+'; text: string; a: number; b: number };

const MAX_CELLS = 4_000_000;

/** Edit script turning `a` into `b`, or undefined when the differing middle is too large to diff. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] | undefined {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  if (n * m > MAX_CELLS) return undefined;
  // lcs[i][j]: LCS length of a[head+i..] and b[head+j..] within the middle part, one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[head + i] === b[head + j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    }
  }
  const ops: DiffOp[] = [];
  for (let k = 0; k < head; k++) ops.push({ kind: ' ', text: a[k]!, a: k, b: k });
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) {
      ops.push({ kind: ' ', text: a[head + i]!, a: head + i, b: head + j });
      i++; j++;
    } else if (j < m && (i === n || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
      ops.push({ kind: '+', text: b[head + j]!, a: head + i, b: head + j });
      j++;
    } else {
      ops.push({ kind: '-', text: a[head + i]!, a: head + i, b: head + j });
      i++;
    }
  }
  for (let k = 0; k < tail; k++) {
    ops.push({ kind: ' ', text: a[a.length - tail + k]!, a: a.length - tail + k, b: b.length - tail + k });
  }
  // Within a run of changes, show removals before additions, as diff -u does.
  return groupChanges(ops);
}

function groupChanges(ops: DiffOp[]): DiffOp[] {
  const out: DiffOp[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') { out.push(ops[k++]!); continue; }
    const run: DiffOp[] = [];
    while (k < ops.length && ops[k]!.kind !== ' ') run.push(ops[k++]!);
    out.push(...run.filter((o) => o.kind === '-'), ...run.filter((o) => o.kind === '+'));
  }
  // Reordering moved ops: give each again the a/b positions it has in the final order.
  let ai = 0, bi = 0;
  for (const o of out) {
    o.a = ai;
    o.b = bi;
    if (o.kind !== '+') ai++;
    if (o.kind !== '-') bi++;
  }
  return out;
}

/** Unified hunks with `context` lines around each change; [] when equal, undefined when too large. */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): string[] | undefined {
  const ops = diffLines(a, b);
  if (!ops) return undefined;
  const changed = ops.map((o, k) => (o.kind === ' ' ? -1 : k)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  // Hunks: changes closer than 2·context lines apart share one hunk.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const from = Math.max(0, k - context), to = Math.min(ops.length - 1, k + context);
    const last = hunks.at(-1);
    if (last && from <= last[1] + 1) last[1] = to;
    else hunks.push([from, to]);
  }
  const lines: string[] = [];
  for (const [from, to] of hunks) {
    const part = ops.slice(from, to + 1);
    const aLines = part.filter((o) => o.kind !== '+').length;
    const bLines = part.filter((o) => o.kind !== '-').length;
    const first = part[0]!;
    // diff -u numbers from 1; an empty side starts at the line before (0 for an empty file).
    const aStart = aLines === 0 ? first.a : first.a + 1;
    const bStart = bLines === 0 ? first.b : first.b + 1;
    // As diff -u: a count of 1 is left out.
    const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${start},${count}`);
    lines.push(`@@ -${range(aStart, aLines)} +${range(bStart, bLines)} @@`);
    for (const o of part) lines.push(`${o.kind}${o.text}`);
  }
  return lines;
}
