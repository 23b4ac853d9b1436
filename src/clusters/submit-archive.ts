/**
 * The archive `cluster submit` sends to the head: a directory as a .tar.gz, without what git would not commit.
 *
 * Which files: every file, directory and symlink under the directory, except `.git` (always), and what the
 * `.gitignore` and `.dustignore` files say, each applying to its own directory and below as in git (a deeper file
 * overrides a shallower one; `!pattern` re-includes). `.dustignore` is read after `.gitignore` in the same
 * directory, so it can add excludes git does not have (`*.ckpt`) or take one back (`!data/`) for the job. As in
 * git, nothing inside an excluded directory comes back. Sockets, FIFOs and devices are skipped.
 *
 * Why node-tar (npm's own implementation) and not the system tar: the file list comes from the walk below, which
 * GNU tar and bsdtar take with different flags; a `portable` archive carries no local user or group names and ids
 * (nothing about this machine leaks to the head, and root on the head does not extract files owned by uid 501),
 * and long paths are written as PAX headers every tar on a head reads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { create as createTar } from 'tar';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/** Ignore files read in every directory, in this order. */
export const IGNORE_FILES = ['.gitignore', '.dustignore'] as const;

/** One directory's rules, with the directory they are relative to. */
interface Scope {
  /** Relative path of the directory from the root (`''` for the root), with a trailing `/` unless root. */
  prefix: string;
  rules: Ignore;
}

export interface SubmitArchive {
  /** The .tar.gz (in a private temporary directory). */
  file: string;
  /** Entries in it (files, directories and symlinks), relative, sorted. */
  entries: string[];
  /** Regular files among them. */
  files: number;
  /** Size of the archive. */
  bytes: number;
  /** Removes the temporary directory. */
  cleanup(): Promise<void>;
}

function submitError(message: string, hint: string, cause?: unknown): DustError {
  return new DustError(ErrorCodes.ClusterSubmit, message, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** Reads one directory's ignore files into a matcher (undefined when it has none). */
function scopeOf(absDir: string, prefix: string): Scope | undefined {
  let rules: Ignore | undefined;
  for (const name of IGNORE_FILES) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(absDir, name), 'utf8');
    } catch {
      continue;
    }
    rules ??= ignore();
    rules.add(text);
  }
  return rules ? { prefix, rules } : undefined;
}

/** Whether `rel` (a directory when `dir`) is excluded: the deepest scope with an opinion decides, as in git. */
function excluded(rel: string, dir: boolean, scopes: readonly Scope[]): boolean {
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i]!;
    const local = rel.slice(scope.prefix.length) + (dir ? '/' : '');
    const verdict = scope.rules.test(local);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}

/**
 * What `cluster submit` would send from `root`: relative paths (directories too, so empty ones and their modes
 * arrive), sorted. Excluded directories are not descended into.
 */
export function listSubmitEntries(root: string): string[] {
  const entries: string[] = [];
  const walk = (absDir: string, rel: string, scopes: readonly Scope[]): void => {
    const own = scopeOf(absDir, rel === '' ? '' : `${rel}/`);
    const here = own ? [...scopes, own] : scopes;
    const children = fs.readdirSync(absDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      if (child.name === '.git') continue; // a repository (or a worktree's .git file) is never part of a job
      const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
      const isDir = child.isDirectory();
      if (!isDir && !child.isFile() && !child.isSymbolicLink()) continue;
      if (excluded(childRel, isDir, here)) continue;
      entries.push(childRel);
      if (isDir) walk(path.join(absDir, child.name), childRel, here);
    }
  };
  walk(root, '', []);
  return entries;
}

/** Archives `dir` (see the module comment) into a private temporary file. */
export async function createSubmitArchive(dir: string): Promise<SubmitArchive> {
  const root = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch (err) {
    throw submitError(`cluster submit: cannot read ${dir} (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message})`,
      'give the directory to send with -w DIR (default: the current directory)', err);
  }
  if (!stat.isDirectory()) throw submitError(`cluster submit: ${dir} is not a directory`, 'give the directory to send with -w DIR; the command runs inside its copy on the head');
  let entries: string[];
  try {
    entries = listSubmitEntries(root);
  } catch (err) {
    throw submitError(`cluster submit: cannot list ${dir}: ${(err as Error).message}`, 'check the permissions of that directory, or exclude the unreadable part in .dustignore', err);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-submit-'));
  const file = path.join(tmp, 'submit.tar.gz');
  const cleanup = () => fs.promises.rm(tmp, { recursive: true, force: true });
  try {
    // noDirRecurse: the walk above already chose every entry, directories included.
    await createTar({ gzip: true, file, cwd: root, portable: true, noDirRecurse: true }, entries);
    const files = entries.filter((e) => fs.lstatSync(path.join(root, e)).isFile()).length;
    return { file, entries, files, bytes: fs.statSync(file).size, cleanup };
  } catch (err) {
    await cleanup();
    throw submitError(`cluster submit: cannot archive ${dir}: ${(err as Error).message.split('\n')[0]}`, 'a file may have vanished or be unreadable while archiving; exclude it in .dustignore or try again', err);
  }
}
