/**
 * Process bookkeeping for the test cluster, read straight from /proc (Linux only, like the cluster itself).
 *
 * Everything that kills is synchronous so it can run inside a process 'exit' handler, and it only ever
 * touches the pids it is given plus their descendants: a node's listener sshd forks one privileged sshd per
 * connection (which calls setsid, so process groups do not help) and that one forks the session and the
 * user's shell. Those descendants must go too, otherwise "stopping" a node would leave live sessions behind.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** What /proc/<pid>/stat says about a process, or undefined when there is no such process. */
export interface ProcStat {
  ppid: number;
  /** One-letter state: R, S, D, T (stopped), Z (zombie) ... */
  state: string;
}

export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const ppid = Number(rest[1]);
  if (state === undefined || !Number.isInteger(ppid)) return undefined;
  return { ppid, state };
}

/** True while the process exists and has not exited (a zombie counts as exited). */
export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The process's argv joined with spaces, or undefined when it is gone. */
export function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Parent pid → child pids for every process visible in /proc, read once. */
export function childrenByParent(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    if (stat === undefined) continue;
    const siblings = map.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else map.set(stat.ppid, [pid]);
  }
  return map;
}

/** All descendants (not including the roots) of the given pids, using one /proc snapshot. */
export function descendantsOf(roots: readonly number[], children = childrenByParent()): number[] {
  const found: number[] = [];
  const queue = [...roots];
  const seen = new Set(roots);
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Sends a signal, ignoring processes that are already gone. Returns whether it was delivered. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills each root and every descendant with SIGKILL, synchronously.
 *
 * Freezes first (SIGSTOP the roots, then their descendants, re-reading /proc until no new process shows
 * up) so that a listener cannot accept and fork a new session between the snapshot and the kill.
 * Returns every pid it signalled.
 */
export function killTreesNow(roots: readonly number[]): number[] {
  const live = roots.filter((pid) => isAlive(pid));
  if (live.length === 0) return [];
  for (const pid of live) signal(pid, 'SIGSTOP');
  const frozen = new Set<number>(live);
  for (let round = 0; round < 5; round++) {
    const fresh = descendantsOf(live).filter((pid) => !frozen.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  }
  for (const pid of frozen) signal(pid, 'SIGKILL');
  return [...frozen];
}

/** Resolves true once none of the pids is alive, false if the timeout passes first. */
export async function waitForExit(pids: readonly number[], timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((pid) => !isAlive(pid))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
