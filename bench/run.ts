/**
 * dust benchmarks on a loopback OpenSSH cluster (test/harness), one fresh cluster per size N.
 *
 *   npm run bench -- [--sizes 10,50,200] [--reps 5] [--only floor,warm,cm,peers,cold,rss,demux,exec,outdir] [--json out.json]
 *   (or BENCH_SIZES / BENCH_REPS / BENCH_ONLY / BENCH_JSON)
 *
 * dust runs in-process (DustApp wired as src/shell/main.ts does, output into a null sink). Prints one table
 * per measurement with medians and ratios; writes bench/results/latest.json and latest.md. See docs/performance.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import { makeDustApp, runOk, writeBenchConfig } from './lib/dust-app.js';
import { LINE_BYTES, demuxRun, writeBigFile, type DemuxResult } from './lib/demux.js';
import { ControlMasters, FANOUT, findPeers, load, machineMeta, type Peer } from './lib/openssh.js';
import { closeAll, closeShells, markerRound, openShells, rawConnectAll } from './lib/raw-ssh2.js';
import { rssPerSession, type RssResult } from './lib/rss.js';
import { median, now, sleep } from './lib/util.js';
import { measureExecModes, measureOutdir, type ExecModesResult, type OutdirRun } from './lib/scripting.js';

const SECTIONS = ['floor', 'warm', 'cm', 'peers', 'cold', 'rss', 'demux', 'exec', 'outdir'] as const;
type Section = (typeof SECTIONS)[number];

interface Options { sizes: number[]; reps: number; only: Set<Section>; json: string | undefined; demuxMb: number }

function parseOptions(argv: readonly string[]): Options {
  const get = (flag: string, env: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`${flag}=`));
    return eq ? eq.slice(flag.length + 1) : process.env[env];
  };
  const sizes = (get('--sizes', 'BENCH_SIZES') ?? '10,50,200').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 4000)) throw new Error('--sizes: integers 1..4000');
  const reps = Number(get('--reps', 'BENCH_REPS') ?? 5);
  if (!Number.isInteger(reps) || reps < 1 || reps > 100) throw new Error('--reps: 1..100');
  const onlyRaw = get('--only', 'BENCH_ONLY');
  const only = new Set<Section>(onlyRaw ? onlyRaw.split(',').map((s) => s.trim()) as Section[] : SECTIONS);
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (have ${SECTIONS.join(',')})`);
  const demuxMb = Number(get('--demux-mb', 'BENCH_DEMUX_MB') ?? 20);
  return { sizes, reps, only, json: get('--json', 'BENCH_JSON'), demuxMb };
}

/** Repetitions: `reps` for fast things; slow fresh-connection runs get fewer, fewest at N ≥ 200. */
const slowReps = (reps: number, n: number): number => Math.min(reps, n >= 200 ? 2 : 3);
const coldReps = (reps: number, n: number): number => Math.min(reps, n >= 200 ? 3 : 5);

interface Sample { median: number; samples: number[] }
const sample = (samples: number[]): Sample => ({ median: median(samples), samples: samples.map((x) => Math.round(x * 10) / 10) });

