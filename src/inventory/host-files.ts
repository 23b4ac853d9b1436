import fs from 'node:fs';
import path from 'node:path';
import { expandHome } from '../config/paths.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { printable } from '../errors/printable.js';
import { parseHostList, type HostList } from '../targets/index.js';

/** A host list is a few thousand lines; anything this big is the wrong file (a log, a disk image). */
const MAX_HOST_FILE_BYTES = 16 * 1024 * 1024;

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory', ELOOP: 'too many symbolic links', ENAMETOOLONG: 'the name is too long',
};

/**
 * Reads the host list of a `file:PATH` target. `~/` is the home directory; a relative path is relative to
 * the directory dust was started in. Only a regular file is read (never a FIFO, a device or `/dev/stdin`,
 * which would hang the shell).
 * @returns the list (messages name the path as written) and its absolute path, the key the inventory keeps it by
 * @throws DustError DUST_HOST_FILE, one line naming the file and why it cannot be used
 */
export function readHostList(file: string, cwd = process.cwd()): { key: string; list: HostList } {
  const abs = path.resolve(cwd, expandHome(file));
  const refuse = (why: string, cause?: unknown): DustError => new DustError(ErrorCodes.HostFile,
    printable(`file:${file}: cannot read host list ${abs}: ${why}`),
    { hint: 'file: takes a text file with one [user@]host[:port] per line', ...(cause === undefined ? {} : { cause }) });
  let text: string;
  try {
    const stat = fs.statSync(abs);
    if (stat.isDirectory()) throw refuse('it is a directory');
    if (!stat.isFile()) throw refuse('not a regular file');
    if (stat.size > MAX_HOST_FILE_BYTES) throw refuse(`${stat.size} bytes is too big for a host list`);
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    if (err instanceof DustError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw refuse(REASONS[code] ?? (err instanceof Error ? err.message : String(err)), err);
  }
  return { key: abs, list: parseHostList(text, file) };
}
