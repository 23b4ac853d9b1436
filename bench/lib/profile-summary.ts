/**
 * Summarises a .cpuprofile (Chrome/V8 format): self time per function and per file, largest first.
 *   node --import tsx bench/lib/profile-summary.ts FILE [--top 40]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
export interface CpuProfile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileSummary {
  totalMs: number;
  wallMs: number;
  /** `function file:line` → self ms, largest first. */
  functions: [string, number][];
  /** package or source folder → self ms, largest first. */
  files: [string, number][];
}

export function summarizeProfile(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    // Not the program's work: waiting, and the inspector's own calls when the profile is taken in-process.
    if (n.callFrame.functionName === '(idle)' || (n.callFrame.functionName === 'dispatch' && n.callFrame.url === '')) continue;
    const short = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/.*?\/(src|bench|test|dist)\//, '$1/');
    const key = `${n.callFrame.functionName || '(anon)'} ${short}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us / 1000);
    const f = short.split('/').slice(0, 2).join('/') || n.callFrame.functionName;
    files.set(f, (files.get(f) ?? 0) + us / 1000);
    total += us / 1000;
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return { totalMs: total, wallMs: (p.endTime - p.startTime) / 1000, functions: sorted(fn), files: sorted(files) };
}

/** The summary as text: the top functions and files with their share of the samples. */
export function formatProfileSummary(s: ProfileSummary, top = 40): string {
  const lines = [`total ${s.totalMs.toFixed(0)} ms sampled, wall ${s.wallMs.toFixed(0)} ms`, '-- by function (self)'];
  const show = (rows: [string, number][], n: number): void => {
    for (const [k, ms] of rows.slice(0, n)) lines.push(`${ms.toFixed(0).padStart(7)} ms ${(100 * ms / s.totalMs).toFixed(1).padStart(5)}%  ${k}`);
  };
  show(s.functions, top);
  lines.push('-- by file/module');
  show(s.files, 25);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: profile-summary FILE [--top N]');
  const ti = process.argv.indexOf('--top');
  console.log(formatProfileSummary(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), ti >= 0 ? Number(process.argv[ti + 1]) : 40));
}
