/**
 * Where a cold start's time goes: one fresh cluster of N nodes, then (repeated `--reps` times, interleaved)
 *   raw      ssh2 connect to every node, 32 handshakes in flight, until `ready` (the bench's "raw ssh2 connect")
 *   rawsh    the same, then per node right after `ready` a PTY login shell and a first marker (pipelined, as dust does)
 *   rawboot  the same, but dust's own bootstrap, ready line and one wrapped `true` (dust's server work, no dust client code)
 *   dust     a fresh DustApp's first `@* true`
 * For each: wall time, this process's CPU, the whole machine's busy CPU (/proc/stat), and for dust the median
 * per-node time stamps of each phase (TCP connect, handshake, auth/ready, channel open, first shell output).
 *
 *   node --import tsx bench/cold-phases.ts [--n 200] [--reps 3] [--only raw,rawsh,dust] [--cpu-prof]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel } from 'ssh2';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import { LINE_MODE_PTY, bootMarker, bootstrapCommand, newToken, wrapCommand } from '../src/sessions/shell-protocol.js';
import { makeDustApp, runOk, writeBenchConfig } from './lib/dust-app.js';
import { connectOne } from './lib/raw-ssh2.js';
import { mapLimit, median, now, nullSink, sleep } from './lib/util.js';

const { Client } = ssh2;
const arg = (flag: string, def: string): string => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('--n', '200'));
const REPS = Number(arg('--reps', '3'));
const ONLY = new Set(arg('--only', 'raw,rawsh,rawboot,dust').split(','));
const PROF = process.argv.includes('--cpu-prof');
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

/** Busy jiffies of the whole machine (all CPUs), in ms. */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return ((total - idle) * 1000) / 100;
}
const selfCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const selfSysMs = (): number => process.cpuUsage().system / 1000;

