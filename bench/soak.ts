/**
 * `npm run soak`: a fault matrix against one loopback OpenSSH cluster (default 200 nodes, one sshd each), one scenario
 * per row. Each row runs a line through dust as typed at the prompt (an in-process DustApp built from dist/, output
 * captured and parsed) and checks that
 *   - the healthy nodes' output arrives as if the faulty ones were not there (compared with the same line on a clean
 *     cluster),
 *   - each faulty node is named once, with a reason,
 *   - nothing hangs past the configured timeouts (connect 15 s, the run's own --timeout),
 *   - the shell is still usable afterwards (`@<healthy> true`), and every node answers again once the fault is gone.
 * Prints the table (also written to bench/results/soak-latest.md); docs/reliability.md explains it.
 *
 *   npm run soak -- [--n 200] [--only dead,blackhole,...] [--keep-going]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import type { DustApp } from '../src/shell/app.js';
import { fromDist, makeDustApp } from './lib/dust-app.js';
import { now, nullSink, sleep } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const arg = (flag: string, def: string): string => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('--n', '200'));
const CONNECT_TIMEOUT_MS = 15_000;

const targets = await fromDist<typeof import('../src/targets/index.js')>('targets/index.js');

// ---------------------------------------------------------------- what dust printed, parsed

interface Printed { t: number; text: string }

/** Everything the app printed, with the time each chunk arrived, split into lines. */
class Transcript {
  readonly lines: Printed[] = [];
  /** Lines of bulk output (`BULK`), counted per node rather than kept: the soak must not weigh more than dust. */
  readonly bulk = new Map<string, { count: number; lastT: number }>();
  private t0 = now();
  start(): void { this.lines.length = 0; this.bulk.clear(); this.t0 = now(); }
  feed(chunk: string): void {
    const t = now() - this.t0;
    for (const text of chunk.split('\n')) {
      if (text === '') continue;
      const bulk = BULK.exec(text);
      if (bulk) {
        const b = this.bulk.get(bulk[1]!) ?? { count: 0, lastT: 0 };
        b.count++;
        b.lastT = t;
        this.bulk.set(bulk[1]!, b);
      } else {
        this.lines.push({ t, text });
      }
    }
  }
  /** `[name] text` lines: output (or a per-node notice) of each node. */
  byNode(): Map<string, Printed[]> {
    const m = new Map<string, Printed[]>();
    for (const l of this.lines) {
      const hit = /^\[([^\]\s]+)\]\s?(.*)$/.exec(l.text);
      if (!hit) continue;
      const list = m.get(hit[1]!) ?? [];
      list.push({ t: l.t, text: hit[2]!.replace(/^\s+/, '') });
      m.set(hit[1]!, list);
    }
    return m;
  }
  /** Node names in the folded summary line (`✖ 3 unreachable: node[4-6] · …`). */
  summaryNames(): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of this.lines) {
      if (!/^[✖…] \d+ /.test(l.text)) continue;
      for (const part of l.text.slice(2).split(' — ')[0]!.split(' · ')) {
        const m = /^\d+ ([^:]+): (\S+)/.exec(part);
        if (!m) continue;
        for (const name of targets.expandNodeRange(m[2]!.replace(/ \(rc \d+\)$/, ''))) out.set(name, m[1]!);
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------- scenarios

interface Ctx {
  cluster: SshdCluster;
  /** The long-lived shell (sessions open), for faults that hit a running session. */
  app: DustApp;
  out: Transcript;
  workDir: string;
  config: string;
  fresh(): Promise<{ app: DustApp; out: Transcript; close(): Promise<void> }>;
}

interface Scenario {
  key: string;
  title: string;
  /** Nodes the fault is applied to (by index). */
  faulty: number[];
  /** Faulty nodes are expected to answer anyway (slow, big or binary output): they must not be named. */
  faultyAnswer?: boolean;
  /** Reason the faulty nodes must be named with. */
  reason?: RegExp;
  /** A fresh dust (cold start) rather than the long-lived one. */
  cold?: boolean;
  line: string;
  /** Healthy node output: every node prints this line (with its name substituted for `%n`). */
  healthyLine: string;
  /** What the row may take at most (the configured timeouts plus slack). */
  budgetMs: number;
  setup?(c: Ctx, nodes: string[]): Promise<void>;
  /** Started when the line starts; awaited after it ended. */
  during?(c: Ctx, nodes: string[], app: DustApp): Promise<void>;
  /** Extra checks; returns a note for the table or throws. */
  check?(c: Ctx, nodes: string[], out: Transcript): string | undefined;
  repair(c: Ctx, nodes: string[]): Promise<void>;
}

/** The 50 MB node's lines (`yes` of a 99-digit line). */
const BULK = /^\[([^\]\s]+)\]\s+(?:0123456789){9}012345678$/;
const COUNT_LINE = 'for i in $(seq 1 30); do echo "line $i"; sleep 0.1; done; echo "done $DUST_TEST_NODE"';

const SCENARIOS: Scenario[] = [
  {
    key: 'down20', title: '20 of 200 down: 10 refuse, 10 black-holed, cold start (the issue\'s case)', faulty: [...range(140, 150), ...range(150, 160)], cold: true,
    reason: /^connect: (ECONNREFUSED|timed out)/, line: '@* echo "up $DUST_TEST_NODE"', healthyLine: 'up %n', budgetMs: CONNECT_TIMEOUT_MS + 10_000,
    setup: async (c, nodes) => {
      for (const n of nodes.slice(0, 10)) await c.cluster.stopNode(n);
      for (const n of nodes.slice(10)) c.cluster.pauseNode(n);
    },
    repair: async (c, nodes) => {
      for (const n of nodes.slice(0, 10)) await c.cluster.startNode(n);
      for (const n of nodes.slice(10)) c.cluster.resumeNode(n);
    },
  },
  {
    key: 'dead', title: '10 dead nodes (connection refused), cold start', faulty: range(10, 20), cold: true,
    reason: /^connect: ECONNREFUSED /, line: '@* echo "up $DUST_TEST_NODE"', healthyLine: 'up %n', budgetMs: CONNECT_TIMEOUT_MS + 10_000,
    setup: async (c, nodes) => { for (const n of nodes) await c.cluster.stopNode(n); },
    repair: async (c, nodes) => { for (const n of nodes) await c.cluster.startNode(n); },
  },
  {
    key: 'blackhole', title: '10 black holes (TCP accepted, no banner), cold start', faulty: range(30, 40), cold: true,
    reason: /^connect: timed out \(TCP connected, but no SSH banner/, line: '@* echo "up $DUST_TEST_NODE"', healthyLine: 'up %n',
    budgetMs: CONNECT_TIMEOUT_MS + 10_000,
    setup: async (c, nodes) => { for (const n of nodes) c.cluster.pauseNode(n); },
    repair: async (c, nodes) => { for (const n of nodes) c.cluster.resumeNode(n); },
  },
  {
    key: 'slowbanner', title: '10 slow banners (sshd answers after 10 s), cold start', faulty: range(50, 60), cold: true, faultyAnswer: true,
    line: '@* echo "up $DUST_TEST_NODE"', healthyLine: 'up %n', budgetMs: CONNECT_TIMEOUT_MS + 10_000,
    setup: async (c, nodes) => { for (const n of nodes) c.cluster.pauseNode(n); },
    during: async (c, nodes) => { await sleep(10_000); for (const n of nodes) c.cluster.resumeNode(n); },
    check: (_c, nodes, out) => {
      const by = out.byNode();
      const at = nodes.map((n) => by.get(n)?.find((l) => l.text === `up ${n}`)?.t ?? NaN);
      if (at.some((t) => Number.isNaN(t))) throw new Error('a slow node did not answer');
      return `slow ones answered at ${secs(Math.min(...at))}–${secs(Math.max(...at))}`;
    },
    repair: async () => undefined,
  },
  {
    key: 'killed', title: 'sshd killed mid-output (1 node)', faulty: [70],
    reason: /connection (closed|lost)/, line: `@* ${COUNT_LINE}`, healthyLine: 'done %n', budgetMs: 20_000,
    during: async (c, nodes) => { await sleep(1000); for (const n of nodes) await c.cluster.stopNode(n); },
    check: (_c, nodes, out) => {
      const got = (out.byNode().get(nodes[0]!) ?? []).filter((l) => l.text.startsWith('line ')).length;
      if (got === 0 || got >= 30) throw new Error(`the killed node printed ${got} lines before it died`);
      return `${got} of 30 lines came before the kill`;
    },
    repair: async (c, nodes) => { for (const n of nodes) await c.cluster.startNode(n); },
  },
  {
    key: 'flap', title: 'a node drops and comes back during a command (1 node)', faulty: [80],
    reason: /connection (closed|lost)/, line: `@* ${COUNT_LINE}`, healthyLine: 'done %n', budgetMs: 20_000,
    during: async (c, nodes) => { await sleep(1000); for (const n of nodes) await c.cluster.restartNode(n); },
    repair: async () => undefined, // nothing to repair: the next command reconnects by itself
  },
  {
    key: 'hostkey', title: 'host key changes between two commands (1 node)', faulty: [90],
    reason: /^host key: REMOTE HOST IDENTIFICATION HAS CHANGED/, line: '@* echo "up $DUST_TEST_NODE"', healthyLine: 'up %n', budgetMs: 20_000,
    setup: async (c, nodes) => {
      await run(c.app, '@* true');
      for (const n of nodes) await c.cluster.regenerateHostKey(n);
      await sleep(500); // the old connection's loss reaches dust between the two commands
    },
    repair: async (c, nodes) => {
      // What the refusal's hint says to do, in dust itself.
      for (const n of nodes) await run(c.app, `known-hosts forget ${n}`);
    },
  },
  {
    key: 'diskfull', title: 'disk full: the node\'s HOME is a full tmpfs (1 node)', faulty: [100],
    reason: /No space left on device/, line: '@* echo "up $DUST_TEST_NODE"; cd ~ && echo data > soak-file && echo "wrote $(pwd)"', healthyLine: 'up %n',
    budgetMs: 20_000,
    setup: async (c, nodes) => {
      for (const n of nodes) {
        await c.app.sessions.close(await nodeNamed(c.app, n));
        const home = c.cluster.node(n).homeDir;
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'soak-full', home]);
        try { execFileSync('dd', ['if=/dev/zero', `of=${home}/filler`, 'bs=4k'], { stdio: 'ignore' }); } catch { /* full: that is the point */ }
      }
    },
    check: (_c, nodes, out) => {
      const lines = out.byNode().get(nodes[0]!) ?? [];
      if (!lines.some((l) => l.text === `up ${nodes[0]!}`)) throw new Error('the full node did not run the command');
      return 'the session itself needs no disk: the cwd comes back on the prompt marker';
    },
    repair: async (c, nodes) => {
      for (const n of nodes) {
        await c.app.sessions.close(await nodeNamed(c.app, n));
        execFileSync('umount', [c.cluster.node(n).homeDir]);
      }
    },
  },
  {
    key: 'bigoutput', title: '50 MB of output from one node, a line from the others', faulty: [110], faultyAnswer: true,
    line: '@* if [ "$DUST_TEST_NODE" = node110 ]; then yes 012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 50000000; fi; echo "done $DUST_TEST_NODE"',
    healthyLine: 'done %n', budgetMs: 60_000,
    check: (_c, nodes, out) => {
      const lines = out.byNode().get(nodes[0]!) ?? [];
      const big = out.bulk.get(nodes[0]!);
      if (big?.count !== 500_000) throw new Error(`the big node's lines: ${big?.count ?? 0} of 500000 printed`);
      if (!lines.some((l) => l.text === `done ${nodes[0]!}`)) throw new Error('the big node did not finish');
      return `all 500,000 lines printed, the last at ${secs(big.lastT)}; dust's RSS ${rssMiB()} MiB after`;
    },
    repair: async () => undefined,
  },
  {
    key: 'binary', title: 'binary output (2 MB of /dev/urandom on one node)', faulty: [120], faultyAnswer: true,
    line: '@* if [ "$DUST_TEST_NODE" = node120 ]; then head -c 2000000 /dev/urandom; echo; fi; echo "done $DUST_TEST_NODE"',
    healthyLine: 'done %n', budgetMs: 30_000,
    check: (_c, nodes, out) => {
      const lines = out.byNode().get(nodes[0]!) ?? [];
      if (lines.at(-1)?.text !== `done ${nodes[0]!}`) throw new Error(`the binary node's last line: ${JSON.stringify(lines.at(-1)?.text.slice(0, 40))}`);
      return `${lines.length} lines, ending in its own 'done'`;
    },
    repair: async () => undefined,
  },
  {
    key: 'noint', title: 'a command that never ends and ignores ^C (1 node), Ctrl-C after 3 s', faulty: [130],
    reason: /still running after \^C/, line: '@* if [ "$DUST_TEST_NODE" = node130 ]; then trap "" INT; while :; do sleep 1; done; fi; echo "done $DUST_TEST_NODE"',
    healthyLine: 'done %n', budgetMs: 15_000,
    during: async (_c, _nodes, app) => { await sleep(3000); app.runner.interrupt(); },
    repair: async (c, nodes) => {
      // The program owns that terminal: closing the session hangs it up (SIGHUP), and the next command starts afresh.
      for (const n of nodes) await c.app.sessions.close(await nodeNamed(c.app, n));
    },
  },
  {
    key: 'timeout', title: 'the same under `at --timeout 3` (1 node)', faulty: [135],
    reason: /timed out after 3 s; \^C did not stop it, it still runs/, line: 'at --timeout 3 * if [ "$DUST_TEST_NODE" = node135 ]; then trap "" INT; while :; do sleep 1; done; fi; echo "done $DUST_TEST_NODE"',
    healthyLine: 'done %n', budgetMs: 15_000,
    repair: async (c, nodes) => {
      for (const n of nodes) await c.app.sessions.close(await nodeNamed(c.app, n));
    },
  },
];