interface SizeResult {
  n: number;
  clusterStartMs: number;
  loadStart: number[];
  loadEnd: number[];
  floorNoPty?: Sample;
  floorPty?: Sample;
  dustWarm?: Sample;
  cmRound?: Sample;
  cmOpen?: number;
  peers: Record<string, Sample | { skipped: string }>;
  rawConnect?: Sample;
  /** Opening a PTY shell channel on every open connection until each answers a first marker (one run). */
  rawShellStartMs?: number;
  dustCold?: Sample;
  rss?: RssResult;
  demux?: DemuxResult[];
  /** `uname -r`: @ (persistent shell) vs at --no-pty (exec), warm and cold, and clush. */
  execModes?: ExecModesResult;
  /** --outdir with every node printing 1 MB (largest N only). */
  outdir?: OutdirRun[];
  errors: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

// ---------------------------------------------------------------- cleanup on every path

let liveCluster: SshdCluster | undefined;
let liveMasters: ControlMasters | undefined;
process.on('SIGINT', () => {
  log('\ninterrupted: tearing the cluster down');
  void (async () => {
    await liveMasters?.close().catch(() => undefined);
    await liveCluster?.down().catch(() => undefined);
    process.exit(130);
  })();
});

// ---------------------------------------------------------------- measurements

async function measureFloorAndRawConnect(cluster: SshdCluster, o: Options, r: SizeResult): Promise<void> {
  const n = cluster.nodes.length;
  const connects: number[] = [];
  const first = await rawConnectAll(cluster, FANOUT);
  connects.push(first.ms);
  if (o.only.has('floor') || o.only.has('warm')) {
    for (const pty of [false, true]) {
      const tOpen = now();
      const shells = await openShells(first.clients, pty);
      // Channel open + login shell start + first marker: the part of a cold start that follows the handshake.
      if (pty) r.rawShellStartMs = now() - tOpen;
      const times: number[] = [];
      for (let i = 0; i < o.reps; i++) times.push(await markerRound(shells));
      closeShells(shells);
      if (pty) r.floorPty = sample(times); else r.floorNoPty = sample(times);
      log(`  floor ${pty ? 'PTY   ' : 'no PTY'}: ${fmt(median(times))}`);
      await sleep(200);
    }
  }
  await closeAll(first.clients);
  if (o.only.has('cold')) {
    for (let i = 1; i < coldReps(o.reps, n); i++) {
      await sleep(500);
      const again = await rawConnectAll(cluster, FANOUT);
      connects.push(again.ms);
      await closeAll(again.clients);
    }
  }
  r.rawConnect = sample(connects);
  log(`  raw ssh2 connect (${FANOUT} in flight): ${fmt(r.rawConnect.median)}`);
}

async function measureDust(cluster: SshdCluster, o: Options, r: SizeResult, workDir: string): Promise<void> {
  const n = cluster.nodes.length;
  const config = writeBenchConfig(cluster, workDir);
  const cold: number[] = [];
  const warm: number[] = [];
  const reps = o.only.has('cold') ? coldReps(o.reps, n) : 1;
  for (let rep = 0; rep < reps; rep++) {
    const home = mkdtempSync(path.join(workDir, 'home-'));
    const app = await makeDustApp(config, home);
    try {
      const t0 = now();
      await runOk(app, '@* true');
      cold.push(now() - t0);
      if (rep === 0 && (o.only.has('warm'))) {
        await runOk(app, '@* true');
        for (let i = 0; i < o.reps; i++) {
          const t = now();
          await runOk(app, '@* true');
          warm.push(now() - t);
        }
      }
    } finally {
      await app.shutdown();
      rmSync(home, { recursive: true, force: true });
    }
    await sleep(500);
  }
  if (o.only.has('cold')) { r.dustCold = sample(cold); log(`  dust cold @* true: ${fmt(r.dustCold.median)}`); }
  if (warm.length) { r.dustWarm = sample(warm); log(`  dust warm @* true: ${fmt(r.dustWarm.median)}`); }
}

async function measureControlMaster(cluster: SshdCluster, o: Options, r: SizeResult): Promise<void> {
  const cm = new ControlMasters(cluster);
  liveMasters = cm;
  try {
    await cm.open();
    r.cmOpen = cm.openMs;
    const times: number[] = [];
    await cm.round(); // warm-up
    for (let i = 0; i < o.reps; i++) times.push(await cm.round());
    r.cmRound = sample(times);
    log(`  ControlMaster: open ${fmt(cm.openMs)}, round ${fmt(r.cmRound.median)}`);
  } finally {
    await cm.close();
    liveMasters = undefined;
  }
}

async function measurePeers(cluster: SshdCluster, peers: readonly Peer[], o: Options, r: SizeResult): Promise<void> {
  for (const p of peers) {
    const times: number[] = [];
    try {
      for (let i = 0; i < slowReps(o.reps, cluster.nodes.length); i++) {
        await sleep(500);
        times.push(await p.once(cluster));
      }
      r.peers[p.name] = sample(times);
      log(`  ${p.name}: ${fmt(median(times))}`);
    } catch (err) {
      r.errors.push(`${p.name}: ${String(err)}`);
      log(`  ${p.name}: FAILED ${String(err)}`);
    }
  }
}

async function measureRss(cluster: SshdCluster, r: SizeResult, workDir: string): Promise<void> {
  try {
    r.rss = await rssPerSession(cluster, workDir);
    log(`  RSS: ${r.rss.rssBeforeMiB.toFixed(1)} → ${r.rss.rssAfterMiB.toFixed(1)} MiB with ${r.rss.sessions} sessions = ${r.rss.perSessionMiB.toFixed(3)} MiB each`);
  } catch (err) {
    r.errors.push(String(err));
  }
}

async function measureDemux(cluster: SshdCluster, o: Options, r: SizeResult, workDir: string): Promise<void> {
  const config = writeBenchConfig(cluster, workDir);
  const file = writeBigFile(cluster, o.demuxMb * 1e6);
  r.demux = [];
  // Checked runs verify order in the sink (which costs the bench ~10% CPU); one unchecked run shows dust alone.
  const plan = [...Array.from({ length: Math.min(o.reps, 3) }, () => true), false];
  for (const verify of plan) {
    const home = mkdtempSync(path.join(workDir, 'demux-home-'));
    const res = await demuxRun((sink) => makeDustApp(config, home, sink), file, cluster.nodes.length, verify);
    rmSync(home, { recursive: true, force: true });
    r.demux.push(res);
    log(`  demux: ${(res.totalBytes / 1e6).toFixed(0)} MB in ${fmt(res.ms)} = ${res.mbPerS.toFixed(1)} MB/s; ${res.detail}`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------- report

function fmt(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  return ms < 1000 ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !b ? '–' : `${(a / b) >= 10 ? Math.round(a / b) : (a / b).toFixed(a / b >= 1 ? 1 : 2)}×`;
const med = (s: Sample | { skipped: string } | undefined): number | undefined => (s && 'median' in s ? s.median : undefined);

function table(title: string, ns: readonly number[], rows: readonly (readonly string[])[]): string {
  const head = ['', ...ns.map((n) => `N=${n}`)];
  const lines = [`### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}

function report(results: readonly SizeResult[], o: Options, meta: Record<string, unknown>, peerNames: readonly string[], skipped: Record<string, string>): string {
  const ns = results.map((r) => r.n);
  const col = (f: (r: SizeResult) => string): string[] => results.map(f);
  const parts: string[] = [];
  parts.push(`## dust benchmark — ${String(meta['date'])}\n`);
  parts.push(`Machine: ${String(meta['cpus'])} cores (${String(meta['cpuModel'])}), ${String(meta['memGiB'])} GiB; load average (1/5/15 min) at start ${JSON.stringify(meta['loadStart'])}, at end ${JSON.stringify(meta['loadEnd'])}.`);
  parts.push(`Versions: ${Object.entries(meta['versions'] as Record<string, string>).map(([k, v]) => `${k} ${v}`).join(' · ')}.`);
  parts.push(`Reps: ${o.reps} for floor, dust warm and ControlMaster; cold connect ${ns.map((n) => coldReps(o.reps, n)).join('/')}, clush/pdsh/pssh ${ns.map((n) => slowReps(o.reps, n)).join('/')} (N=${ns.join('/')}). All figures are medians.`);
  for (const [p, why] of Object.entries(skipped)) parts.push(`Skipped ${p}: ${why}.`);
  parts.push('');
  if (o.only.has('floor') || o.only.has('warm') || o.only.has('cm') || o.only.has('peers')) {
    const rows: string[][] = [
      ['floor: ssh2 shell channels, no PTY', ...col((r) => fmt(r.floorNoPty?.median))],
      ['floor: ssh2 shell channels, PTY', ...col((r) => fmt(r.floorPty?.median))],
      ['**dust warm `@* true`**', ...col((r) => `**${fmt(r.dustWarm?.median)}**`)],
      ['OpenSSH ControlMaster (N masters open)', ...col((r) => fmt(r.cmRound?.median))],
      ...peerNames.map((p) => [`${p} (fresh connections, fanout ${FANOUT})`, ...col((r) => fmt(med(r.peers[p])))]),
      ['dust warm ÷ PTY floor (target ≤ 3×)', ...col((r) => ratio(r.dustWarm?.median, r.floorPty?.median))],
      ['ControlMaster ÷ dust warm', ...col((r) => ratio(r.cmRound?.median, r.dustWarm?.median))],
      ...peerNames.map((p) => [`${p} ÷ dust warm (target ≥ 50×)`, ...col((r) => ratio(med(r.peers[p]), r.dustWarm?.median))]),
    ];
    parts.push(table('`true` on all N nodes (one command, sessions/masters already open for dust, floor, ControlMaster)', ns, rows));
  }
  if (o.only.has('cold')) {
    const clush = (r: SizeResult): number | undefined => med(r.peers['clush']);
    parts.push(table('Cold: connect all N and run `true`', ns, [
      [`raw ssh2 parallel connect (${FANOUT} in flight, to \`ready\`)`, ...col((r) => fmt(r.rawConnect?.median))],
      ['raw ssh2: then open a PTY shell on each and get a first marker (1 run)', ...col((r) => fmt(r.rawShellStartMs))],
      ['**dust first `@* true` in a fresh app** (connect + shell + run)', ...col((r) => `**${fmt(r.dustCold?.median)}**`)],
      ['OpenSSH: open N ControlMasters (fanout 32)', ...col((r) => fmt(r.cmOpen))],
      ['clush, one run', ...col((r) => fmt(clush(r)))],
      ['dust cold ÷ raw ssh2 connect (target ≤ 1.3×)', ...col((r) => ratio(r.dustCold?.median, r.rawConnect?.median))],
      ['clush ÷ dust cold (target ≥ 4×)', ...col((r) => ratio(clush(r), r.dustCold?.median))],
    ]));
  }
  if (o.only.has('rss')) {
    parts.push(table('Memory: RSS of a dust process with N idle sessions (child process, after GC)', ns, [
      ['RSS before connecting', ...col((r) => (r.rss ? `${r.rss.rssBeforeMiB.toFixed(1)} MiB` : '–'))],
      ['RSS with N sessions open', ...col((r) => (r.rss ? `${r.rss.rssAfterMiB.toFixed(1)} MiB` : '–'))],
      ['**RSS per session (target ≤ 0.5 MiB)**', ...col((r) => (r.rss ? `**${r.rss.perSessionMiB.toFixed(3)} MiB**` : '–'))],
      ['JS heap per session', ...col((r) => (r.rss ? `${r.rss.heapPerSessionKiB.toFixed(0)} KiB` : '–'))],
    ]));
  }
  const withExec = results.filter((r) => r.execModes);
  if (withExec.length > 0) {
    const em = (f: (e: ExecModesResult) => number[]) => (r: SizeResult): number | undefined => (r.execModes ? median(f(r.execModes)) : undefined);
    const ptyWarm = em((e) => e.ptyWarm), execWarm = em((e) => e.execWarm), rawExec = em((e) => e.rawExec), ptyCold = em((e) => e.ptyCold), execCold = em((e) => e.execCold), clush = em((e) => e.clush);
    const ens = withExec.map((r) => r.n);
    const c = (f: (r: SizeResult) => string): string[] => withExec.map(f);
    parts.push(table('`uname -r` on all N nodes: persistent shell (`@`) vs no-PTY exec (`at --no-pty`) vs clush', ens, [
      ['**dust `@* uname -r`, warm** (shells open)', ...c((r) => `**${fmt(ptyWarm(r))}**`)],
      ['**dust `at --no-pty * uname -r`, warm** (connections open, one exec channel per node)', ...c((r) => `**${fmt(execWarm(r))}**`)],
      ['floor: a bare ssh2 exec channel per node (`uname -r`, no wrapper, no dust)', ...c((r) => fmt(rawExec(r)))],
      ['dust `@* uname -r`, cold (fresh app: connect + shell + run)', ...c((r) => fmt(ptyCold(r)))],
      ['dust `at --no-pty * uname -r`, cold (fresh app: connect + exec)', ...c((r) => fmt(execCold(r)))],
      [`clush -f ${FANOUT} uname -r (fresh connections)`, ...c((r) => fmt(clush(r)))],
      ['no-PTY warm ÷ shell warm', ...c((r) => ratio(execWarm(r), ptyWarm(r)))],
      ['no-PTY warm ÷ bare exec floor', ...c((r) => ratio(execWarm(r), rawExec(r)))],
      ['clush ÷ no-PTY warm', ...c((r) => ratio(clush(r), execWarm(r)))],
      ['clush ÷ no-PTY cold', ...c((r) => ratio(clush(r), execCold(r)))],
    ]));
  }
  for (const r of results.filter((x) => x.outdir && x.outdir.length > 0)) {
    parts.push(`### \`--outdir\`: \`cat\` of a 1 MB file (100-byte lines) on each of ${r.n} nodes into per-node files (connections open)\n`);
    parts.push('| mode | runs | total written | median time | **throughput** | check |\n|---|---:|---:|---:|---:|---|');
    for (const mode of ['exec', 'pty'] as const) {
      const d = r.outdir!.filter((x) => x.mode === mode);
      if (d.length === 0) continue;
      const bad = d.find((x) => !x.verified);
      parts.push(`| ${mode === 'exec' ? '`--no-pty` (raw bytes)' : '`--pty` (lines)'} | ${d.length} | ${(d[0]!.totalBytes / 1e6).toFixed(0)} MB | ${fmt(median(d.map((x) => x.ms)))} | **${median(d.map((x) => x.mbPerS)).toFixed(1)} MB/s** | ${bad ? `FAILED: ${bad.detail}` : d[0]!.detail} |`);
    }
    parts.push('');
  }
  const withDemux = results.filter((r) => r.demux && r.demux.length > 0);
  for (const r of withDemux) {
    const checked = r.demux!.filter((x) => x.verified);
    const raw = r.demux!.filter((x) => !x.verified);
    parts.push(`### Demux: \`@* cat\` of a ${o.demuxMb} MB file (${LINE_BYTES}-byte lines) on each of ${r.n} nodes, output to a null sink\n`);
    parts.push('| sink | runs | total output | median time | **throughput (target ≥ 50 MB/s)** | order check |\n|---|---:|---:|---:|---:|---|');
    for (const [label, d] of [['checks order per node', checked], ['drops output (no check)', raw]] as const) {
      if (d.length === 0) continue;
      const bad = d.find((x) => !x.ordered);
      const splits = d.map((x) => x.splitLines).join('/');
      parts.push(`| ${label} | ${d.length} | ${(d[0]!.totalBytes / 1e6).toFixed(0)} MB | ${fmt(median(d.map((x) => x.ms)))} | **${median(d.map((x) => x.mbPerS)).toFixed(1)} MB/s** | ${d[0]!.verified ? (bad ? `FAILED: ${bad.detail}` : `in order; lines split in two per run: ${splits}`) : '–'} |`);
    }
    parts.push('');
  }
  const errors = results.flatMap((r) => r.errors.map((e) => `N=${r.n}: ${e}`));
  if (errors.length) parts.push(`Errors:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
  return parts.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const meta: Record<string, unknown> = {
    ...(await machineMeta()),
    mode: 'in-process DustApp (runner.runLine), TerminalOutput into a null sink',
  };
  const skipped: Record<string, string> = {};
  const peers = o.only.has('peers') || o.only.has('cold')
    ? await findPeers((name, why) => { skipped[name] = why; log(`skipping ${name}: ${why}`); })
    : [];
  const results: SizeResult[] = [];
  const t0 = now();
  for (const n of o.sizes) {
    log(`N=${n}: starting the cluster`);
    const r: SizeResult = { n, clusterStartMs: 0, loadStart: load(), loadEnd: [], peers: {}, errors: [] };
    const cluster = await startSshdCluster({ count: n, plainSessions: true, timeoutMs: 60_000 + 200 * n });
    liveCluster = cluster;
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'dust-bench-'));
    r.clusterStartMs = cluster.startupMs;
    const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        r.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        log(`  ${name} FAILED: ${String(err)}`);
      }
      await sleep(500);
    };
    try {
      if (['floor', 'warm', 'cold'].some((s) => o.only.has(s as Section))) await step('floor/raw connect', () => measureFloorAndRawConnect(cluster, o, r));
      if (o.only.has('warm') || o.only.has('cold')) await step('dust', () => measureDust(cluster, o, r, workDir));
      if (o.only.has('cm')) await step('ControlMaster', () => measureControlMaster(cluster, o, r));
      if (o.only.has('peers')) await step('peers', () => measurePeers(cluster, peers, o, r));
      else if (o.only.has('cold')) await step('clush', () => measurePeers(cluster, peers.filter((p) => p.name === 'clush'), { ...o, reps: 1 }, r));
      if (o.only.has('rss')) await step('rss', () => measureRss(cluster, r, workDir));
      if (o.only.has('demux') && n === Math.min(...o.sizes)) await step('demux', () => measureDemux(cluster, o, r, workDir));
      if (o.only.has('exec')) {
        await step('exec modes', async () => {
          r.execModes = await measureExecModes(cluster, writeBenchConfig(cluster, workDir), workDir, o.reps, slowReps(o.reps, n), log);
        });
      }
      if (o.only.has('outdir') && n === Math.max(...o.sizes)) {
        await step('outdir', async () => { r.outdir = await measureOutdir(cluster, writeBenchConfig(cluster, workDir), workDir, Math.min(o.reps, 3), log); });
      }
    } finally {
      await cluster.down();
      liveCluster = undefined;
      rmSync(workDir, { recursive: true, force: true });
    }
    r.loadEnd = load();
    results.push(r);
    await sleep(1000);
  }
  meta['loadEnd'] = load();
  meta['totalSeconds'] = Math.round((now() - t0) / 1000);
  meta['commands'] = peerCommandLines(peers);
  const text = report(results, o, meta, peers.filter((p) => o.only.has('peers') || p.name === 'clush').map((p) => p.name), skipped);
  process.stdout.write(`\n${text}\n`);
  const json = JSON.stringify({ meta, options: { ...o, only: [...o.only] }, skipped, results }, null, 2);
  const resultsDir = path.join(here, 'results');
  writeFileSync(path.join(resultsDir, 'latest.json'), `${json}\n`);
  writeFileSync(path.join(resultsDir, 'latest.md'), text);
  if (o.json) writeFileSync(o.json, `${json}\n`);
  log(`total ${meta['totalSeconds']} s; results in bench/results/latest.json and latest.md`);
}

function peerCommandLines(peers: readonly Peer[]): Record<string, string> {
  // Shown with placeholder paths: the harness's ssh_config lives in a temp dir.
  const fake = { sshConfigPath: '<cluster>/ssh_config', nodes: Array.from({ length: 3 }, (_, i) => ({ name: `node${i}` })) } as unknown as SshdCluster;
  return Object.fromEntries(peers.map((p) => [p.name, p.describe(fake)]));
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await liveMasters?.close().catch(() => undefined);
    await liveCluster?.down().catch(() => undefined);
    process.exit(1);
  },
);
