/**
 * dust at scale: one fresh loopback cluster per size (default 200 and 1,000 nodes, one sshd per node), and in the
 * same run on it:
 *   cold   raw ssh2 parallel connect (32 in flight, to `ready`) and dust's first `@* true` in a fresh app, interleaved
 *          rep by rep: wall time, client and server CPU per node, and dust's connect progress (when half, 90 % and
 *          all of the sessions were open)
 *   floor  plain ssh2 (no dust code): a PTY shell on every connection, the time for all N to answer a marker
 *   warm   on open sessions: `@* true`, `@* uptime` (first output line and end), `gather * uname -r`
 *   cli    `dust -c '@* uptime'` from outside, as a user runs it (the built CLI, a fresh $DUST_HOME): first output
 *          line and exit
 *   clush  `clush -f 64 … uptime`: first output line and exit
 *   rss    RSS per idle session (a child process)
 *   --cpu-prof: V8 profiles of a cold connect and of the warm commands, top frames printed and kept
 *
 *   npm run bench:scale -- [--sizes 200,1000] [--reps 3] [--only cold,floor,warm,cli,clush,rss] [--cpu-prof]
 *                          [--handshakes 16,32,64]   (cold only: dust with each number of handshake slots)
 *
 * Never part of `npm test`. Writes bench/results/scale-latest.json and scale-latest.md; see docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import type { DustApp } from '../src/shell/app.js';
import { clusterCpuMs, selfCpuMs, whenReaped } from './lib/cpu.js';
import { makeDustApp, runOk, writeBenchConfig } from './lib/dust-app.js';
import { FANOUT, load, machineMeta } from './lib/openssh.js';
import { formatProfileSummary, type ProfileSummary } from './lib/profile-summary.js';
import { profiled } from './lib/profiler.js';
import { closeAll, closeShells, markerRound, openShells, rawConnectAll } from './lib/raw-ssh2.js';
import { rssPerSession, type RssResult } from './lib/rss.js';
import { have, median, nodeRange, now, nullSink, sleep } from './lib/util.js';

const SECTIONS = ['cold', 'floor', 'warm', 'cli', 'clush', 'rss'] as const;
type Section = (typeof SECTIONS)[number];
const CLUSH_FANOUT = 64;

interface Options { sizes: number[]; reps: number; only: Set<Section>; cpuProf: boolean; handshakes: number[] }

function parseOptions(argv: readonly string[]): Options {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (get('--sizes') ?? '200,1000').split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 4000)) throw new Error('--sizes: integers 1..4000');
  const reps = Number(get('--reps') ?? 3);
  if (!Number.isInteger(reps) || reps < 1 || reps > 50) throw new Error('--reps: 1..50');
  const onlyRaw = get('--only');
  const only = new Set<Section>(onlyRaw ? onlyRaw.split(',').map((s) => s.trim()) as Section[] : SECTIONS);
  for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}' (have ${SECTIONS.join(',')})`);
  // Handshake slots to try for dust's cold start (each interleaved with raw ssh2's 32); 0 = dust's default.
  const handshakes = (get('--handshakes') ?? '0').split(',').map(Number);
  if (handshakes.some((h) => !Number.isInteger(h) || h < 0 || h > 1000)) throw new Error('--handshakes: integers 0..1000');
  return { sizes, reps, only, cpuProf: argv.includes('--cpu-prof'), handshakes };
}

interface Cost { wallMs: number; clientCpuMs: number; serverCpuMs: number | undefined }
interface ColdDust extends Cost { openAt: { half: number; p90: number; all: number } }
interface Timed { firstLineMs: number | undefined; totalMs: number }

interface SizeResult {
  n: number;
  clusterStartMs: number;
  loadStart: number[];
  loadEnd: number[];
  raw: Cost[];
  dustCold: ColdDust[];
  /** Cold starts with other numbers of handshake slots (--handshakes), by that number. */
  dustColdBySlots: Record<string, ColdDust[]>;
  floorPty: number[];
  warmTrue: number[];
  warmUptime: Timed[];
  warmGather: number[];
  cli: Timed[];
  clush: Timed[];
  rss?: RssResult;
  profiles: Record<string, { file: string; summary: ProfileSummary }>;
  errors: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

