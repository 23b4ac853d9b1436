/**
 * Files and whole directory trees between this machine and a node (`put -r`, `get -r`, clush --copy/--rcopy,
 * pscp -r, pslurp -r), written once over RemoteFiles so every transport gets them: SFTP for SSH nodes, exec for pods.
 *
 * - The tree is walked first (directories created parents first, so a file never lands in a missing directory),
 *   then its files are copied a few at a time over the one connection, then, with `preserve`, directory modes and
 *   times are set deepest first (writing into a directory changes its mtime).
 * - Modes: a new file or directory gets the source's permission bits, as scp does (locally the umask applies);
 *   `preserve` (-p) sets exactly the source's mode and its access and modification times.
 * - Symlinks are followed to files (their content is copied); a symlink to a directory is not followed (no loops,
 *   no copying a whole filesystem by accident), and neither it nor a special file (socket, fifo, device) is
 *   copied: both are listed in `skipped`.
 * - Downloads land in a temporary file renamed into place (copy-file.ts): a failed copy never truncates a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RemoteFiles, RemoteStat } from '../sessions/transport.js';
import { downloadFile, uploadFile } from './copy-file.js';

export interface TreeCopyOptions {
  /** Keep modes and times (`-p`). */
  preserve?: boolean;
  onBytes?: (n: number) => void;
  /** Bytes of the files about to be copied, once the walk knows them (progress totals). */
  onPlanned?: (bytes: number) => void;
  /** Each file copied (local path, remote path). */
  onFile?: (local: string, remote: string) => void;
  signal?: AbortSignal;
  /** Files copied at once over the node's connection. Default 8. */
  concurrency?: number;
}

export interface TreeCopyReport {
  files: number;
  directories: number;
  bytes: number;
  /** Paths not copied, with why: `a/link (symlink to a directory)`, `a/fifo (not a regular file)`. */
  skipped: string[];
}

interface FileJob { local: string; remote: string; size: number; mode: number; atime: number; mtime: number }
interface DirJob { local: string; remote: string; mode: number; atime: number; mtime: number }

const DEFAULT_CONCURRENCY = 8;

/** Thrown for a directory given without `recursive`: the command turns it into its one-line refusal. */
export class IsDirectoryError extends Error {}

function interrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('interrupted');
}

/** Runs `task` over `items` with at most `limit` in flight; the first failure stops taking new items and is thrown. */
async function eachLimit<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failed === undefined) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

/**
 * Copies the local file or directory `local` to the remote path `remote` (its final name: the caller decides
 * whether that is `dest` or `dest/<name>`). A directory needs `recursive`; missing remote parents are the caller's.
 */
export async function putPath(files: RemoteFiles, local: string, remote: string, recursive: boolean, opts: TreeCopyOptions = {}): Promise<TreeCopyReport> {
  const report: TreeCopyReport = { files: 0, directories: 0, bytes: 0, skipped: [] };
  const top = await fs.promises.stat(local);
  const fileJobs: FileJob[] = [];
  const dirJobs: DirJob[] = [];
  if (top.isDirectory()) {
    if (!recursive) throw new IsDirectoryError(`${local} is a directory`);
    await walkLocal(local, remote, top, fileJobs, dirJobs, report, opts.signal);
  } else if (top.isFile()) {
    fileJobs.push({ local, remote, size: top.size, mode: top.mode & 0o7777, atime: Math.floor(top.atimeMs / 1000), mtime: Math.floor(top.mtimeMs / 1000) });
  } else {
    report.skipped.push(`${local} (not a regular file)`);
    return report;
  }
  opts.onPlanned?.(fileJobs.reduce((sum, f) => sum + f.size, 0));
  const created = new Set<DirJob>();
  for (const d of dirJobs) {
    interrupted(opts.signal);
    // A directory that is already there keeps its mode (cp -r does the same) unless -p asks for the source's.
    if ((await files.stat(d.remote))?.type !== 'directory') {
      // Owner rwx while copying, so the tree can be filled even from a read-only source directory.
      await files.mkdir(d.remote, (d.mode & 0o777) | 0o700);
      created.add(d);
    }
    report.directories++;
  }
  await eachLimit(fileJobs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (f) => {
    interrupted(opts.signal);
    await uploadFile(files, f.local, f.remote, { mode: f.mode & 0o777, ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) })
      .catch((err: unknown) => { throw new Error(`${f.remote}: ${err instanceof Error ? err.message : String(err)}`); });
    if (opts.preserve) await files.setAttributes(f.remote, { mode: f.mode, atime: f.atime, mtime: f.mtime });
    report.files++;
    report.bytes += f.size;
    opts.onFile?.(f.local, f.remote);
  });
  // Deepest first: setting a parent's time before its children are done would be undone by them.
  for (const d of [...dirJobs].reverse()) {
    if (opts.preserve) await files.setAttributes(d.remote, { mode: d.mode, atime: d.atime, mtime: d.mtime });
    else if (created.has(d) && (d.mode & 0o700) !== 0o700) await files.setAttributes(d.remote, { mode: d.mode & 0o777 });
  }
  return report;
}

