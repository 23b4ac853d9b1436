import { structuredPatch } from 'diff';

/**
 * Line diff in unified format (`@@ -a,n +b,m @@`, then ` `/`-`/`+` lines as `diff -u` prints them), for
 * `gather --diff`. jsdiff's Myers diff costs (lines + edits) × edits, so two long outputs that differ in a
 * few lines are cheap however long they are; outputs that differ in more than MAX_EDITS lines are not
 * diffed (such a diff is no easier to read than the output itself, and the shell must not stall).
 */

/** Inserted plus deleted lines beyond which no diff is computed (~0.3 s worst case on a small machine). */
export const MAX_EDITS = 1000;

/** Unified hunks with `context` lines around each change; [] when equal, undefined when too different. */
export function unifiedDiff(a: readonly string[], b: readonly string[], context = 3): string[] | undefined {
  if (editsAtLeast(a, b) > MAX_EDITS) return undefined;
  const patch = structuredPatch('', '', asText(a), asText(b), undefined, undefined, { context, maxEditLength: MAX_EDITS });
  if (!patch) return undefined;
  return patch.hunks.flatMap((h) => [
    `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`,
    ...h.lines.filter((l) => !l.startsWith('\\')),
  ]);
}

/** Every line newline-terminated, so the last line is compared like the others (no "\ No newline"). */
function asText(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

/** As `diff -u`: a count of 1 is left out; an empty range names the line before it (0 at the top). */
function range(start: number, count: number): string {
  // jsdiff numbers an empty range by the line after it; diff -u (and jsdiff's own formatPatch) by the one before.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * A lower bound of the edits turning `a` into `b`: every line of one without a partner among the other's
 * lines must be deleted or inserted. Linear, so wildly different outputs are refused without running Myers.
 */
function editsAtLeast(a: readonly string[], b: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const l of a) counts.set(l, (counts.get(l) ?? 0) + 1);
  let common = 0;
  for (const l of b) {
    const n = counts.get(l) ?? 0;
    if (n > 0) {
      common++;
      counts.set(l, n - 1);
    }
  }
  return a.length + b.length - 2 * common;
}
