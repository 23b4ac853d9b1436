/**
 * What scripts use: no-PTY exec (`at --no-pty`) against the persistent shell (`@`) and clush on `uname -r`, warm
 * (connections open) and cold (a fresh app), and `--outdir` throughput with every node printing 1 MB.
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { makeDustApp, runOk } from './dust-app.js';
import { FANOUT } from './openssh.js';
import { median, nodeRange, now, run, sleep } from './util.js';

export interface ExecModesResult {
  ptyWarm: number[];
  execWarm: number[];
  /** Floor: a bare exec channel per node running `uname -r` on the open connections (no wrapper, no dust). */
  rawExec: number[];
  ptyCold: number[];
  execCold: number[];
  clush: number[];
}

/** Warm and cold `uname -r` in both dust modes, and clush with fresh connections (fanout 32). */
export async function measureExecModes(cluster: SshdCluster, config: string, workDir: string, reps: number, coldReps: number, log: (s: string) => void): Promise<ExecModesResult> {
  const r: ExecModesResult = { ptyWarm: [], execWarm: [], rawExec: [], ptyCold: [], execCold: [], clush: [] };
  for (let rep = 0; rep < coldReps; rep++) {
    // Cold, alternating which mode goes first so neither always meets a warmer machine.
    const order: ('pty' | 'exec')[] = rep % 2 === 0 ? ['pty', 'exec'] : ['exec', 'pty'];
    for (const mode of order) {
      const home = mkdtempSync(path.join(workDir, 'sc-home-'));
      const app = await makeDustApp(config, home);
      try {
        const t0 = now();
        await runOk(app, mode === 'pty' ? '@* uname -r' : 'at --no-pty * uname -r');
        (mode === 'pty' ? r.ptyCold : r.execCold).push(now() - t0);
        if (rep === 0) {
          // Warm: this app's connections (and, for @, shells) are open; both modes share the connections.
          await runOk(app, '@* uname -r');
          await runOk(app, 'at --no-pty * uname -r');
          const nodes = await app.state.nodes();
          for (let i = 0; i < reps; i++) {
            for (const [line, into] of [['@* uname -r', r.ptyWarm], ['at --no-pty * uname -r', r.execWarm]] as const) {
              const t = now();
              await runOk(app, line);
              into.push(now() - t);
            }
            const t = now();
            await Promise.all(nodes.map(async (node) => {
              const p = await app.sessions.manager.transportFor(node).exec!(node, { command: 'uname -r' });
              p.onStdout(() => undefined);
              const end = await p.exit;
              if (end.exitCode !== 0) throw new Error(`raw exec on ${node.name}: ${JSON.stringify(end)}`);
            }));
            r.rawExec.push(now() - t);
          }
        }
      } finally {
        await app.shutdown();
        rmSync(home, { recursive: true, force: true });
      }
      await sleep(500);
    }
  }
  log(`  uname -r: @ warm ${median(r.ptyWarm).toFixed(1)} ms, --no-pty warm ${median(r.execWarm).toFixed(1)} ms (bare exec ${median(r.rawExec).toFixed(1)} ms); cold ${median(r.ptyCold).toFixed(0)} / ${median(r.execCold).toFixed(0)} ms`);
  for (let i = 0; i < coldReps; i++) {
    await sleep(500);
    const t0 = now();
    const c = await run('clush', ['-f', String(FANOUT), '-o', `-F ${cluster.sshConfigPath} -o BatchMode=yes`, '-w', nodeRange(cluster.nodes.length), 'uname -r'], { timeoutMs: 300_000 });
    if (c.code !== 0) throw new Error(`clush exited ${c.code}: ${c.stderr.split('\n').slice(0, 3).join(' | ')}`);
    r.clush.push(now() - t0);
  }
  log(`  clush uname -r: ${median(r.clush).toFixed(0)} ms`);
  return r;
}

export interface OutdirRun { mode: 'exec' | 'pty'; ms: number; mbPerS: number; totalBytes: number; verified: boolean; detail: string }

/**
 * Every node `cat`s the same 1 MB file (100-byte text lines) with `--outdir`: time from the line to the files and
 * summary on disk, connections open beforehand. Afterwards each node's file is checked: exact bytes without a PTY
 * (md5 of the original), the same lines in the shell.
 */
export async function measureOutdir(cluster: SshdCluster, config: string, workDir: string, reps: number, log: (s: string) => void): Promise<OutdirRun[]> {
  const size = 1_000_000;
  const line = `${'x'.repeat(99)}\n`;
  const body = line.repeat(size / line.length);
  const name = 'outdir-bench.txt';
  const first = path.join(cluster.nodes[0]!.homeDir, name);
  writeFileSync(first, body);
  for (const n of cluster.nodes.slice(1)) linkSync(first, path.join(n.homeDir, name));
  const want = createHash('md5').update(body).digest('hex');
  const runs: OutdirRun[] = [];
  const home = mkdtempSync(path.join(workDir, 'od-home-'));
  const app = await makeDustApp(config, home);
  try {
    await runOk(app, '@* true');
    await runOk(app, 'at --no-pty * true');
    for (let i = 0; i < reps; i++) {
      for (const mode of ['exec', 'pty'] as const) {
        const dir = mkdtempSync(path.join(workDir, `od-${mode}-`));
        const t0 = now();
        await runOk(app, `at ${mode === 'exec' ? '--no-pty' : '--pty'} --outdir ${dir} * cat "$HOME"/${name}`);
        const ms = now() - t0;
        const files = readdirSync(dir).filter((f) => f.endsWith('.out'));
        const wrong = files.filter((f) => statSync(path.join(dir, f)).size !== size
          || createHash('md5').update(readFileSync(path.join(dir, f))).digest('hex') !== want);
        const verified = files.length === cluster.nodes.length && wrong.length === 0;
        const totalBytes = size * cluster.nodes.length;
        runs.push({ mode, ms, mbPerS: totalBytes / 1e6 / (ms / 1000), totalBytes, verified, detail: verified ? `${files.length} files of ${size} bytes, md5 ok` : `${files.length} files, ${wrong.length} wrong` });
        log(`  --outdir ${mode}: ${(totalBytes / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms = ${(totalBytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s, ${verified ? 'verified' : 'NOT VERIFIED'}`);
        rmSync(dir, { recursive: true, force: true });
        await sleep(500);
      }
    }
  } finally {
    await app.shutdown();
    rmSync(home, { recursive: true, force: true });
  }
  return runs;
}
