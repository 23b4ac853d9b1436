/**
 * CPU accounting for the benchmarks. On this shared 2-core box wall time moves with other people's load; the CPU a
 * piece of work costs moves much less, and a cold start is CPU-bound, so CPU per node is the figure that explains it.
 */
import { readFileSync } from 'node:fs';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { childrenByParent, descendantsOf } from '../../test/harness/processes.js';
import { sleep } from './util.js';

const TICK_MS = 1000 / 100; // USER_HZ

/** utime+stime+cutime+cstime of a process, in ms: its own CPU plus that of every descendant it reaped. */
export function processTreeCpuMs(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU the cluster's sshds used so far, sessions included: every per-connection sshd and shell is a descendant of its
 * node's listener, which reaps it, so once connections are closed and reaped (`whenReaped`) it is all in here.
 */
export function clusterCpuMs(cluster: SshdCluster): number {
  return cluster.nodes.reduce((a, n) => a + processTreeCpuMs(n.pid), 0);
}

/** Resolves once no listener has a child left (connections closed, every session reaped), or after 10 s. */
export async function whenReaped(cluster: SshdCluster): Promise<void> {
  const roots = cluster.nodes.map((n) => n.pid);
  for (let i = 0; i < 200 && descendantsOf(roots, childrenByParent()).length > 0; i++) await sleep(50);
}

/** This process's CPU (user + system) so far, in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Busy CPU of the whole machine (all cores, everyone's work) so far, in ms. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle) * TICK_MS;
}
