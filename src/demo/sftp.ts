/**
 * The `sftp` subsystem of a demo node, on ssh2's server-side SFTP protocol: requests map onto the local file
 * system, relative paths resolve against the node's home (where OpenSSH's sftp-server starts too). No
 * confinement to the home: the demo runs as the user anyway, exactly as their own sshd would.
 */
import type { Stats } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { Attributes, FileEntry, SFTPWrapper } from 'ssh2';

const { utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

type OpenHandle =
  | { kind: 'file'; file: fsp.FileHandle }
  | { kind: 'dir'; dirPath: string; listed: boolean };

/** Largest READ answered in one packet (OpenSSH's sftp-server limit as well). */
const MAX_READ = 256 * 1024;

function statusOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function attrsOf(stats: Stats): Attributes {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

/** An `ls -l`-like line, which OpenSSH's sftp prints for `ls -l`. */
function longnameOf(name: string, stats: Stats): string {
  const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx'
    .split('')
    .map((ch, i) => (stats.mode & (0o400 >> i) ? ch : '-'))
    .join('');
  const date = stats.mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `${type}${bits} 1 ${stats.uid} ${stats.gid} ${String(stats.size).padStart(8)} ${date} ${name}`;
}

/** Applies the SETSTAT fields a client sent (absent ones are undefined on the wire). */
async function applyAttrs(target: string | fsp.FileHandle, attrs: Partial<Attributes>): Promise<void> {
  const onFile = typeof target !== 'string';
  if (typeof attrs.size === 'number') await (onFile ? target.truncate(attrs.size) : fsp.truncate(target, attrs.size));
  if (typeof attrs.mode === 'number') await (onFile ? target.chmod(attrs.mode & 0o7777) : fsp.chmod(target, attrs.mode & 0o7777));
  if (typeof attrs.atime === 'number' && typeof attrs.mtime === 'number') {
    await (onFile ? target.utimes(attrs.atime, attrs.mtime) : fsp.utimes(target, attrs.atime, attrs.mtime));
  }
}

/** Answers SFTP requests on `sftp` until the channel closes, then closes every handle left open. */
export function serveSftp(sftp: SFTPWrapper, homeDir: string): void {
  const handles = new Map<number, OpenHandle>();
  let nextHandle = 1;
  const resolvePath = (p: string): string => path.resolve(homeDir, p || '.');

  const newHandle = (h: OpenHandle): Buffer => {
    const id = nextHandle++;
    handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  };
  const lookup = (handle: Buffer): [number, OpenHandle | undefined] => {
    const id = handle.length === 4 ? handle.readUInt32BE(0) : -1;
    return [id, handles.get(id)];
  };
  /** Runs a request, answering OK (or the work's own reply) or the error's status. */
  const answer = (reqid: number, work: () => Promise<void | 'replied'>): void => {
    work().then(
      (result) => {
        if (result !== 'replied') sftp.status(reqid, STATUS_CODE.OK);
      },
      (err: unknown) => sftp.status(reqid, statusOf(err), err instanceof Error ? err.message : String(err)),
    );
  };
  const fileOf = (handle: Buffer): fsp.FileHandle => {
    const h = lookup(handle)[1];
    if (h?.kind !== 'file') throw Object.assign(new Error('invalid handle'), { code: 'EBADF' });
    return h.file;
  };

  sftp.on('OPEN', (reqid, filename, flags, attrs: Partial<Attributes>) => {
    const mode = utils.sftp.flagsToString(flags);
    if (!mode) return sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, 'unsupported open flags');
    answer(reqid, async () => {
      const file = await fsp.open(resolvePath(filename), mode, typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o644);
      sftp.handle(reqid, newHandle({ kind: 'file', file }));
      return 'replied';
    });
  });

  sftp.on('READ', (reqid, handle, offset, length) =>
    answer(reqid, async () => {
      const buf = Buffer.alloc(Math.min(length, MAX_READ));
      const { bytesRead } = await fileOf(handle).read(buf, 0, buf.length, offset);
      if (bytesRead === 0) sftp.status(reqid, STATUS_CODE.EOF);
      else sftp.data(reqid, buf.subarray(0, bytesRead));
      return 'replied';
    }),
  );

  sftp.on('WRITE', (reqid, handle, offset, data) =>
    answer(reqid, async () => {
      await fileOf(handle).write(data, 0, data.length, offset);
    }),
  );

  sftp.on('FSTAT', (reqid, handle) =>
    answer(reqid, async () => {
      sftp.attrs(reqid, attrsOf(await fileOf(handle).stat()));
      return 'replied';
    }),
  );

  sftp.on('FSETSTAT', (reqid, handle, attrs: Partial<Attributes>) => answer(reqid, () => applyAttrs(fileOf(handle), attrs)));
  sftp.on('SETSTAT', (reqid, p, attrs: Partial<Attributes>) => answer(reqid, () => applyAttrs(resolvePath(p), attrs)));

  sftp.on('CLOSE', (reqid, handle) =>
    answer(reqid, async () => {
      const [id, h] = lookup(handle);
      if (!h) throw Object.assign(new Error('invalid handle'), { code: 'EBADF' });
      handles.delete(id);
      if (h.kind === 'file') await h.file.close();
    }),
  );

  const statRequest = (follow: boolean) => (reqid: number, p: string) =>
    answer(reqid, async () => {
      const target = resolvePath(p);
      sftp.attrs(reqid, attrsOf(follow ? await fsp.stat(target) : await fsp.lstat(target)));
      return 'replied';
    });
  sftp.on('STAT', statRequest(true));
  sftp.on('LSTAT', statRequest(false));

  sftp.on('OPENDIR', (reqid, p) =>
    answer(reqid, async () => {
      const dirPath = resolvePath(p);
      if (!(await fsp.stat(dirPath)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      sftp.handle(reqid, newHandle({ kind: 'dir', dirPath, listed: false }));
      return 'replied';
    }),
  );

  // The whole listing goes out in the first READDIR reply, EOF on the next (fine for demo-sized homes).
  sftp.on('READDIR', (reqid, handle) =>
    answer(reqid, async () => {
      const h = lookup(handle)[1];
      if (h?.kind !== 'dir') throw Object.assign(new Error('invalid handle'), { code: 'EBADF' });
      if (h.listed) {
        sftp.status(reqid, STATUS_CODE.EOF);
        return 'replied';
      }
      h.listed = true;
      const entries: FileEntry[] = [];
      for (const filename of ['.', '..', ...(await fsp.readdir(h.dirPath))]) {
        try {
          const stats = await fsp.lstat(path.join(h.dirPath, filename));
          entries.push({ filename, longname: longnameOf(filename, stats), attrs: attrsOf(stats) });
        } catch {
          // vanished while listing
        }
      }
      sftp.name(reqid, entries);
      return 'replied';
    }),
  );

  sftp.on('REALPATH', (reqid, p) =>
    answer(reqid, async () => {
      const target = resolvePath(p);
      const real = await fsp.realpath(target).catch(() => target); // may name a file about to be created
      sftp.name(reqid, [{ filename: real, longname: real, attrs: {} as Attributes }]);
      return 'replied';
    }),
  );

  sftp.on('READLINK', (reqid, p) =>
    answer(reqid, async () => {
      const target = await fsp.readlink(resolvePath(p));
      sftp.name(reqid, [{ filename: target, longname: target, attrs: {} as Attributes }]);
      return 'replied';
    }),
  );

  sftp.on('MKDIR', (reqid, p, attrs: Partial<Attributes>) =>
    answer(reqid, () => fsp.mkdir(resolvePath(p), typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o755)),
  );
  sftp.on('RMDIR', (reqid, p) => answer(reqid, () => fsp.rmdir(resolvePath(p))));
  sftp.on('REMOVE', (reqid, p) => answer(reqid, () => fsp.unlink(resolvePath(p))));
  // SFTP v3 RENAME must not overwrite (OpenSSH's sftp-server refuses too).
  sftp.on('RENAME', (reqid, from, to) =>
    answer(reqid, async () => {
      const target = resolvePath(to);
      if (await fsp.lstat(target).then(() => true, () => false)) throw new Error('target exists');
      await fsp.rename(resolvePath(from), target);
    }),
  );
  // ssh2 undoes OpenSSH's swapped SYMLINK arguments and always emits (link path, target), whatever its typings say.
  sftp.on('SYMLINK', (reqid, linkPath, targetPath) =>
    answer(reqid, () => fsp.symlink(targetPath, resolvePath(linkPath))),
  );

  // The client's EOF ends the subsystem, as sftp-server exiting would; OpenSSH's sftp waits for that close.
  sftp.on('end', () => sftp.end());
  sftp.on('close', () => {
    for (const h of handles.values()) if (h.kind === 'file') void h.file.close().catch(() => {});
    handles.clear();
  });
}
