/**
 * One file between this machine and a node, over the node's RemoteFiles (any transport). The transport's
 * pipelined fast path is used when it has one; otherwise streams. A download lands in a temporary file beside
 * its destination and is renamed into place only when complete, so a failure never truncates a local file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { RemoteFiles } from '../sessions/transport.js';

export interface CopyProgress {
  onBytes?: (n: number) => void;
}

function counter(onBytes: ((n: number) => void) | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** `mode`: permission bits for a file the upload creates (an existing remote file keeps its own). */
export async function uploadFile(files: RemoteFiles, localPath: string, remotePath: string, opts: CopyProgress & { mode?: number } = {}): Promise<void> {
  if (files.upload) {
    await files.upload(localPath, remotePath, { ...(opts.mode === undefined ? {} : { mode: opts.mode }), ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) });
    return;
  }
  const { stream, done } = files.write(remotePath, opts.mode === undefined ? {} : { mode: opts.mode });
  await Promise.all([pipeline(fs.createReadStream(localPath), counter(opts.onBytes), stream), done]);
}

/**
 * `mode`: permission bits the local file is created with, before the umask (as scp does with the remote file's
 * mode); default 0600. An existing local file is replaced, never written into.
 */
export async function downloadFile(files: RemoteFiles, remotePath: string, localPath: string, opts: CopyProgress & { mode?: number } = {}): Promise<void> {
  const tmp = path.join(path.dirname(localPath), `.${path.basename(localPath)}.dust-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    // Created here, so the operating system applies the umask to `mode`; the copy then only truncates it.
    await (await fs.promises.open(tmp, 'wx', opts.mode ?? 0o600)).close();
    if (files.download) await files.download(remotePath, tmp, opts.onBytes ? { onBytes: opts.onBytes } : {});
    else await pipeline(files.read(remotePath), counter(opts.onBytes), fs.createWriteStream(tmp));
    await fs.promises.rename(tmp, localPath);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
