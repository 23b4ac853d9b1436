import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** At most this many candidates: a Tab in /usr/lib lists a screenful, not 5,000 names. */
const LIMIT = 200;

/**
 * Local file names that complete `word` (as readline and shells do): the entries of the folder the word
 * names that start with its last part, folders with a trailing `/`. `~/` stays `~/` in the candidates.
 * Dot-files only when the last part starts with a dot. `kind: 'directory'` lists folders only.
 */
export function completeLocalPath(word: string, opts: { kind?: 'file' | 'directory'; cwd?: string } = {}): string[] {
  const cwd = opts.cwd ?? process.cwd();
  const slash = word.lastIndexOf('/');
  const dirPart = slash >= 0 ? word.slice(0, slash + 1) : '';
  const base = slash >= 0 ? word.slice(slash + 1) : word;
  if (word === '~') return ['~/'];
  const dir = path.resolve(cwd, expandTilde(dirPart === '' ? '.' : dirPart));
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith(base) || (e.name.startsWith('.') && !base.startsWith('.'))) continue;
    const isDir = e.isDirectory() || (e.isSymbolicLink() && isDirectory(path.join(dir, e.name)));
    if (opts.kind === 'directory' && !isDir) continue;
    out.push(`${dirPart}${e.name}${isDir ? '/' : ''}`);
    if (out.length >= LIMIT) break;
  }
  return out.sort();
}

/** Programs on $PATH whose names start with `word`, for the first word of a local command line. */
export function executablesOnPath(word: string, envPath = process.env['PATH'] ?? ''): string[] {
  const found = new Set<string>();
  for (const dir of envPath.split(path.delimiter)) {
    if (dir === '') continue;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(word) || found.has(name)) continue;
      try {
        const st = fs.statSync(path.join(dir, name));
        if (st.isFile() && (st.mode & 0o111) !== 0) found.add(name);
      } catch {
        // a dangling link: not a program
      }
      if (found.size >= LIMIT) break;
    }
  }
  return [...found].sort();
}

function expandTilde(p: string): string {
  if (p === '~' || p === '~/') return os.homedir();
  return p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
