/**
 * RemoteFiles over one SFTP channel of a node's existing connection (the SSH transport's file access).
 */
import type { SFTPWrapper, Stats } from 'ssh2';
import type { RemoteEntry, RemoteFiles, RemoteStat } from '../sessions/transport.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
/** SFTP status code for "no such file". */
const NO_SUCH_FILE = 2;

function toStat(attrs: Pick<Stats, 'mode' | 'size' | 'mtime' | 'atime'>): RemoteStat {
  const fmt = attrs.mode & S_IFMT;
  const type = fmt === S_IFDIR ? 'directory' : fmt === S_IFREG ? 'file' : fmt === S_IFLNK ? 'symlink' : 'other';
  return { type, size: attrs.size, mode: attrs.mode & 0o7777, mtime: attrs.mtime, atime: attrs.atime };
}

function call<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export class SftpFiles implements RemoteFiles {
  private homeDir: Promise<string> | undefined;

  constructor(private readonly sftp: SFTPWrapper) {}

  async stat(path: string): Promise<RemoteStat | undefined> {
    try {
      return toStat(await call<Stats>((cb) => this.sftp.stat(path, cb)));
    } catch (err) {
      if ((err as { code?: unknown }).code === NO_SUCH_FILE) return undefined;
      throw err;
    }
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    const entries = await call<{ filename: string; attrs: Stats }[]>((cb) => this.sftp.readdir(dir, cb));
    return entries
      .filter((e) => e.filename !== '.' && e.filename !== '..')
      .map((e) => ({ name: e.filename, stat: toStat(e.attrs) }));
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    try {
      await call<void>((cb) => this.sftp.mkdir(path, mode === undefined ? {} : { mode }, (err) => cb(err, undefined)));
    } catch (err) {
      const st = await this.stat(path).catch(() => undefined);
      if (st?.type === 'directory') return;
      throw err;
    }
  }

  read(path: string): NodeJS.ReadableStream {
    return this.sftp.createReadStream(path);
  }

  write(path: string, opts: { mode?: number } = {}): { stream: NodeJS.WritableStream; done: Promise<void> } {
    const stream = this.sftp.createWriteStream(path, opts.mode === undefined ? {} : { mode: opts.mode });
    const done = new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.once('close', () => resolve());
    });
    return { stream, done };
  }

  async setAttributes(path: string, attrs: { mode?: number; mtime?: number; atime?: number }): Promise<void> {
    if (attrs.mode !== undefined) await call<void>((cb) => this.sftp.chmod(path, attrs.mode!, (err) => cb(err, undefined)));
    if (attrs.mtime !== undefined || attrs.atime !== undefined) {
      const now = Date.now() / 1000;
      const mtime = attrs.mtime ?? now;
      await call<void>((cb) => this.sftp.utimes(path, attrs.atime ?? mtime, mtime, (err) => cb(err, undefined)));
    }
  }

  home(): Promise<string> {
    this.homeDir ??= call<string>((cb) => this.sftp.realpath('.', cb));
    return this.homeDir;
  }

  upload(localPath: string, remotePath: string, opts: { mode?: number; onBytes?: (n: number) => void }): Promise<void> {
    return call<void>((cb) => this.sftp.fastPut(localPath, remotePath, {
      ...(opts.mode === undefined ? {} : { mode: opts.mode }),
      step: (_total, chunk) => opts.onBytes?.(chunk),
    }, (err) => cb(err, undefined)));
  }

  download(remotePath: string, localPath: string, opts: { onBytes?: (n: number) => void }): Promise<void> {
    return call<void>((cb) => this.sftp.fastGet(remotePath, localPath, { step: (_total, chunk) => opts.onBytes?.(chunk) }, (err) => cb(err, undefined)));
  }
}