// ---------------------------------------------------------------- running a row

interface Row {
  title: string;
  healthy: string;
  time: string;
  named: string;
  alive: string;
  note: string;
  pass: boolean;
  problems: string[];
}

async function nodeNamed(app: DustApp, name: string): Promise<import('../src/plugins/api.js').DustNode> {
  const node = (await app.state.nodes()).find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return node;
}

async function run(app: DustApp, line: string): Promise<boolean> {
  return app.runner.runLine(line);
}

async function runScenario(c: Ctx, s: Scenario, clean: Map<string, number>): Promise<Row> {
  const names = c.cluster.nodes.map((n) => n.name);
  const faulty = s.faulty.map((i) => names[i]!);
  const healthy = names.filter((n) => !faulty.includes(n));
  const problems: string[] = [];
  const fresh = s.cold ? await c.fresh() : undefined;
  const app = fresh?.app ?? c.app;
  const out = fresh?.out ?? c.out;
  await s.setup?.(c, faulty);
  out.start();
  const t0 = now();
  const during = s.during?.(c, faulty, app);
  await run(app, s.line);
  const ms = now() - t0;
  await during;
  await sleep(300); // events delivered after the line (lost connections)
  const by = out.byNode();
  // Healthy nodes: their expected line, and when the last one came.
  let answered = 0;
  let last = 0;
  for (const n of healthy) {
    const hit = by.get(n)?.find((l) => l.text === s.healthyLine.replace('%n', n));
    if (hit) { answered++; last = Math.max(last, hit.t); }
  }
  const cleanMs = clean.get(s.cold ? 'cold' : s.line) ?? NaN;
  if (answered !== healthy.length) problems.push(`${healthy.length - answered} healthy nodes did not answer`);
  // "As if the faulty ones were not there": within twice the clean time plus a second (a loaded, shared box).
  if (last > 2 * cleanMs + 1000) problems.push(`healthy answers took ${secs(last)} (clean: ${secs(cleanMs)})`);
  if (ms > s.budgetMs) problems.push(`the line took ${secs(ms)}, over its ${secs(s.budgetMs)} budget`);
  // Faulty nodes: named once, with the reason.
  const summary = out.summaryNames();
  let named = 0;
  let twice = 0;
  let reason = '';
  for (const n of faulty) {
    const notes = (by.get(n) ?? []).filter((l) => l.text.startsWith('✖') || /connection lost|reconnect/.test(l.text));
    if (notes.length > 1) twice++;
    const said = (by.get(n) ?? []).filter((l) => !l.text.startsWith('✖')).at(-1)?.text;
    const why = notes[0]?.text.replace(/^✖\s*/, '') ?? (summary.has(n) ? `${summary.get(n)!} (summary)${said ? `; its output: ${said}` : ''}` : undefined);
    if (why !== undefined) {
      named++;
      reason ||= why;
      // The reason may be the node's own output (a full disk says so itself).
      const said = [why, ...(by.get(n) ?? []).map((l) => l.text)].join('\n');
      if (s.reason && !s.reason.test(said) && !s.reason.test(why)) problems.push(`${n} named as '${why.slice(0, 80)}'`);
    }
  }
  if (s.faultyAnswer) {
    if (named > 0) problems.push(`${named} answering nodes were named as failed (${reason.slice(0, 60)})`);
  } else {
    if (named !== faulty.length) problems.push(`${faulty.length - named} faulty nodes not named`);
    if (twice > 0) problems.push(`${twice} faulty nodes named more than once`);
  }
  let note = '';
  try {
    note = s.check?.(c, faulty, out) ?? '';
  } catch (err) {
    problems.push((err as Error).message);
  }
  // The shell goes on: the healthy nodes answer the next line, before any repair.
  out.start();
  const aliveOk = await run(app, `@${targets.foldNodeNames(healthy)} true`);
  await s.repair(c, faulty);
  // And once the fault is gone, every node answers again (a reconnect where one was lost).
  out.start();
  const backOk = await run(app, '@* true');
  const back = backOk ? 'all back' : `not all back: ${out.lines.map((l) => l.text).filter((t) => t.includes('✖')).slice(0, 2).join(' | ')}`;
  if (!aliveOk) problems.push('the healthy nodes did not answer the next line');
  if (!backOk) problems.push(back);
  await fresh?.close();
  return {
    title: s.title,
    healthy: `${answered}/${healthy.length} by ${secs(last)} (clean ${secs(cleanMs)})`,
    time: secs(ms),
    named: s.faultyAnswer ? `– (${named} named)` : `${named}/${faulty.length}${twice ? ` (${twice} twice)` : ' once'}: ${reason.slice(0, 70)}`,
    alive: `${aliveOk ? 'yes' : 'NO'}; after repair ${back}`,
    note,
    pass: problems.length === 0,
    problems,
  };
}

