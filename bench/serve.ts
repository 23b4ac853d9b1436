/**
 * dust serve, measured: a script's line against a warm server (client process start included) vs the same line
 * cold (`dust --no-server -c`, a new process and new logins) vs clush, at each N in one run; and a client's
 * time from process start to its first byte on the socket.
 *
 *   npm run bench:serve -- [--sizes 10,50,200] [--reps 7]
 *
 * Writes bench/results/serve-latest.md. Loopback sshd per node (test/harness), as the main bench.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSshdCluster, type SshdCluster } from '../test/harness/sshd-cluster.js';
import { writeBenchConfig } from './lib/dust-app.js';
import { findPeers } from './lib/openssh.js';
import { median, now, run } from './lib/util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DUST = path.join(here, '..', 'dist', 'shell', 'main.js');
const argv = process.argv.slice(2);
const arg = (flag: string, dflt: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1]! : dflt; };
const sizes = arg('--sizes', '10,50,200').split(',').map(Number);
const reps = Number(arg('--reps', '7'));
const log = (s: string) => process.stderr.write(`${s}\n`);

function dustEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, DUST_HOME: home, NO_COLOR: '1' };
}

async function timeDust(home: string, args: string[]): Promise<{ ms: number; firstByte?: number }> {
  const t0 = now();
  const r = await run(process.execPath, [DUST, ...args], { env: { ...dustEnv(home), DUST_CLIENT_TIMING: '1' }, timeoutMs: 300_000 });
  const ms = now() - t0;
  if (r.code !== 0) throw new Error(`dust ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  const m = /dust-client-first-byte-ms=([\d.]+)/.exec(r.stderr);
  return m ? { ms, firstByte: Number(m[1]) } : { ms };
}

async function serveUp(home: string, config: string): Promise<{ stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [DUST, 'serve', '--config', config, '--connect', '*', '--quiet'], { env: dustEnv(home), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const t0 = now();
  while (!/^dust is (up|failing)/m.test(err)) {
    if (proc.exitCode !== null || now() - t0 > 300_000) throw new Error(`dust serve did not come up: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!/^dust is up$/m.test(err)) throw new Error(err);
  return { stop: () => new Promise((r) => { proc.once('exit', () => r()); proc.kill('SIGTERM'); }) };
}

interface Row { n: number; warm: number[]; warmExec: number[]; firstByte: number[]; cold: number[]; clush: number[] | string }

async function measure(n: number): Promise<Row> {
  const cluster: SshdCluster = await startSshdCluster({ count: n, plainSessions: true });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-bench-serve-'));
  const row: Row = { n, warm: [], warmExec: [], firstByte: [], cold: [], clush: [] };
  try {
    const config = writeBenchConfig(cluster, home);
    const server = await serveUp(home, config);
    try {
      await timeDust(home, ['run', '--pty', '*', 'true']); // warms the shells and the page cache of the client's modules
      await timeDust(home, ['run', '*', 'true']);
      // Interleaved: the persistent shells (--pty) and an exec channel per node (dust run's default, as clush).
      for (let i = 0; i < reps; i++) {
        const r = await timeDust(home, ['run', '--pty', '*', 'true']);
        row.warm.push(r.ms);
        if (r.firstByte !== undefined) row.firstByte.push(r.firstByte);
        row.warmExec.push((await timeDust(home, ['run', '*', 'true'])).ms);
      }
    } finally {
      await server.stop();
    }
    for (let i = 0; i < Math.min(reps, n >= 200 ? 3 : 5); i++) row.cold.push((await timeDust(home, ['--no-server', '--config', config, '-c', '@* true'])).ms);
    const peers = await findPeers(() => undefined);
    const clush = peers.find((p) => p.name === 'clush');
    if (!clush) row.clush = 'clush not installed';
    else for (let i = 0; i < Math.min(reps, n >= 200 ? 2 : 3); i++) (row.clush as number[]).push(await clush.once(cluster));
  } finally {
    await cluster.down();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return row;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const rows: Row[] = [];
for (const n of sizes) {
  log(`N=${n}: cluster, server, ${reps} warm runs, cold runs, clush ...`);
  rows.push(await measure(n));
}
const out = [
  `# dust serve vs cold vs clush (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(1)).join('/')})`,
  '',
  'End to end, client process start included, against a warm `dust serve`: `dust run --pty \'*\' true` (the nodes\'',
  'persistent shells) and `dust run \'*\' true` (the default: an exec channel per node on the open connections, as',
  'clush runs commands), interleaved; the same line cold (`dust --no-server -c \'@* true\'`: new process, new',
  'logins); `clush -f 32 -w node[…] true`. Medians.',
  '',
  '| N | dust run --pty (warm) | dust run, exec (warm) | first byte on the socket | dust -c cold | clush | clush ÷ warm --pty | clush ÷ warm exec | cold ÷ warm --pty |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const warm = median(r.warm), warmExec = median(r.warmExec), cold = median(r.cold);
    const clush = typeof r.clush === 'string' ? undefined : median(r.clush);
    return `| ${r.n} | ${fmt(warm)} | ${fmt(warmExec)} | ${r.firstByte.length ? fmt(median(r.firstByte)) : '?'} | ${fmt(cold)} | ${clush === undefined ? r.clush : fmt(clush)} | ${clush === undefined ? '' : `${(clush / warm).toFixed(1)}×`} | ${clush === undefined ? '' : `${(clush / warmExec).toFixed(1)}×`} | ${(cold / warm).toFixed(1)}× |`;
  }),
  '',
];
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'serve-latest.md'), `${out.join('\n')}\n`);
process.stdout.write(`${out.join('\n')}\n`);
