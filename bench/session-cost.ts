/**
 * What one persistent session costs on the server, step by step, in CPU rather than wall time (wall time on this
 * shared 2-core box moves with other people's load; CPU per session does not, and a cold start is CPU-bound).
 *
 * For each variant: connect to every node of one cluster (32 handshakes in flight), run the variant's session on
 * every connection, close everything, wait until sshd reaped every per-connection process, and read the CPU the
 * cluster's listener sshds and all their (reaped) descendants used (/proc/<pid>/stat utime+stime+cutime+cstime).
 * Minus the `connect` variant, that is the server CPU per session of the step; the client's own CPU is measured too.
 *
 *   node --import tsx bench/session-cost.ts [--n 200] [--reps 3] [--only connect,exec-nopty,...]
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import { clusterCpuMs, whenReaped } from './lib/cpu.js';
import { LINE_MODE_PTY, bootMarker, bootstrapCommand, newToken, wrapCommand } from '../src/sessions/shell-protocol.js';
import { connectOne } from './lib/raw-ssh2.js';
import { mapLimit, median, sleep } from './lib/util.js';

const arg = (flag: string, def: string): string => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const N = Number(arg('--n', '200'));
const REPS = Number(arg('--reps', '3'));
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

/** How a variant drives one fresh connection; resolves when its session answered. */
type Variant = (c: Ssh2Client) => Promise<void>;

const PTY: PseudoTtyOptions = { ...LINE_MODE_PTY, term: 'xterm-256color', modes: { ECHO: 0 } };

/** Collects a channel's output until `done(text)` says so. */
function until(ch: ClientChannel, done: (seen: string) => boolean, write?: (seen: string) => string | undefined): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    const on = (d: Buffer): void => {
      seen = (seen + d.toString('latin1')).slice(-8192);
      const w = write?.(seen);
      if (w !== undefined) { seen = ''; ch.write(w); return; }
      if (done(seen)) resolve();
    };
    ch.on('data', on);
    ch.stderr.on('data', on);
    ch.on('close', () => resolve());
  });
}

function execCh(c: Ssh2Client, command: string, pty: boolean): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel): void => (err ? reject(err) : resolve(ch));
    if (pty) c.exec(command, { pty: PTY }, cb);
    else c.exec(command, cb);
  });
}

/** dust's session as the bootstrap `script` builds it: boot marker, ready prompt, one wrapped `true`. */
function dustLike(bootstrap: (boot: string, ready: string) => string): Variant {
  return async (c) => {
    const boot = newToken(), ready = newToken(), cmd = newToken();
    const ch = await execCh(c, bootstrap(boot, ready), true);
    let step = 0;
    await until(ch, () => step === 3, (seen) => {
      if (step === 0 && seen.includes(bootMarker(boot))) step = 1;
      if (step === 1 && seen.includes(`__DUST_${ready}_`)) { step = 2; return wrapCommand('true', cmd); }
      if (step === 2 && seen.includes(`__DUST_${cmd}_`)) step = 3;
      return undefined;
    });
  };
}

/** The variants, cheapest first. Each adds one thing to a session. */
export const VARIANTS: Record<string, Variant> = {
  connect: async () => undefined,
  // An exec channel running `true`: sshd's session set-up and the login shell's `-c`, nothing interactive.
  'exec-nopty': async (c) => { await until(await execCh(c, 'true', false), () => false); },
  // The same with a PTY: pty allocation, utmp/wtmp records.
  'exec-pty': async (c) => { await until(await execCh(c, 'true', true), () => false); },
  // A login shell on a PTY and one marker: what `ssh host` and every PTY-shell tool pay (the bench's `rawsh`).
  'shell-login': async (c) => {
    const ch = await new Promise<ClientChannel>((resolve, reject) => c.shell(PTY, (e, s) => (e ? reject(e) : resolve(s))));
    ch.write('true; echo __DO""NE__\n');
    await until(ch, (s) => s.includes('__DONE__'));
  },
  // exec'ing an interactive bash directly (no profile, no /bin/sh hop): the least a bash session can cost.
  'exec-bash-i': async (c) => {
    const ch = await execCh(c, 'exec bash --noprofile --norc --noediting -i', true);
    ch.write('true; echo __DO""NE__\n');
    await until(ch, (s) => s.includes('__DONE__'));
  },
  // dust's bootstrap as shipped.
  dust: dustLike(bootstrapCommand),
};

async function runVariant(cluster: SshdCluster, v: Variant): Promise<{ server: number; client: number; wall: number }> {
  const key = readFileSync(cluster.clientKeyPath);
  await whenReaped(cluster);
  const s0 = clusterCpuMs(cluster);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const clients: Ssh2Client[] = [];
  await mapLimit(cluster.nodes, 32, async (n) => {
    const c = await connectOne(cluster, n.host, n.port, key);
    clients.push(c);
    await v(c);
  });
  const wall = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => { c.once('close', () => resolve()); c.end(); })));
  await whenReaped(cluster);
  return { server: clusterCpuMs(cluster) - s0, client: (cu.user + cu.system) / 1000, wall };
}

async function main(): Promise<void> {
  const only = arg('--only', Object.keys(VARIANTS).join(',')).split(',');
  for (const v of only) if (!VARIANTS[v]) throw new Error(`unknown variant ${v} (have ${Object.keys(VARIANTS).join(', ')})`);
  log(`N=${N}, reps ${REPS}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const cluster = await startSshdCluster({ count: N, plainSessions: true, timeoutMs: 60_000 + 200 * N });
  const res: Record<string, { server: number[]; client: number[]; wall: number[] }> = {};
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const name of only) {
        const r = await runVariant(cluster, VARIANTS[name]!);
        const e = (res[name] ??= { server: [], client: [], wall: [] });
        e.server.push(r.server); e.client.push(r.client); e.wall.push(r.wall);
        log(`  ${name.padEnd(12)} server ${(r.server / N).toFixed(2)} ms/node, client ${(r.client / N).toFixed(2)} ms/node, wall ${(r.wall / 1000).toFixed(2)} s`);
      }
    }
  } finally {
    await cluster.down();
  }
  const base = res['connect'];
  const baseServer = base ? median(base.server) / N : 0;
  const baseClient = base ? median(base.client) / N : 0;
  process.stdout.write(`\n| variant (N=${N}, medians of ${REPS}) | server CPU / node | client CPU / node | total over connect | × connect CPU |\n|---|---:|---:|---:|---:|\n`);
  for (const [name, r] of Object.entries(res)) {
    const s = median(r.server) / N, c = median(r.client) / N;
    const extra = s + c - baseServer - baseClient;
    process.stdout.write(`| ${name} | ${s.toFixed(2)} ms | ${c.toFixed(2)} ms | ${name === 'connect' ? '–' : `+${extra.toFixed(2)} ms`} | ${base ? ((s + c) / (baseServer + baseClient)).toFixed(2) : '–'}× |\n`);
  }
}

main().then(() => process.exit(0), (err: unknown) => { log(String(err instanceof Error ? err.stack : err)); process.exit(1); });