let liveCluster: SshdCluster | undefined;
process.on('SIGINT', () => {
  log('\ninterrupted: tearing the cluster down');
  void (liveCluster?.down() ?? Promise.resolve()).finally(() => process.exit(130));
});

// ---------------------------------------------------------------- measurements

async function coldRaw(cluster: SshdCluster): Promise<Cost> {
  await whenReaped(cluster);
  const s0 = clusterCpuMs(cluster), c0 = selfCpuMs();
  const { clients, ms } = await rawConnectAll(cluster, FANOUT);
  const clientCpuMs = selfCpuMs() - c0;
  await closeAll(clients);
  await whenReaped(cluster);
  return { wallMs: ms, clientCpuMs, serverCpuMs: clusterCpuMs(cluster) - s0 };
}

/** A fresh app's first `@* true`; with `keep`, the app is returned open (its server CPU then is not known). */
async function coldDust(cluster: SshdCluster, config: string, workDir: string, keep: boolean, profileAs?: string): Promise<{ cost: ColdDust; app?: DustApp; home: string; profile?: { file: string; summary: ProfileSummary } }> {
  const home = mkdtempSync(path.join(workDir, 'home-'));
  const app = await makeDustApp(config, home);
  const opened: number[] = [];
  app.events.on('node:connected', 'bench', () => { opened.push(now()); });
  await whenReaped(cluster);
  const s0 = clusterCpuMs(cluster), c0 = selfCpuMs();
  const t0 = now();
  let profile: { file: string; summary: ProfileSummary } | undefined;
  if (profileAs) profile = await profiled(profileAs, () => runOk(app, '@* true'));
  else await runOk(app, '@* true');
  const wallMs = now() - t0;
  const clientCpuMs = selfCpuMs() - c0;
  await sleep(50); // the last connected events are delivered on setImmediate
  const at = (q: number): number => (opened[Math.min(opened.length - 1, Math.ceil(q * opened.length) - 1)] ?? NaN) - t0;
  const openAt = { half: at(0.5), p90: at(0.9), all: at(1) };
  if (keep) return { cost: { wallMs, clientCpuMs, serverCpuMs: undefined, openAt }, app, home, ...(profile ? { profile } : {}) };
  await app.shutdown();
  rmSync(home, { recursive: true, force: true });
  await whenReaped(cluster);
  return { cost: { wallMs, clientCpuMs, serverCpuMs: clusterCpuMs(cluster) - s0, openAt }, home, ...(profile ? { profile } : {}) };
}

async function measureCold(cluster: SshdCluster, o: Options, r: SizeResult, config: string, workDir: string): Promise<void> {
  const n = cluster.nodes.length;
  for (let rep = 0; rep < o.reps; rep++) {
    await sleep(1000);
    const raw = await coldRaw(cluster);
    r.raw.push(raw);
    log(`  raw ssh2 connect: ${fmt(raw.wallMs)}; client ${perNode(raw.clientCpuMs, n)}, server ${perNode(raw.serverCpuMs, n)} CPU per node`);
    for (const slots of o.handshakes) {
      await sleep(1000);
      const cfg = slots ? writeBenchConfig(cluster, workDir, { maxConcurrentHandshakes: slots }) : config;
      const { cost } = await coldDust(cluster, cfg, workDir, false);
      if (slots) (r.dustColdBySlots[slots] ??= []).push(cost);
      else r.dustCold.push(cost);
      log(`  dust cold @* true${slots ? ` (${slots} handshake slots)` : ''}: ${fmt(cost.wallMs)} (half open at ${fmt(cost.openAt.half)}, 90 % at ${fmt(cost.openAt.p90)}, all at ${fmt(cost.openAt.all)}); client ${perNode(cost.clientCpuMs, n)}, server ${perNode(cost.serverCpuMs, n)} CPU per node; ÷ raw ${(cost.wallMs / raw.wallMs).toFixed(2)}×`);
    }
  }
}

