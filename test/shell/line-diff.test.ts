import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { MAX_EDITS, unifiedDiff } from '../../src/output/line-diff.js';

/** Applies unified hunks to `a` (what `patch` would do), to check that a diff really turns a into b. */
function applyHunks(a: readonly string[], hunks: readonly string[]): string[] {
  const out: string[] = [];
  let pos = 0;
  for (let k = 0; k < hunks.length; k++) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(hunks[k]!);
    if (!m) continue;
    const start = m[2] === '0' ? Number(m[1]) : Number(m[1]) - 1;
    while (pos < start) out.push(a[pos++]!);
    for (k++; k < hunks.length && !hunks[k]!.startsWith('@@'); k++) {
      const line = hunks[k]!;
      if (line[0] === ' ') { expect(a[pos]).to.equal(line.slice(1)); out.push(a[pos++]!); }
      else if (line[0] === '-') { expect(a[pos]).to.equal(line.slice(1)); pos++; }
      else out.push(line.slice(1));
    }
    k--;
  }
  while (pos < a.length) out.push(a[pos++]!);
  return out;
}

/** Pseudo-random but repeatable. */
function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

describe('line diff (gather --diff)', () => {
  it('prints hunks as diff -u does for a simple change', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'];
    const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11'];
    expect(unifiedDiff(a, b)).to.deep.equal([
      '@@ -2,9 +2,10 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ' 9', ' 10', '+11',
    ]);
    expect(unifiedDiff(a, a)).to.deep.equal([]);
    expect(unifiedDiff([], ['x'])).to.deep.equal(['@@ -0,0 +1 @@', '+x']);
    expect(unifiedDiff(['x'], [])).to.deep.equal(['@@ -1 +0,0 @@', '-x']);
    expect(unifiedDiff(['one'], ['two']), 'a replaced line starts at line 1 on both sides').to.deep.equal(['@@ -1 +1 @@', '-one', '+two']);
    expect(unifiedDiff(['a', 'x', 'b'], ['a', 'y', 'z', 'b'])).to.deep.equal(['@@ -1,3 +1,4 @@', ' a', '-x', '+y', '+z', ' b']);
  });

  it('on random edits: applying the hunks gives b, and it changes as few lines as GNU diff', function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dust-diff-'));
    try {
      const rand = rng(7);
      for (let t = 0; t < 150; t++) {
        const a = Array.from({ length: Math.floor(rand() * 40) }, () => 'abcdef'[Math.floor(rand() * 6)]!);
        const b = [...a];
        for (let e = 0; e < 1 + Math.floor(rand() * 4); e++) {
          const at = Math.floor(rand() * (b.length + 1));
          if (rand() < 0.5 && b.length > 0) b.splice(at, 1); else b.splice(at, 0, `new${e}`);
        }
        const hunks = unifiedDiff(a, b)!;
        expect(applyHunks(a, hunks), JSON.stringify({ a, b })).to.deep.equal(b);
        writeFileSync(path.join(dir, 'a'), a.map((l) => `${l}\n`).join(''));
        writeFileSync(path.join(dir, 'b'), b.map((l) => `${l}\n`).join(''));
        let gnu = '';
        try { gnu = execFileSync('diff', ['-u', path.join(dir, 'a'), path.join(dir, 'b')]).toString(); } catch (e) { gnu = String((e as { stdout: Buffer }).stdout); }
        const count = (lines: string[], c: string): number => lines.filter((l) => l.startsWith(c) && !l.startsWith(`${c}${c}${c} `)).length;
        const g = gnu.split('\n');
        expect([count(hunks, '-'), count(hunks, '+')], JSON.stringify({ a, b })).to.deep.equal([count(g, '-'), count(g, '+')]);
        // Where GNU chose the same alignment (most cases), the hunks must be identical, headers included.
        const gnuHunks = g.slice(2).filter((l) => l !== '' && !l.startsWith('\\'));
        const sameChanges = JSON.stringify(gnuHunks.filter((l) => !l.startsWith('@@'))) === JSON.stringify(hunks.filter((l) => !l.startsWith('@@')));
        if (sameChanges) expect(hunks, JSON.stringify({ a, b })).to.deep.equal(gnuHunks);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('diffs long outputs that differ in a few lines (3002 lines, 2 changed), wherever the changes are', () => {
    const a = Array.from({ length: 3002 }, (_, i) => `line ${i}`);
    const b = [...a];
    b[10] = 'changed early';
    b[2990] = 'changed late';
    const hunks = unifiedDiff(a, b)!;
    expect(hunks.filter((l) => l.startsWith('@@'))).to.deep.equal(['@@ -8,7 +8,7 @@', '@@ -2988,7 +2988,7 @@']);
    expect(applyHunks(a, hunks)).to.deep.equal(b);
    const big = Array.from({ length: 100_000 }, (_, i) => `line ${i}`);
    const changed = [...big];
    changed[50_000] = 'changed';
    expect(unifiedDiff(big, changed)).to.deep.equal([
      '@@ -49998,7 +49998,7 @@', ' line 49997', ' line 49998', ' line 49999', '-line 50000', '+changed', ' line 50001', ' line 50002', ' line 50003',
    ]);
  });

  it(`does not diff outputs that differ in more than ${MAX_EDITS} lines`, () => {
    const other = Array.from({ length: 5000 }, (_, i) => `other ${i}`);
    expect(unifiedDiff(other, Array.from({ length: 5000 }, (_, i) => `else ${i}`))).to.equal(undefined);
    // The same lines, reordered: no line is missing, yet far more than the limit would have to move.
    expect(unifiedDiff(other, [...other.slice(2500), ...other.slice(0, 2500)])).to.equal(undefined);
    const few = [...other];
    few.splice(100, 400, ...Array.from({ length: 400 }, (_, i) => `new ${i}`));
    expect(unifiedDiff(other, few)).to.have.length.greaterThan(800);
  });
});
