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

export async function uploadFile(files: RemoteFiles, localPath: string, remotePath: string, opts: CopyProgress & { mode?: number } = {}): Promise<void> {
  if (files.upload) {
    await files.upload(localPath, remotePath, { ...(opts.mode === undefined ? {} : { mode: opts.mode }), ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) });
    return;
  }
  const { stream, done } = files.write(remotePath, opts.mode === undefined ? {} : { mode: opts.mode });
  await Promise.all([pipeline(fs.createReadStream(localPath), counter(opts.onBytes), stream), done]);
}

export async function downloadFile(files: RemoteFiles, remotePath: string, localPath: string, opts: CopyProgress = {}): Promise<void> {
  const tmp = path.join(path.dirname(localPath), `.${path.basename(localPath)}.dust-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    if (files.download) await files.download(remotePath, tmp, opts.onBytes ? { onBytes: opts.onBytes } : {});
    else await pipeline(files.read(remotePath), counter(opts.onBytes), fs.createWriteStream(tmp, { mode: 0o600 }));
    await fs.promises.rename(tmp, localPath);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}
