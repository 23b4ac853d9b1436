import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/**
 * One writer at a time per file under `$DUST_HOME`, within this process and across dust processes, so a
 * read-merge-write of a store, `logins.yaml` or the history never loses what another writer just wrote.
 *
 * In-process: a promise chain per path (no busy waiting, strict order). Across processes: `<file>.lock`
 * created with O_EXCL holding `pid host`; it lives for the milliseconds of one update. A lock whose owner
 * died (same host: its pid is gone; any host: older than STALE_MS) is taken over. Written by hand rather
 * than with proper-lockfile: that one polls mtimes from a timer and throws from it when it loses the lock.
 */

const STALE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 15_000;

const queues = new Map<string, Promise<unknown>>();

export interface LockOptions {
  /** Give up waiting for another process after this long (default 15 s). */
  timeoutMs?: number;
}

/** Runs `fn` holding the lock of `file` (which need not exist); the lock is released whatever `fn` does. */
export function withFileLock<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.then(() => holdingProcessLock(file, fn, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS));
  // The chain continues past a failed update; the failure belongs to its caller alone.
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return run;
}

async function holdingProcessLock<T>(file: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const lockFile = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    if (await tryCreate(lockFile)) break;
    const holder = await readHolder(lockFile);
    if (holder && isStale(holder)) {
      await takeOver(lockFile, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new DustError(ErrorCodes.StateWrite, `cannot update ${file}: ${lockFile} is held by ${holder ? `pid ${holder.pid} on ${holder.host}` : 'another process'}`, {
        hint: `if no other dust is running, delete ${lockFile}`,
      });
    }
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 50);
  }
  try {
    return await fn();
  } finally {
    await fs.promises.rm(lockFile, { force: true });
  }
}

async function tryCreate(lockFile: string): Promise<boolean> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(lockFile, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // The directory does not exist yet (first write of a store): create it, then try again.
      await fs.promises.mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
      return tryCreate(lockFile);
    }
    throw err;
  }
  try {
    await handle.writeFile(`${process.pid} ${os.hostname()}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

interface Holder { pid: number; host: string; mtimeMs: number; ino: number }

async function readHolder(lockFile: string): Promise<Holder | undefined> {
  try {
    const [text, st] = await Promise.all([fs.promises.readFile(lockFile, 'utf8'), fs.promises.stat(lockFile)]);
    const [pid, host] = text.trim().split(/\s+/);
    return { pid: Number(pid), host: host ?? '', mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    // Gone already (released between our attempts), or written half-way: try again.
    return undefined;
  }
}

function isStale(h: Holder): boolean {
  if (Date.now() - h.mtimeMs > STALE_MS) return true;
  if (h.host !== os.hostname() || !Number.isInteger(h.pid) || h.pid <= 0) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes a dead owner's lock. It is renamed away first and checked to be the very file judged stale, so
 * two processes taking over at once cannot remove a lock a third one has just created.
 */
async function takeOver(lockFile: string, stale: Holder): Promise<void> {
  const aside = `${lockFile}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await fs.promises.rename(lockFile, aside);
  } catch {
    return; // someone else took it over first
  }
  const st = await fs.promises.stat(aside).catch(() => undefined);
  if (st && (st.ino !== stale.ino || st.mtimeMs !== stale.mtimeMs)) {
    // Not the stale lock but a live one created meanwhile: put it back (unless yet another exists).
    await fs.promises.link(aside, lockFile).catch(() => undefined);
  }
  await fs.promises.rm(aside, { force: true });
}
