/**
 * Killing what a demo session started. Every session's process (pty shell or piped exec) is a session leader
 * (node-pty and `spawn({ detached: true })` both call setsid), so "everything this session started" is the
 * kernel session with that id: it includes background jobs that moved to their own process groups. Linux
 * lists sessions in /proc; elsewhere the leader's process group is the best we have.
 *
 * Everything here is synchronous so it can run from a process 'exit' hook.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids whose kernel session id is one of `sids` (Linux); empty where /proc is unavailable. */
function membersOfSessions(sids: ReadonlySet<number>): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp session ...
    const sid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    if (sids.has(sid)) members.push(pid);
  }
  return members;
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone, or not ours
  }
}

/** Sends `signal` to every process of the given sessions: each leader's group, then every session member. */
export function signalSessions(sids: Iterable<number>, signal: NodeJS.Signals): void {
  const set = new Set([...sids].filter((sid) => sid > 0));
  if (set.size === 0) return;
  for (const sid of set) trySignal(-sid, signal);
  for (const pid of membersOfSessions(set)) trySignal(pid, signal);
}

/**
 * The terminal's foreground process group for a process with a controlling terminal (Linux /proc `tpgid`):
 * the group a ^C typed on that terminal would reach. Undefined when unknown.
 */
function foregroundGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const tpgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[5]);
    return Number.isInteger(tpgid) && tpgid > 0 ? tpgid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Delivers a client's `signal` request: to the terminal's foreground job when the session has a pty (so INT
 * stops `sleep` in an interactive shell, not the shell), else to the process group led by `pid`.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals, hasTerminal = false): void {
  const group = (hasTerminal ? foregroundGroupOf(pid) : undefined) ?? pid;
  try {
    process.kill(-group, signal);
  } catch {
    trySignal(pid, signal);
  }
}

/** Session leaders of every live demo session in this process, for the 'exit' hook. */
const liveLeaders = new Set<number>();
let exitHookInstalled = false;

/** Records a session leader so that dust exiting, however it exits normally, takes its processes along. */
export function trackLeader(pid: number): void {
  liveLeaders.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => signalSessions(liveLeaders, 'SIGKILL'));
  }
}

export function untrackLeader(pid: number): void {
  liveLeaders.delete(pid);
}
