/**
 * Demux throughput: `@* cat <file>` of a large file on every node, output through dust's TerminalOutput into
 * a sink that only checks order. Each file line is `<seq> <padding>`; per node the sink checks that the
 * sequence numbers arrive as 0,1,2,... (count plus a rolling checksum of the sequence).
 */
import { linkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import type { DustApp } from '../../src/shell/app.js';
import { nullSink, now } from './util.js';

export const LINE_BYTES = 100;

/** Writes a file of `bytes` (whole lines of LINE_BYTES) into the first node's home and hard-links it into the others. */
export function writeBigFile(cluster: SshdCluster, bytes: number): { name: string; lines: number; bytes: number } {
  const lines = Math.floor(bytes / LINE_BYTES);
  const pad = 'x'.repeat(LINE_BYTES);
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const head = `${i} `;
    parts.push(head + pad.slice(0, LINE_BYTES - head.length - 1));
  }
  const name = 'demux-bench.txt';
  const first = path.join(cluster.nodes[0]!.homeDir, name);
  writeFileSync(first, `${parts.join('\n')}\n`);
  for (const n of cluster.nodes.slice(1)) linkSync(first, path.join(n.homeDir, name));
  return { name, lines, bytes: lines * LINE_BYTES };
}

function expectedChecksum(lines: number): number {
  let h = 0;
  for (let i = 0; i < lines; i++) h = (Math.imul(h, 31) + i) >>> 0;
  return h;
}

/**
 * Per-node order checker fed with what TerminalOutput writes: `[name]  <seq> xxx…\n` chunks. A line
 * delivered in two pieces (its start as a "partial" after a quiet period, then the rest) is counted as
 * `split` and re-joined, so one split does not make every later line look out of order.
 */
export class OrderChecker {
  readonly perNode = new Map<string, { count: number; sum: number; outOfOrder: number; split: number; carry: string }>();
  readonly other: string[] = [];
  feed(chunk: string): void {
    let start = 0;
    while (start < chunk.length) {
      let nl = chunk.indexOf('\n', start);
      if (nl < 0) nl = chunk.length;
      const line = chunk.slice(start, nl);
      start = nl + 1;
      const close = line.indexOf(']');
      if (line[0] !== '[' || close < 0) { if (line) this.other.push(line); continue; }
      const name = line.slice(1, close);
      let s = this.perNode.get(name);
      if (!s) this.perNode.set(name, (s = { count: 0, sum: 0, outOfOrder: 0, split: 0, carry: '' }));
      let body = line.slice(close + 1).trimStart();
      if (s.carry) { body = s.carry + body; s.carry = ''; s.split++; }
      if (body.length < LINE_BYTES - 1) { s.carry = body; continue; } // the first piece of a split line
      const seq = Number.parseInt(body, 10);
      if (seq !== s.count) s.outOfOrder++;
      s.sum = (Math.imul(s.sum, 31) + seq) >>> 0;
      s.count++;
    }
  }
}

export interface DemuxResult { ms: number; mbPerS: number; totalBytes: number; ordered: boolean; splitLines: number; verified: boolean; detail: string }

/** One timed `@* cat` through a fresh sink; `app` must have its sessions open already. */
export async function demuxRun(appFor: (sink: ReturnType<typeof nullSink>) => Promise<DustApp>, file: { name: string; lines: number; bytes: number }, nodes: number, verify = true): Promise<DemuxResult> {
  const checker = new OrderChecker();
  const app = await appFor(verify ? nullSink((c) => checker.feed(c)) : nullSink());
  await app.runner.runLine('@* true'); // connect outside the timed part
  checker.perNode.clear();
  const t0 = now();
  const ok = await app.runner.runLine(`@* cat "$HOME"/${file.name}`);
  const ms = now() - t0;
  await app.shutdown();
  const want = expectedChecksum(file.lines);
  const bad = [...checker.perNode].filter(([, s]) => s.count !== file.lines || s.sum !== want || s.outOfOrder > 0 || s.carry !== '');
  const split = [...checker.perNode.values()].reduce((a, s) => a + s.split, 0);
  const totalBytes = file.bytes * nodes;
  const mbPerS = totalBytes / 1e6 / (ms / 1000);
  if (!verify) return { ms, mbPerS, totalBytes, ordered: ok, splitLines: 0, verified: false, detail: 'not checked (sink drops output)' };
  const ordered = ok && checker.perNode.size === nodes && bad.length === 0;
  const detail = (ordered
    ? `${nodes} nodes × ${file.lines} lines, in order`
    : `ok=${ok} nodes=${checker.perNode.size} bad=${bad.map(([n, s]) => `${n}:${s.count}/${s.outOfOrder}`).join(',')} other=${checker.other.slice(0, 3).join(' | ')}`)
    + (split > 0 ? `; ${split} line(s) delivered split in two` : '; no line split');
  return { ms, mbPerS, totalBytes, ordered, splitLines: split, verified: true, detail };
}
