/**
 * OpenSSH-based peers: ControlMaster multiplexing over pre-opened masters, and clush / pdsh / pssh with
 * fresh connections. All use the harness's ssh_config (`-F`), BatchMode, and a fanout of 32.
 */
import os from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { have, mapLimit, nodeRange, now, run, sleep } from './util.js';

export const FANOUT = 32;

export interface Peer {
  name: string;
  /** The exact command line, for the doc. */
  describe(cluster: SshdCluster): string;
  /** Runs `true` on every node once; resolves to ms, throws if any node failed. */
  once(cluster: SshdCluster): Promise<number>;
}

function sshOpts(cluster: SshdCluster): string {
  return `-F ${cluster.sshConfigPath} -o BatchMode=yes`;
}

const peerDefs: { name: string; bin: string; argv(c: SshdCluster): { args: string[]; env?: NodeJS.ProcessEnv } }[] = [
  {
    name: 'clush',
    bin: 'clush',
    argv: (c) => ({ args: ['-f', String(FANOUT), '-o', sshOpts(c), '-w', nodeRange(c.nodes.length), 'true'] }),
  },
  {
    name: 'pdsh',
    bin: 'pdsh',
    argv: (c) => ({
      args: ['-R', 'ssh', '-f', String(FANOUT), '-w', nodeRange(c.nodes.length), 'true'],
      env: { ...process.env, PDSH_SSH_ARGS_APPEND: sshOpts(c) },
    }),
  },
  {
    name: 'pssh',
    bin: 'parallel-ssh',
    argv: (c) => ({ args: ['-p', String(FANOUT), '-t', '0', '-x', sshOpts(c), '-H', c.nodes.map((n) => n.name).join(' '), 'true'] }),
  },
];

/** The installed peers; missing ones are reported through `skipped`. */
export async function findPeers(skipped: (name: string, why: string) => void): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (const def of peerDefs) {
    if (!(await have(def.bin))) {
      skipped(def.name, `${def.bin} not installed (apt-get install ${def.name === 'clush' ? 'clustershell' : def.name})`);
      continue;
    }
    peers.push({
      name: def.name,
      describe: (c) => {
        const { args, env } = def.argv(c);
        const prefix = env ? `PDSH_SSH_ARGS_APPEND='${env['PDSH_SSH_ARGS_APPEND']}' ` : '';
        return `${prefix}${def.bin} ${args.map((a) => (/[\s*[\]]/.test(a) ? `'${a.length > 60 ? `${a.slice(0, 40)}…` : a}'` : a)).join(' ')}`;
      },
      once: async (c) => {
        const { args, env } = def.argv(c);
        const t0 = now();
        const r = await run(def.bin, args, { ...(env ? { env } : {}), timeoutMs: 300_000 });
        const ms = now() - t0;
        if (r.code !== 0) throw new Error(`${def.name} exited ${r.code}: ${r.stderr.split('\n').slice(0, 3).join(' | ')}`);
        return ms;
      },
    });
  }
  return peers;
}

/** N ControlMasters (`ssh -M -S sock -fN`), opened with FANOUT in flight; closed with `close()`. */
export class ControlMasters {
  private readonly dir = mkdtempSync('/tmp/dbcm-');
  openMs = 0;
  constructor(private readonly cluster: SshdCluster) {}

  private sock(i: number): string {
    return path.join(this.dir, String(i));
  }

  async open(): Promise<void> {
    const t0 = now();
    await mapLimit(this.cluster.nodes, FANOUT, async (n, i) => {
      // -E: the forked master would keep a stderr pipe open; its errors go to a log file instead.
      const log = `${this.sock(i)}.log`;
      const r = await run('ssh', [...this.cluster.sshArgs(n.name).slice(0, -1), '-E', log, '-M', '-S', this.sock(i), '-fN', n.name], { timeoutMs: 120_000, noOutput: true });
      if (r.code !== 0) throw new Error(`ControlMaster for ${n.name}: exit ${r.code}: ${existsSync(log) ? readFileSync(log, 'utf8').trim() : ''}`);
    });
    this.openMs = now() - t0;
  }

  /** `ssh -S sock -n host true` for every node at once. */
  async round(): Promise<number> {
    const t0 = now();
    const results = await Promise.all(this.cluster.nodes.map((n, i) =>
      run('ssh', ['-F', this.cluster.sshConfigPath, '-S', this.sock(i), '-n', n.name, 'true'], { timeoutMs: 120_000 })));
    const ms = now() - t0;
    const bad = results.filter((r) => r.code !== 0);
    if (bad.length > 0) throw new Error(`ControlMaster round: ${bad.length} failed: ${bad[0]!.stderr.trim()}`);
    return ms;
  }

  /**
   * `-O exit` returns before the master is gone (test-cluster.md pitfall 7): note each master's pid from
   * `-O check` first, wait for the sockets to disappear, then SIGKILL the pids still alive.
   */
  async close(): Promise<void> {
    const pids = await mapLimit(this.cluster.nodes, FANOUT, async (n, i) => {
      if (!existsSync(this.sock(i))) return undefined;
      const r = await run('ssh', ['-F', this.cluster.sshConfigPath, '-S', this.sock(i), '-O', 'check', n.name], { timeoutMs: 10_000 });
      const m = /pid=(\d+)/.exec(r.stderr + r.stdout);
      return m ? Number(m[1]) : undefined;
    });
    await mapLimit(this.cluster.nodes, FANOUT, (n, i) =>
      existsSync(this.sock(i)) ? run('ssh', ['-F', this.cluster.sshConfigPath, '-S', this.sock(i), '-O', 'exit', n.name], { timeoutMs: 10_000 }) : Promise.resolve(undefined));
    for (let i = 0; i < 50 && this.cluster.nodes.some((_, j) => existsSync(this.sock(j))); i++) await sleep(100);
    await sleep(100);
    for (const pid of pids) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 0);
        process.kill(pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Load averages (1, 5, 15 min), two decimals. */
export const load = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** What every results file starts with: when, on what machine, under what load, against which peers. */
export async function machineMeta(): Promise<Record<string, unknown>> {
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? '?',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    loadStart: load(),
    versions: await versions(),
  };
}

export async function versions(): Promise<Record<string, string>> {
  const first = (s: string): string => s.trim().split('\n')[0] ?? '';
  const v: Record<string, string> = { node: process.version };
  v['openssh'] = first((await run('ssh', ['-V'])).stderr);
  if (await have('clush')) v['clush'] = first((await run('clush', ['--version'])).stdout);
  if (await have('pdsh')) v['pdsh'] = first((await run('pdsh', ['-V'])).stdout + (await run('pdsh', ['-V'])).stderr);
  if (await have('parallel-ssh')) v['pssh'] = first((await run('parallel-ssh', ['--version'])).stdout);
  return v;
}