async function measureFloor(cluster: SshdCluster, o: Options, r: SizeResult): Promise<void> {
  const { clients } = await rawConnectAll(cluster, FANOUT);
  try {
    const shells = await openShells(clients, true);
    await markerRound(shells);
    for (let i = 0; i < o.reps * 2; i++) r.floorPty.push(await markerRound(shells));
    closeShells(shells);
    log(`  floor (ssh2 PTY shells, no dust): ${fmt(median(r.floorPty))} (${r.floorPty.map((x) => fmt(x)).join(', ')})`);
  } finally {
    await closeAll(clients);
  }
}

/** A sink whose chunk listener can be swapped between runs (first-output-line timing). */
function switchableSink(): { sink: ReturnType<typeof nullSink>; listen(fn: ((chunk: string) => void) | undefined): void } {
  let listener: ((chunk: string) => void) | undefined;
  return { sink: nullSink((c) => listener?.(c)), listen: (fn) => { listener = fn; } };
}

async function measureWarm(cluster: SshdCluster, o: Options, r: SizeResult, config: string, workDir: string): Promise<void> {
  const home = mkdtempSync(path.join(workDir, 'warm-home-'));
  const out = switchableSink();
  const app = await makeDustApp(config, home, out.sink);
  try {
    const connect = async (): Promise<void> => runOk(app, '@* true');
    if (o.cpuProf) r.profiles['cold @* true'] = await profiled(`scale-cold-${cluster.nodes.length}`, connect);
    else await connect();
    await runOk(app, '@* true');
    const warm = async (): Promise<void> => {
      for (let i = 0; i < o.reps * 2; i++) {
        const t = now();
        await runOk(app, '@* true');
        r.warmTrue.push(now() - t);
      }
    };
    if (o.cpuProf) r.profiles['warm @* true'] = await profiled(`scale-warm-true-${cluster.nodes.length}`, warm);
    else await warm();
    log(`  warm @* true: ${fmt(median(r.warmTrue))} (${r.warmTrue.map((x) => fmt(x)).join(', ')})`);
    const uptime = async (): Promise<void> => {
      for (let i = 0; i < o.reps; i++) {
        let first: number | undefined;
        const t = now();
        out.listen((c) => { if (first === undefined && c.includes('] ')) first = now() - t; });
        await runOk(app, '@* uptime');
        r.warmUptime.push({ firstLineMs: first, totalMs: now() - t });
        out.listen(undefined);
      }
    };
    if (o.cpuProf) r.profiles['warm @* uptime'] = await profiled(`scale-warm-uptime-${cluster.nodes.length}`, uptime);
    else await uptime();
    log(`  warm @* uptime: first line ${fmt(median(r.warmUptime.map((x) => x.firstLineMs ?? NaN)))}, all ${fmt(median(r.warmUptime.map((x) => x.totalMs)))}`);
    const gather = async (): Promise<void> => {
      for (let i = 0; i < o.reps; i++) {
        let text = '';
        out.listen((c) => { text += c; });
        const t = now();
        await runOk(app, 'gather * uname -r');
        r.warmGather.push(now() - t);
        out.listen(undefined);
        // One group of all N: the folded heading names every node once.
        if (!text.includes(`(${cluster.nodes.length})`)) throw new Error(`gather: expected one group of ${cluster.nodes.length}, got ${text.slice(0, 200)}`);
      }
    };
    if (o.cpuProf) r.profiles['warm gather * uname -r'] = await profiled(`scale-warm-gather-${cluster.nodes.length}`, gather);
    else await gather();
    log(`  warm gather * uname -r: ${fmt(median(r.warmGather))}`);
  } finally {
    await app.shutdown();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs a program, timing its first stdout byte and its exit; `check` validates the whole stdout. */
function timedRun(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, check: (stdout: string, code: number | null, stderr: string) => void): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let first: number | undefined;
    let stdout = '', stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.on('data', (d: Buffer) => { first ??= now() - t0; stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const totalMs = now() - t0;
      try {
        check(stdout, code, stderr);
        resolve({ firstLineMs: first, totalMs });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/** Every node printed exactly one `uptime` line, and the program succeeded. */
function checkUptime(n: number, tool: string) {
  return (stdout: string, code: number | null, stderr: string): void => {
    const lines = stdout.split('\n').filter((l) => / load average: /.test(l));
    if (code !== 0 || lines.length !== n) throw new Error(`${tool}: exit ${code}, ${lines.length}/${n} uptime lines; ${stderr.split('\n').slice(0, 3).join(' | ')}`);
  };
}

async function measureCli(cluster: SshdCluster, o: Options, r: SizeResult, config: string, workDir: string): Promise<void> {
  const n = cluster.nodes.length;
  for (let rep = 0; rep < Math.min(o.reps, 2); rep++) {
    await sleep(1000);
    const home = mkdtempSync(path.join(workDir, 'cli-home-'));
    try {
      const t = await timedRun(process.execPath, [path.join(root, 'dist/shell/main.js'), '--config', config, '-c', '@* uptime'],
        { ...process.env, DUST_HOME: home, NO_COLOR: '1' }, checkUptime(n, 'dust'));
      r.cli.push(t);
      log(`  dust -c '@* uptime' (cold, from outside): first line ${fmt(t.firstLineMs)}, exit ${fmt(t.totalMs)}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}

async function measureClush(cluster: SshdCluster, o: Options, r: SizeResult): Promise<void> {
  const n = cluster.nodes.length;
  for (let rep = 0; rep < Math.min(o.reps, 2); rep++) {
    await sleep(1000);
    const t = await timedRun('clush', ['-f', String(CLUSH_FANOUT), '-o', `-F ${cluster.sshConfigPath} -o BatchMode=yes`, '-w', nodeRange(n), 'uptime'],
      process.env, checkUptime(n, 'clush'));
    r.clush.push(t);
    log(`  clush -f ${CLUSH_FANOUT} uptime: first line ${fmt(t.firstLineMs)}, exit ${fmt(t.totalMs)}`);
  }
}

// ---------------------------------------------------------------- report

function fmt(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  return ms < 1000 ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
const perNode = (ms: number | undefined, n: number): string => (ms === undefined ? '–' : `${(ms / n).toFixed(2)} ms`);
const med = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && !Number.isNaN(x));
  return v.length ? median(v) : undefined;
};
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !b ? '–' : `${(a / b).toFixed(2)}×`);

function report(results: readonly SizeResult[], o: Options, meta: Record<string, unknown>): string {
  const ns = results.map((r) => r.n);
  const col = (f: (r: SizeResult) => string): string[] => results.map(f);
  const table = (title: string, rows: string[][]): string => {
    const head = ['', ...ns.map((n) => `N=${n}`)];
    return [`#### ${title}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`), ''].join('\n');
  };
  const parts: string[] = [];
  parts.push(`## dust at scale — ${String(meta['date'])}\n`);
  parts.push(`Machine: ${String(meta['cpus'])} cores (${String(meta['cpuModel'])}), ${String(meta['memGiB'])} GiB; load average (1/5/15 min) at start ${JSON.stringify(meta['loadStart'])}, at end ${JSON.stringify(meta['loadEnd'])}.`);
  parts.push(`Versions: ${Object.entries(meta['versions'] as Record<string, string>).map(([k, v]) => `${k} ${v}`).join(' · ')}.`);
  parts.push(`Clusters: one sshd per node (plain sessions, MaxStartups 1000); cluster start ${results.map((r) => `${fmt(r.clusterStartMs)} (N=${r.n})`).join(', ')}. Reps: ${o.reps} (cold, interleaved raw/dust), ${o.reps * 2} warm \`@* true\`, ${o.reps} warm uptime/gather, ${Math.min(o.reps, 2)} CLI and clush. Medians.\n`);
  if (o.only.has('cold')) {
    parts.push(table('Cold: connect every node and run `true`', [
      [`raw ssh2 parallel connect (${FANOUT} in flight, to \`ready\`)`, ...col((r) => fmt(med(r.raw.map((x) => x.wallMs))))],
      ['**dust first `@* true` in a fresh app**', ...col((r) => `**${fmt(med(r.dustCold.map((x) => x.wallMs)))}**`)],
      ['dust ÷ raw connect, median of per-rep ratios (target ≤ 1.15×)', ...col((r) => (r.raw.length && r.dustCold.length ? `${median(r.dustCold.map((d, i) => d.wallMs / (r.raw[i]?.wallMs ?? NaN))).toFixed(2)}×` : '–'))],
      ['dust: half / 90 % / all sessions open at', ...col((r) => ['half', 'p90', 'all'].map((k) => fmt(med(r.dustCold.map((x) => x.openAt[k as 'half'])))).join(' / '))],
      ['CPU per node, raw connect: client + server', ...col((r) => `${perNode(med(r.raw.map((x) => x.clientCpuMs)), r.n)} + ${perNode(med(r.raw.map((x) => x.serverCpuMs)), r.n)}`)],
      ['CPU per node, dust cold: client + server', ...col((r) => `${perNode(med(r.dustCold.map((x) => x.clientCpuMs)), r.n)} + ${perNode(med(r.dustCold.map((x) => x.serverCpuMs)), r.n)}`)],
      ['dust ÷ raw, total CPU', ...col((r) => ratio(
        (med(r.dustCold.map((x) => x.clientCpuMs)) ?? NaN) + (med(r.dustCold.map((x) => x.serverCpuMs)) ?? NaN),
        (med(r.raw.map((x) => x.clientCpuMs)) ?? NaN) + (med(r.raw.map((x) => x.serverCpuMs)) ?? NaN)))],
      ...o.handshakes.filter((h) => h > 0).map((h) => [`dust cold with ${h} handshake slots (÷ raw)`, ...col((r) => {
        const d = r.dustColdBySlots[h] ?? [];
        return d.length ? `${fmt(med(d.map((x) => x.wallMs)))} (${median(d.map((x, i) => x.wallMs / (r.raw[i]?.wallMs ?? NaN))).toFixed(2)}×)` : '–';
      })]),
      [`clush -f ${CLUSH_FANOUT} uptime, one run`, ...col((r) => fmt(med(r.clush.map((x) => x.totalMs))))],
      ['clush (its whole run, from outside) ÷ dust cold (in-process)', ...col((r) => ratio(med(r.clush.map((x) => x.totalMs)), med(r.dustCold.map((x) => x.wallMs))))],
    ]));
  }
  if (o.only.has('warm') || o.only.has('floor')) {
    parts.push(table('Warm: sessions open', [
      ['floor: plain ssh2 PTY shells, one marker round trip (no dust code)', ...col((r) => fmt(med(r.floorPty)))],
      ['**`@* true`** (target ≤ 150 ms at N=1000)', ...col((r) => `**${fmt(med(r.warmTrue))}**`)],
      ['`@* true` ÷ floor', ...col((r) => ratio(med(r.warmTrue), med(r.floorPty)))],
      ['`@* uptime`: first output line / all', ...col((r) => `${fmt(med(r.warmUptime.map((x) => x.firstLineMs)))} / ${fmt(med(r.warmUptime.map((x) => x.totalMs)))}`)],
      ['`gather * uname -r` (one group of N)', ...col((r) => fmt(med(r.warmGather)))],
    ]));
  }
  if (o.only.has('cli') || o.only.has('clush')) {
    parts.push(table('From outside, cold: `uptime` on every node (process start to first output line / exit)', [
      ["`dust -c '@* uptime'` (built CLI, fresh $DUST_HOME)", ...col((r) => `${fmt(med(r.cli.map((x) => x.firstLineMs)))} / ${fmt(med(r.cli.map((x) => x.totalMs)))}`)],
      [`\`clush -f ${CLUSH_FANOUT} -w node[0-N] uptime\``, ...col((r) => `${fmt(med(r.clush.map((x) => x.firstLineMs)))} / ${fmt(med(r.clush.map((x) => x.totalMs)))}`)],
      ['clush ÷ dust, to exit (target ≥ 4×)', ...col((r) => ratio(med(r.clush.map((x) => x.totalMs)), med(r.cli.map((x) => x.totalMs))))],
    ]));
  }
  if (o.only.has('rss')) {
    parts.push(table('Memory: a dust process with N idle sessions (child process, after GC)', [
      ['RSS before connecting / with N sessions', ...col((r) => (r.rss ? `${r.rss.rssBeforeMiB.toFixed(1)} / ${r.rss.rssAfterMiB.toFixed(1)} MiB` : '–'))],
      ['**RSS per session** (target ≤ 0.2 MiB)', ...col((r) => (r.rss ? `**${r.rss.perSessionMiB.toFixed(3)} MiB**` : '–'))],
      ['JS heap per session', ...col((r) => (r.rss ? `${r.rss.heapPerSessionKiB.toFixed(0)} KiB` : '–'))],
    ]));
  }
  for (const r of results) {
    for (const [what, p] of Object.entries(r.profiles)) {
      parts.push(`#### CPU profile, N=${r.n}, ${what}: top frames (self time)\n`);
      parts.push('```');
      parts.push(formatProfileSummary(p.summary, 12));
      parts.push('```\n');
    }
  }
  const errors = results.flatMap((r) => r.errors.map((e) => `N=${r.n}: ${e}`));
  if (errors.length) parts.push(`Errors:\n${errors.map((e) => `- ${e}`).join('\n')}\n`);
  return parts.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if ((o.only.has('clush') || o.only.has('cold')) && !(await have('clush'))) throw new Error('clush is not installed (apt-get install clustershell)');
  const meta = await machineMeta();
  const results: SizeResult[] = [];
  const t0 = now();
  for (const n of o.sizes) {
    log(`N=${n}: starting the cluster (load ${load().join(' ')})`);
    const r: SizeResult = { n, clusterStartMs: 0, loadStart: load(), loadEnd: [], raw: [], dustCold: [], dustColdBySlots: {}, floorPty: [], warmTrue: [], warmUptime: [], warmGather: [], cli: [], clush: [], profiles: {}, errors: [] };
    const cluster = await startSshdCluster({ count: n, plainSessions: true, timeoutMs: 60_000 + 200 * n });
    liveCluster = cluster;
    r.clusterStartMs = cluster.startupMs;
    log(`  cluster up in ${fmt(cluster.startupMs)}`);
    const workDir = mkdtempSync(path.join(os.tmpdir(), 'dust-scale-'));
    const config = writeBenchConfig(cluster, workDir);
    const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        r.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        log(`  ${name} FAILED: ${String(err)}`);
      }
      await sleep(1000);
    };
    try {
      if (o.only.has('cold')) await step('cold', () => measureCold(cluster, o, r, config, workDir));
      if (o.only.has('floor')) await step('floor', () => measureFloor(cluster, o, r));
      if (o.only.has('warm')) await step('warm', () => measureWarm(cluster, o, r, config, workDir));
      if (o.only.has('cli')) await step('cli', () => measureCli(cluster, o, r, config, workDir));
      if (o.only.has('clush') || o.only.has('cold')) await step('clush', () => measureClush(cluster, o, r));
      if (o.only.has('rss')) await step('rss', async () => {
        r.rss = await rssPerSession(cluster, workDir);
        log(`  RSS: ${r.rss.rssBeforeMiB.toFixed(1)} → ${r.rss.rssAfterMiB.toFixed(1)} MiB with ${r.rss.sessions} sessions = ${r.rss.perSessionMiB.toFixed(3)} MiB each`);
      });
    } finally {
      await cluster.down();
      liveCluster = undefined;
      rmSync(workDir, { recursive: true, force: true });
    }
    r.loadEnd = load();
    results.push(r);
    await sleep(2000);
  }
  meta['loadEnd'] = load();
  meta['totalSeconds'] = Math.round((now() - t0) / 1000);
  const text = report(results, o, meta);
  process.stdout.write(`\n${text}\n`);
  const json = JSON.stringify({ meta, options: { ...o, only: [...o.only] }, results: results.map((r) => ({ ...r, profiles: Object.fromEntries(Object.entries(r.profiles).map(([k, p]) => [k, { file: p.file, top: p.summary.functions.slice(0, 25), files: p.summary.files.slice(0, 15), totalMs: p.summary.totalMs }])) })) }, null, 2);
  writeFileSync(path.join(here, 'results', 'scale-latest.json'), `${json}\n`);
  writeFileSync(path.join(here, 'results', 'scale-latest.md'), text);
  log(`total ${meta['totalSeconds']} s; results in bench/results/scale-latest.json and scale-latest.md`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await liveCluster?.down().catch(() => undefined);
    process.exit(1);
  },
);