/** selfSys: the client's kernel time (socket writes on loopback run the receiver's TCP path inline). */
interface Cost { wall: number; selfCpu: number; selfSys: number; machineCpu: number }
/** Times `fn`; with `profileAs`, also writes a CPU profile of it to $TMPDIR/cold-<profileAs>-<time>.cpuprofile. */
async function measure(fn: () => Promise<void>, profileAs?: string): Promise<Cost> {
  let prof: Session | undefined;
  if (profileAs) {
    prof = new Session();
    prof.connect();
    await prof.post('Profiler.enable');
    await prof.post('Profiler.start');
  }
  const c0 = selfCpuMs(), s0 = selfSysMs(), m0 = machineBusyMs(), t0 = now();
  await fn();
  const cost = { wall: now() - t0, selfCpu: selfCpuMs() - c0, selfSys: selfSysMs() - s0, machineCpu: machineBusyMs() - m0 };
  if (prof) {
    const { profile } = await prof.post('Profiler.stop');
    const file = path.join(os.tmpdir(), `cold-${profileAs}-${Date.now()}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    prof.disconnect();
    log(`  cpu profile: ${file}`);
  }
  return cost;
}

// ---------------------------------------------------------------- per-node phase stamps (ssh2 patched, no dust change)

type Phase = 'start' | 'tcp' | 'handshake' | 'ready' | 'chanReq' | 'chanOpen' | 'firstData' | 'lastBootData';
let stamps: Map<Ssh2Client, Partial<Record<Phase, number>>> | undefined;
const proto = Client.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
const origConnect = proto['connect']!;
const origExec = proto['exec']!;
const origShell = proto['shell']!;
proto['connect'] = function (this: Ssh2Client & { _sock?: NodeJS.EventEmitter }, ...a: unknown[]) {
  const s = stamps;
  if (s) {
    const rec: Partial<Record<Phase, number>> = { start: now() };
    s.set(this, rec);
    this.once('handshake', () => { rec.handshake = now(); });
    this.once('ready', () => { rec.ready = now(); });
  }
  const r = origConnect.apply(this, a);
  if (s) this._sock?.once('connect', () => { s.get(this)!.tcp = now(); });
  return r;
};
function wrapChannelOpen(orig: (...a: unknown[]) => unknown) {
  return function (this: Ssh2Client, ...a: unknown[]) {
    const rec = stamps?.get(this);
    if (rec) {
      rec.chanReq = now();
      const cb = a[a.length - 1] as (err: Error | undefined, ch: ClientChannel) => void;
      a[a.length - 1] = (err: Error | undefined, ch: ClientChannel) => {
        rec.chanOpen = now();
        cb(err, ch);
        // Not before the caller's own listener: an early 'data' listener would start the flow and lose data.
        if (!err) setImmediate(() => ch.on('data', () => { const t = now(); rec.firstData ??= t; rec.lastBootData = t; }));
      };
    }
    return orig.apply(this, a);
  };
}
proto['exec'] = wrapChannelOpen(origExec);
proto['shell'] = wrapChannelOpen(origShell);

function phaseReport(s: Map<Ssh2Client, Partial<Record<Phase, number>>>): string {
  const recs = [...s.values()];
  const order: Phase[] = ['start', 'tcp', 'handshake', 'ready', 'chanReq', 'chanOpen', 'firstData', 'lastBootData'];
  const parts: string[] = [];
  for (let i = 1; i < order.length; i++) {
    const a = order[i - 1]!, b = order[i]!;
    const d = recs.map((r) => (r[a] !== undefined && r[b] !== undefined ? r[b]! - r[a]! : NaN)).filter((x) => !Number.isNaN(x));
    parts.push(`${a}→${b} ${median(d).toFixed(1)}`);
  }
  const t0 = Math.min(...recs.map((r) => r.start ?? Infinity));
  const lastReady = Math.max(...recs.map((r) => r.ready ?? 0)) - t0;
  const lastData = Math.max(...recs.map((r) => r.lastBootData ?? 0)) - t0;
  return `per node (median ms): ${parts.join(', ')}; last ready at ${lastReady.toFixed(0)} ms, last shell data at ${lastData.toFixed(0)} ms`;
}

// ---------------------------------------------------------------- variants


function shellMarker(c: Ssh2Client): Promise<void> {
  return new Promise((resolve, reject) => {
    c.shell({ term: 'xterm', rows: 50, cols: 250 }, (err, ch) => {
      if (err) { reject(err); return; }
      let buf = '';
      ch.on('data', (d: Buffer) => {
        buf = (buf + d.toString('latin1')).slice(-256);
        if (buf.includes('__DONE__')) { buf = ''; resolve(); }
      });
      ch.write('true; echo __DO""NE__\n');
    });
  });
}

/** dust's server-side protocol without dust's client code: bootstrap exec, boot marker, ready prompt, one command. */
function bootLikeDust(c: Ssh2Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const boot = newToken();
    const ready = newToken(), cmd = newToken();
    c.exec(bootstrapCommand(boot, ready), { pty: { ...LINE_MODE_PTY, term: 'xterm-256color', modes: { ECHO: 0 } } }, (err, ch) => {
      if (err) { reject(err); return; }
      let buf = '';
      let step = 0;
      ch.on('data', (d: Buffer) => {
        buf = (buf + d.toString('latin1')).slice(-4096);
        if (step === 0 && buf.includes(bootMarker(boot))) { step = 1; buf = buf.slice(buf.indexOf(bootMarker(boot))); }
        if (step === 1 && buf.includes(`__DUST_${ready}_`)) { step = 2; buf = ''; ch.write(wrapCommand('true', cmd)); }
        else if (step === 2 && buf.includes(`__DUST_${cmd}_`)) { step = 3; resolve(); }
      });
    });
  });
}

async function closeAll(clients: readonly Ssh2Client[]): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    c.once('close', () => { clearTimeout(t); resolve(); });
    c.end();
  })));
}

async function raw(cluster: SshdCluster, withShell: false | 'login' | 'boot', rep: number): Promise<Cost> {
  const key = readFileSync(cluster.clientKeyPath);
  const clients: Ssh2Client[] = [];
  const shells: Promise<void>[] = [];
  stamps = new Map();
  const cost = await measure(async () => {
    await mapLimit(cluster.nodes, 32, async (n) => {
      const c = await connectOne(cluster, n.host, n.port, key);
      clients.push(c);
      if (withShell) shells.push(withShell === 'login' ? shellMarker(c) : bootLikeDust(c));
    });
    await Promise.all(shells);
  }, PROF && rep === 0 ? (withShell === 'login' ? 'rawsh' : withShell === 'boot' ? 'rawboot' : 'raw') : undefined);
  log(`  ${phaseReport(stamps)}`);
  stamps = undefined;
  await closeAll(clients);
  return cost;
}

async function dust(cluster: SshdCluster, workDir: string, rep: number): Promise<Cost> {
  const config = writeBenchConfig(cluster, workDir);
  const home = mkdtempSync(path.join(workDir, 'home-'));
  const app = await makeDustApp(config, home, nullSink((c) => { if (c.includes('✖')) log(c.trimEnd()); }));
  stamps = new Map();
  try {
    const cost = await measure(() => runOk(app, '@* true'), PROF && rep === 0 ? 'dust' : undefined).catch((err: unknown) => { log(`  dust failed: ${String(err)}; ${phaseReport(stamps!)}`); throw err; });
    log(`  ${phaseReport(stamps)}`);
    return cost;
  } finally {
    stamps = undefined;
    await app.shutdown();
    rmSync(home, { recursive: true, force: true });
  }
}

const fmt = (c: Cost): string => `wall ${(c.wall / 1000).toFixed(2)} s, client CPU ${(c.selfCpu / 1000).toFixed(2)} s (kernel ${(c.selfSys / 1000).toFixed(2)} s), machine CPU ${(c.machineCpu / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  log(`N=${N}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const cluster = await startSshdCluster({ count: N, plainSessions: true, timeoutMs: 60_000 + 200 * N });
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'dust-phases-'));
  const results: Record<string, Cost[]> = { raw: [], rawsh: [], rawboot: [], dust: [] };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of ['raw', 'rawsh', 'rawboot', 'dust'] as const) {
        if (!ONLY.has(v)) continue;
        await sleep(700);
        const c = v === 'dust' ? await dust(cluster, workDir, rep) : await raw(cluster, v === 'rawsh' ? 'login' : v === 'rawboot' ? 'boot' : false, rep);
        results[v]!.push(c);
        log(`${v.padEnd(5)} ${fmt(c)}`);
      }
    }
  } finally {
    await cluster.down();
    rmSync(workDir, { recursive: true, force: true });
  }
  const med = (xs: Cost[], k: keyof Cost): number => median(xs.map((x) => x[k]));
  for (const [v, xs] of Object.entries(results)) {
    if (xs.length === 0) continue;
    log(`median ${v.padEnd(5)} wall ${(med(xs, 'wall') / 1000).toFixed(2)} s, client CPU ${(med(xs, 'selfCpu') / 1000).toFixed(2)} s (kernel ${(med(xs, 'selfSys') / 1000).toFixed(2)} s), machine CPU ${(med(xs, 'machineCpu') / 1000).toFixed(2)} s`);
  }
  if (results['raw']!.length && results['dust']!.length) {
    log(`dust ÷ raw wall: ${(med(results['dust']!, 'wall') / med(results['raw']!, 'wall')).toFixed(2)}×` +
      (results['rawsh']!.length ? `; rawsh ÷ raw: ${(med(results['rawsh']!, 'wall') / med(results['raw']!, 'wall')).toFixed(2)}×` : ''));
  }
  log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().then(() => process.exit(0), (err: unknown) => { log(String(err instanceof Error ? err.stack : err)); process.exit(1); });
process.on('exit', () => {
  if (!stamps) return;
  const recs = [...stamps.values()];
  const c = (p: Phase) => recs.filter((r) => r[p] !== undefined).length;
  log(`exit with stamps: n=${recs.length} tcp=${c('tcp')} hs=${c('handshake')} ready=${c('ready')} chanReq=${c('chanReq')} open=${c('chanOpen')} data=${c('firstData')}`);
});