async function walkLocal(dir: string, remote: string, st: fs.Stats, fileJobs: FileJob[], dirJobs: DirJob[], report: TreeCopyReport, signal: AbortSignal | undefined): Promise<void> {
  interrupted(signal);
  dirJobs.push({ local: dir, remote, mode: st.mode & 0o7777, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) });
  const entries = (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const local = path.join(dir, e.name);
    const target = path.posix.join(remote, e.name);
    let s: fs.Stats;
    try {
      s = e.isSymbolicLink() ? await fs.promises.stat(local) : await fs.promises.lstat(local);
    } catch {
      report.skipped.push(`${local} (broken symlink)`);
      continue;
    }
    if (s.isDirectory()) {
      if (e.isSymbolicLink()) report.skipped.push(`${local} (symlink to a directory)`);
      else await walkLocal(local, target, s, fileJobs, dirJobs, report, signal);
    } else if (s.isFile()) {
      fileJobs.push({ local, remote: target, size: s.size, mode: s.mode & 0o7777, atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000) });
    } else {
      report.skipped.push(`${local} (not a regular file)`);
    }
  }
}

/**
 * Copies the remote file or directory `remote` to the local path `local` (its final name). `stat` is the remote
 * path's, when the caller already has it. Nothing local is touched before the remote side is known to be right:
 * a remote directory without `recursive` throws IsDirectoryError, a file where a local directory is (or the other way
 * round) throws before any byte moves.
 */
export async function getPath(files: RemoteFiles, remote: string, local: string, recursive: boolean, opts: TreeCopyOptions = {}, stat?: RemoteStat): Promise<TreeCopyReport> {
  const report: TreeCopyReport = { files: 0, directories: 0, bytes: 0, skipped: [] };
  const top = stat ?? await files.stat(remote);
  if (!top) throw new Error('No such file');
  const fileJobs: FileJob[] = [];
  const dirJobs: DirJob[] = [];
  if (top.type === 'directory') {
    if (!recursive) throw new IsDirectoryError(`${remote} is a directory`);
    await walkRemote(files, remote, local, top, fileJobs, dirJobs, report, opts.signal);
  } else if (top.type === 'file') {
    fileJobs.push({ local, remote, size: top.size, mode: top.mode, atime: top.atime, mtime: top.mtime });
  } else {
    report.skipped.push(`${remote} (not a regular file)`);
    return report;
  }
  await refuseTypeClashes(fileJobs, dirJobs);
  opts.onPlanned?.(fileJobs.reduce((sum, f) => sum + f.size, 0));
  for (const d of dirJobs) {
    interrupted(opts.signal);
    await fs.promises.mkdir(d.local, { recursive: true, mode: (d.mode & 0o777) | 0o700 });
    report.directories++;
  }
  await eachLimit(fileJobs, opts.concurrency ?? DEFAULT_CONCURRENCY, async (f) => {
    interrupted(opts.signal);
    await downloadFile(files, f.remote, f.local, { mode: f.mode & 0o777, ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) })
      .catch((err: unknown) => { throw new Error(`${f.remote}: ${err instanceof Error ? err.message : String(err)}`); });
    if (opts.preserve) {
      await fs.promises.chmod(f.local, f.mode);
      await fs.promises.utimes(f.local, f.atime, f.mtime);
    }
    report.files++;
    report.bytes += f.size;
    opts.onFile?.(f.local, f.remote);
  });
  for (const d of [...dirJobs].reverse()) {
    if (opts.preserve) {
      await fs.promises.chmod(d.local, d.mode);
      await fs.promises.utimes(d.local, d.atime, d.mtime);
    }
  }
  return report;
}

async function walkRemote(files: RemoteFiles, dir: string, local: string, st: RemoteStat, fileJobs: FileJob[], dirJobs: DirJob[], report: TreeCopyReport, signal: AbortSignal | undefined): Promise<void> {
  interrupted(signal);
  dirJobs.push({ local, remote: dir, mode: st.mode, atime: st.atime, mtime: st.mtime });
  const entries = (await files.list(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const remote = path.posix.join(dir, e.name);
    const target = path.join(local, localName(e.name));
    let s: RemoteStat | undefined = e.stat;
    if (s.type === 'symlink') {
      s = await files.stat(remote).catch(() => undefined);
      if (s === undefined) { report.skipped.push(`${remote} (broken symlink)`); continue; }
      if (s.type === 'directory') { report.skipped.push(`${remote} (symlink to a directory)`); continue; }
    }
    if (s.type === 'directory') await walkRemote(files, remote, target, s, fileJobs, dirJobs, report, signal);
    else if (s.type === 'file') fileJobs.push({ local: target, remote, size: s.size, mode: s.mode, atime: s.atime, mtime: s.mtime });
    else report.skipped.push(`${remote} (not a regular file)`);
  }
}

/**
 * A remote name as ONE local file or directory name: a path separator (not possible on POSIX, but names come from
 * outside — an EC2 Name tag anyone with tagging rights can set) is flattened, so `../../.ssh` cannot lead outside.
 */
export function localName(name: string): string {
  const flat = name.replace(/[/\\]/g, '_');
  return flat === '' || flat === '.' || flat === '..' ? `_${flat}` : flat;
}

/** Before anything is written: a local directory where a file goes, or a file where a directory goes, stops the copy. */
async function refuseTypeClashes(fileJobs: readonly FileJob[], dirJobs: readonly DirJob[]): Promise<void> {
  for (const f of fileJobs) {
    const st = await fs.promises.lstat(f.local).catch(() => undefined);
    if (st?.isDirectory()) throw new Error(`local ${f.local} is a directory, the remote ${f.remote} a file: nothing copied`);
  }
  for (const d of dirJobs) {
    const st = await fs.promises.stat(d.local).catch(() => undefined);
    if (st && !st.isDirectory()) throw new Error(`local ${d.local} is a file, the remote ${d.remote} a directory: nothing copied`);
  }
}
