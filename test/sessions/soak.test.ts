/**
 * Soak: a seeded random mix of the operations that used to wedge sessions (cat + ^C, nested shells and exit,
 * vim in a raw shell left with ^C×3, background jobs, prompts, a shell that exits, a program that ignores ^C)
 * on 5 real sshd nodes, checking after every step that a plain `echo` answers on every node. The seed is fixed,
 * so a failure names a step that can be replayed (DUST_SOAK_SEED, DUST_SOAK_STEPS to explore).
 */
import fs from 'node:fs';
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { clusterNodes, eventually, managerFor, typeUntil } from '../ssh-sessions/helpers.js';
import { FakeTerminal } from '../ssh-sessions/fake-terminal.js';
import { stripAnsi } from '../helpers/pty-driver.js';

/** mulberry32: small, seedable, good enough to pick operations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env['DUST_SOAK_SEED'] ?? 20261203);
const STEPS = Number(process.env['DUST_SOAK_STEPS'] ?? 300);
const vim = ['/usr/bin/vim', '/usr/bin/vi', '/bin/vi'].find((p) => fs.existsSync(p));

describe(`soak: ${STEPS} random session operations on 5 nodes (seed ${SEED})`, function () {
  this.timeout(600_000);
  let cluster: SshdCluster;
  let sm: SessionManager;
  let nodes: DustNode[];
  let bgDone = 0;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 5 });
    let transport;
    ({ sm, transport } = managerFor(cluster, { interruptGraceMs: 600, onBackgroundLine: (_n, l) => { if (l.endsWith('bg-done')) bgDone++; } }));
    const trace = process.env['DUST_SOAK_TRACE'];
    if (trace) {
      // Every byte each way, per node, for replaying a failure by hand.
      const open = transport.openShell.bind(transport);
      transport.openShell = async (node, req) => {
        const ch = await open(node, req);
        const write = ch.write.bind(ch);
        const log = (dir: string, d: string | Uint8Array) => fs.appendFileSync(`${trace}.${node.name}`, `${dir} ${JSON.stringify(Buffer.from(d).toString('latin1'))}\n`);
        ch.write = (d) => { log('>>', d); write(d); };
        ch.onData((d) => log('<<', d));
        return ch;
      };
    }
    nodes = clusterNodes(cluster);
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('every node answers a plain echo after every step; no marker ever reaches output', async () => {
    const random = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const subset = (): DustNode[] => {
      const s = nodes.filter(() => random() < 0.5);
      return s.length > 0 ? s : [pick(nodes)];
    };
    const seen: string[] = [];
    const run = async (ns: DustNode[], cmd: string, opts: Parameters<SessionManager['run']>[2] = {}) => {
      const rs = await sm.run(ns, cmd, opts);
      for (const r of rs) seen.push(...r.output);
      return rs;
    };
    const abortAfter = (ms: number) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), ms);
      return ac.signal;
    };
    const ops: { name: string; weight: number; run(): Promise<void> }[] = [
      { name: 'echo', weight: 20, run: async () => { await run(subset(), 'echo hi'); } },
      { name: 'cat + ^C', weight: 12, run: async () => { await run(subset(), 'cat', { signal: abortAfter(150 + random() * 300) }); } },
      { name: 'sleep + ^C', weight: 8, run: async () => { await run(subset(), 'sleep 5', { signal: abortAfter(random() * 200) }); } },
      { name: 'nested bash, then exit', weight: 8, run: async () => {
        const ns = subset();
        await run(ns, 'bash --norc -i');
        await run(ns, 'echo nested $$');
        await run(ns, `exit ${Math.floor(random() * 3)}`);
      } },
      { name: 'background job', weight: 10, run: async () => {
        // Its line must arrive before the next step: a background line that lands right after another command's
        // `read -p` prompt glues to it ("Go? bg-done"), and that prompt is then not seen as waiting (a known limit).
        const ns = subset();
        const before = bgDone;
        await run(ns, '(sleep 0.2; echo bg-done) &');
        await eventually(() => bgDone - before >= ns.length, 'the background lines', 10_000);
      } },
      { name: 'prompt answered', weight: 10, run: async () => {
        const ns = subset();
        const rs = await run(ns, "read -p 'Go? ' a; echo \"a=$a\"");
        expect(rs.every((r) => r.status === 'waiting'), 'waiting at Go?').to.equal(true);
        await run(ns, 'yes');
      } },
      { name: 'shell exits', weight: 6, run: async () => { await run([pick(nodes)], `cd /tmp; exit ${Math.floor(random() * 4)}`); } },
      { name: 'ignores ^C', weight: 4, run: async () => {
        const n = pick(nodes);
        const ac = new AbortController();
        await run([n], "( trap '' INT; echo armed; sleep 1 )", { signal: ac.signal, onLine: (_x, l) => { if (l === 'armed') ac.abort(); } });
        await eventually(() => sm.stateOf(n) === 'idle', 'the ignoring program to end', 10_000);
      } },
      { name: 'timeout', weight: 4, run: async () => { await run(subset(), 'sleep 5', { timeoutMs: 200 }); } },
      { name: 'raw shell with vim, ^C×3, back, :q!', weight: vim ? 4 : 0, run: async () => {
        const n = pick(nodes);
        const t1 = new FakeTerminal(24, 80);
        const a1 = sm.attachRaw(n, t1.terminal);
        await eventually(() => /\$ $/.test(stripAnsi(t1.text)), 'raw prompt');
        t1.type(`${vim} -u NONE -n /tmp/soak-${n.name}\r`);
        await eventually(() => t1.text.includes('\x1b[?1049h'), 'vim');
        t1.type('\x03\x03\x03');
        expect(await a1).to.equal('detached');
        await eventually(() => sm.stateOf(n) === 'program', 'program state');
        const t2 = new FakeTerminal(24, 80);
        const a2 = sm.attachRaw(n, t2.terminal);
        await eventually(() => t2.text.includes('\x1b[?1049h'), 'vim again');
        await typeUntil((k) => t2.type(k), ':q!\r', () => /\$ $/.test(stripAnsi(t2.text)), 'raw prompt after vim');
        t2.type('\x03\x03\x03');
        expect(await a2).to.equal('detached');
        expect(t1.text + t2.text).to.not.include('__DUST');
      } },
    ];
    const total = ops.reduce((s, o) => s + o.weight, 0);
    const choose = () => {
      let r = random() * total;
      for (const o of ops) if ((r -= o.weight) < 0) return o;
      return ops[0]!;
    };
    const counts = new Map<string, number>();
    for (let step = 1; step <= STEPS; step++) {
      const op = choose();
      counts.set(op.name, (counts.get(op.name) ?? 0) + 1);
      const deadline = (what: string) => new Promise<never>((_, reject) => setTimeout(
        () => reject(new Error(`${what} did not finish within 20 s; states ${nodes.map((n) => `${n.name}=${sm.stateOf(n)}`).join(' ')}`)), 20_000));
      try {
        await Promise.race([op.run(), deadline('the operation')]);
        const word = `alive${step}`;
        const rs = await Promise.race([
          run(nodes, `echo ${word}`),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within 15 s; states ${nodes.map((n) => `${n.name}=${sm.stateOf(n)}`).join(' ')}`)), 15_000)),
        ]);
        // A prompt's answer may still be printing late lines of a background job: the echo must be there.
        for (const r of rs) expect([r.status, r.output.at(-1)], r.node.name).to.deep.equal(['ok', word]);
      } catch (err) {
        throw new Error(`step ${step} (${op.name}, seed ${SEED}): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    expect(seen.join('\n')).to.not.include('__DUST');
    console.log(`      ${[...counts].map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  });
});