// ---------------------------------------------------------------- helpers

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
function secs(ms: number): string {
  return Number.isNaN(ms) ? '–' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
function rssMiB(): string {
  return (process.memoryUsage().rss / 2 ** 20).toFixed(0);
}

function writeConfig(cluster: SshdCluster, dir: string): string {
  const lines = [
    'sshConfig: false',
    'hostKeyChecking: accept-new',
    'ssh:',
    `  connectTimeoutMs: ${CONNECT_TIMEOUT_MS}`,
    'nodes:',
    ...cluster.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port}, cluster: soak }`),
    'logins:',
    "  - selector: '*'",
    `    user: ${cluster.user}`,
    `    identityFile: ${cluster.clientKeyPath}`,
  ];
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'dust.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function appWithTranscript(config: string, home: string): Promise<{ app: DustApp; out: Transcript }> {
  const out = new Transcript();
  const app = await makeDustApp(config, home, nullSink((chunk) => out.feed(chunk)));
  return { app, out };
}

function table(rows: readonly Row[], meta: string): string {
  const lines = [
    meta,
    '',
    '| scenario | healthy nodes answered | time | faulty nodes named | shell alive afterwards | notes |',
    '|---|---|---:|---|---|---|',
    ...rows.map((r) => `| ${r.pass ? '' : '**FAIL** '}${r.title} | ${r.healthy} | ${r.time} | ${r.named.replace(/\|/g, '\\|')} | ${r.alive} | ${[r.note, ...r.problems].filter(Boolean).join('; ').replace(/\|/g, '\\|')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const only = new Set(arg('--only', SCENARIOS.map((s) => s.key).join(',')).split(','));
  for (const k of only) if (!SCENARIOS.some((s) => s.key === k)) throw new Error(`--only: unknown scenario ${k} (have ${SCENARIOS.map((s) => s.key).join(', ')})`);
  if (N < 170) throw new Error('--n: at least 170 (the scenarios use nodes up to node159)');
  const loadStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  log(`soak: starting ${N} sshds (load ${loadStart})`);
  const cluster = await startSshdCluster({ count: N, timeoutMs: 60_000 + 200 * N });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'dust-soak-'));
  const config = writeConfig(cluster, workDir);
  const homes: string[] = [];
  const newHome = (): string => { const h = mkdtempSync(path.join(workDir, 'home-')); homes.push(h); return h; };
  const main = await appWithTranscript(config, newHome());
  const c: Ctx = {
    cluster, app: main.app, out: main.out, workDir, config,
    fresh: async () => {
      const f = await appWithTranscript(config, newHome());
      return { ...f, close: () => f.app.shutdown() };
    },
  };
  const rows: Row[] = [];
  const t0 = now();
  try {
    // Clean runs of each line: what "as if the faulty ones were not there" is measured against.
    const clean = new Map<string, number>();
    {
      const f = await c.fresh();
      f.out.start();
      const t = now();
      if (!(await run(f.app, '@* echo "up $DUST_TEST_NODE"'))) throw new Error('the clean cold run failed');
      clean.set('cold', now() - t);
      await f.close();
    }
    if (!(await run(c.app, '@* true'))) throw new Error('the clean warm run failed');
    for (const s of SCENARIOS) {
      if (s.cold || clean.has(s.line)) continue;
      const t = now();
      c.out.start();
      await run(c.app, s.line.replace(/node1[123][05]/g, 'none'));
      clean.set(s.line, now() - t);
    }
    log(`clean runs: ${[...clean].map(([k, v]) => `${k.slice(0, 30)} ${secs(v)}`).join(', ')}`);
    for (const s of SCENARIOS) {
      if (!only.has(s.key)) continue;
      log(`- ${s.title}`);
      const row = await runScenario(c, s, clean).catch((err: unknown): Row => ({
        title: s.title, healthy: '–', time: '–', named: '–', alive: '–', note: '', pass: false, problems: [`crashed: ${(err as Error).stack ?? String(err)}`],
      }));
      rows.push(row);
      log(`  ${row.pass ? 'ok' : 'FAIL'}: healthy ${row.healthy}; ${row.time}; named ${row.named}; alive ${row.alive}${row.problems.length ? `; problems: ${row.problems.join('; ')}` : ''}${row.note ? `; ${row.note}` : ''}`);
      await sleep(500);
    }
  } finally {
    await c.app.shutdown().catch(() => undefined);
    for (const n of cluster.nodes) { try { execFileSync('umount', [n.homeDir], { stdio: 'ignore' }); } catch { /* not mounted */ } }
    await cluster.down();
    rmSync(workDir, { recursive: true, force: true });
  }
  const meta = `Soak ${new Date().toISOString()}: ${N} nodes (one sshd each, loopback), connect timeout ${secs(CONNECT_TIMEOUT_MS)}; `
    + `${os.availableParallelism()} cores, load ${loadStart} → ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${Math.round((now() - t0) / 1000)} s.`;
  const text = table(rows, meta);
  process.stdout.write(`\n${text}`);
  writeFileSync(path.join(here, 'results', 'soak-latest.md'), text);
  if (rows.some((r) => !r.pass)) process.exitCode = 1;
}

main().then(() => process.exit(process.exitCode ?? 0), (err: unknown) => {
  log(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(2);
});
