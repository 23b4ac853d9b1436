/**
 * Summarises a .cpuprofile (Chrome/V8 format): self time per function and per file, largest first.
 *   node --import tsx bench/lib/profile-summary.ts FILE [--top 40]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary FILE [--top N]');
const ti = process.argv.indexOf('--top');
const top = ti >= 0 ? Number(process.argv[ti + 1]) : 40;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
const fn = new Map<string, number>();
const files = new Map<string, number>();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const short = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/work\/main\//, '');
  const key = `${n.callFrame.functionName || '(anon)'} ${short}:${n.callFrame.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const f = short.split('/').slice(0, 2).join('/') || n.callFrame.functionName;
  files.set(f, (files.get(f) ?? 0) + us);
  total += us;
}
const show = (m: Map<string, number>, n: number): void => {
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${(100 * us / total).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`total ${(total / 1000).toFixed(0)} ms sampled, wall ${((p.endTime - p.startTime) / 1000).toFixed(0)} ms`);
console.log('-- by function (self)');
show(fn, top);
console.log('-- by file/module');
show(files, 25);
