import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import type { CommandContext, CommandSpec, DustNode } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { warnSkipped } from './at.js';
import type { RemoteFiles } from '../../sessions/transport.js';
import { getPath, IsDirectoryError, localName, putPath, type TreeCopyReport } from '../../files/copy-tree.js';
import { formatBytes } from '../../output/format-bytes.js';

/**
 * `put` and `get`: files and (with -r) directory trees over each node's open connection (SFTP for SSH nodes: no new
 * logins, one SFTP channel per node reused), all nodes in parallel, one progress line, and a summary naming the
 * nodes that failed. The copying itself is src/files/copy-tree.ts, written once over RemoteFiles.
 */
const COPY_FLAGS = {
  recursive: { type: 'boolean', short: 'r', description: 'copy directories and everything in them' },
  preserve: { type: 'boolean', short: 'p', description: 'keep modes and modification/access times' },
} as const;

export const putCommand: CommandSpec<typeof COPY_FLAGS> = {
  name: 'put',
  usage: 'put [-r] [-p] <local-path|glob> <target> [remote-dest]',
  summary: 'copy local files (-r: directories) to every target node over its open connection (SFTP for SSH nodes)',
  help: 'The local argument may be a glob (quote it: put "logs/*.gz" worker* /tmp). remote-dest works as with cp:\n'
    + 'an existing directory receives the files under their own names; otherwise it is the new name (a file renamed,\n'
    + 'or the directory a -r copy creates), and missing directories on the way are created. Several files (a glob),\n'
    + 'or a dest ending in /, make it a directory. Without remote-dest: the login directory. Existing files are\n'
    + 'replaced. -r copies directories recursively (symlinks to files are copied as files; symlinks to directories\n'
    + 'and special files are skipped and listed); -p keeps modes and times. New files get the local file\'s mode.',
  examples: ['put deploy.tar.gz worker* /tmp', "put 'conf/*.yaml' web[1-2] /etc/myapp", 'put -r -p ./site web* /srv/www', 'put app.conf web* /etc/app/app.conf.new'],
  target: { mode: 'required', position: 1, states: ['running'] },
  flags: COPY_FLAGS,
  // The first argument is a local file; the target (second) is completed by dust; remote-dest is remote.
  complete: (ctx) => (ctx.args.filter((a) => !a.startsWith('-')).length === 0 ? ctx.localPaths(ctx.word) : []),
  async run(ctx) {
    const [localSpec, dest] = ctx.positionals;
    if (!localSpec) throw new DustError(ErrorCodes.Usage, 'put: which local file?', { hint: `usage: ${putCommand.usage}` });
    const recursive = ctx.flags.recursive === true;
    const preserve = ctx.flags.preserve === true;
    const sources = expandLocal(localSpec, recursive);
    return transfer(ctx as CommandContext, 'put', async (node, remoteFiles, hooks, copied) => {
      const targets = await putTargets(remoteFiles, sources, dest ?? '.');
      const total = emptyReport();
      for (const { source, remote } of targets) {
        const report = await putPath(remoteFiles, source, remote, recursive, { ...hooks, preserve, onFile: (local, r) => copied.push({ local, remote: r }) })
          .catch((err: unknown) => { throw err instanceof IsDirectoryError ? err : new Error(prefixed(remote, err)); });
        addReport(total, report);
      }
      return { text: `${describeReport(total)} → ${targets.length === 1 ? targets[0]!.remote : (dest ?? '.')}`, skipped: total.skipped };
    });
  },
};

export const getCommand: CommandSpec<typeof COPY_FLAGS> = {
  name: 'get',
  usage: 'get [-r] [-p] <target> <remote-path> [local-dir]',
  summary: 'copy a file (-r: a directory) from every target node into local-dir/<node>/ (never overwriting another node\'s copy)',
  help: 'Each node\'s copy is saved as <local-dir>/<node name>/<name> (local-dir defaults to the current directory and\n'
    + 'is created if missing), so fetching /var/log/syslog from 50 nodes gives 50 files side by side. -r copies a\n'
    + 'directory and everything in it (symlinks to files are copied as files; symlinks to directories and special\n'
    + 'files are skipped and listed); -p keeps modes and times. A remote directory without -r is refused, and no\n'
    + 'local file is ever left truncated by a copy that failed: each lands under a temporary name first.',
  examples: ['get worker* /var/log/syslog ./logs', 'get 3 ~/results.csv', 'get -r -p web* /etc/nginx ./conf'],
  target: { mode: 'required', position: 0, states: ['running'] },
  flags: COPY_FLAGS,
  complete: (ctx) => (ctx.args.filter((a) => !a.startsWith('-')).length === 2 ? ctx.localPaths(ctx.word, 'directory') : []),
  async run(ctx) {
    const [remote, localDir = '.'] = ctx.positionals;
    if (!remote) throw new DustError(ErrorCodes.Usage, 'get: which remote file?', { hint: `usage: ${getCommand.usage}` });
    const recursive = ctx.flags.recursive === true;
    const preserve = ctx.flags.preserve === true;
    try {
      await fs.promises.mkdir(localDir, { recursive: true });
    } catch (err) {
      throw new DustError(ErrorCodes.Usage, `get: cannot use '${localDir}' as the local directory: ${(err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a file is in the way' : (err as Error).message}`, {
        hint: 'give a directory (it is created if missing), or leave it out for the current directory',
      });
    }
    if (!fs.statSync(localDir).isDirectory()) {
      throw new DustError(ErrorCodes.Usage, `get: '${localDir}' is a file, not a directory`, { hint: 'give a directory (it is created if missing), or leave it out for the current directory' });
    }
    const remotePath = remoteRelative(remote);
    return transfer(ctx as CommandContext, 'get', async (node, remoteFiles, hooks, copied) => {
      const st = await remoteFiles.stat(remotePath);
      if (!st) throw new Error(`${remote}: No such file`);
      if (st.type === 'directory' && !recursive) throw new IsDirectoryError(`${remote}`);
      const nodeDir = path.join(localDir, localName(node.name));
      await fs.promises.mkdir(nodeDir, { recursive: true });
      const name = path.posix.basename(path.posix.normalize(remotePath));
      // `get -r node* . dir` copies the login directory's contents into dir/<node>/ itself.
      const local = name === '' || name === '.' || name === '..' || name === '/' ? nodeDir : path.join(nodeDir, name);
      const report = await getPath(remoteFiles, remotePath, local, recursive, { ...hooks, preserve, onFile: (l, r) => copied.push({ local: l, remote: r === remotePath ? remote : r }) }, st)
        .catch((err: unknown) => { throw new Error(prefixed(remote, err)); });
      return { text: `${describeReport(report)} → ${local}`, skipped: report.skipped };
    });
  },
};

/** A node's name as ONE directory name inside local-dir (see localName). */
export { localName as localDirName } from '../../files/copy-tree.js';

/** `~/x` and `~` mean the login directory, which is where SFTP's relative paths start. */
function remoteRelative(p: string): string {
  if (p === '~') return '.';
  return p.startsWith('~/') ? p.slice(2) || '.' : p;
}

function prefixed(what: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith(what) ? message : `${what}: ${message}`;
}

/**
 * Where each source lands on a node, as cp decides it: into `dest` when it is a directory (or must be one: several
 * sources, a trailing /), else as `dest` itself. Missing directories on the way are created.
 */
async function putTargets(files: RemoteFiles, sources: readonly LocalSource[], dest: string): Promise<{ source: string; remote: string }[]> {
  const destPath = remoteRelative(dest);
  const mustBeDir = dest.endsWith('/') || sources.length > 1;
  const st = await files.stat(destPath);
  const into = () => sources.map((s) => ({ source: s.path, remote: path.posix.join(destPath, path.basename(s.path)) }));
  if (st?.type === 'directory') return into();
  if (st) {
    if (mustBeDir || sources[0]!.directory) throw new Error(`${dest} exists and is not a directory`);
    return [{ source: sources[0]!.path, remote: destPath }];
  }
  await mkdirs(files, mustBeDir ? destPath : path.posix.dirname(destPath));
  return mustBeDir ? into() : [{ source: sources[0]!.path, remote: destPath }];
}

/** mkdir -p over RemoteFiles. */
async function mkdirs(files: RemoteFiles, dir: string): Promise<void> {
  if (dir === '.' || dir === '/' || dir === '') return;
  if ((await files.stat(dir))?.type === 'directory') return;
  await mkdirs(files, path.posix.dirname(dir));
  await files.mkdir(dir);
}

function emptyReport(): TreeCopyReport {
  return { files: 0, directories: 0, bytes: 0, skipped: [] };
}

function addReport(into: TreeCopyReport, r: TreeCopyReport): void {
  into.files += r.files;
  into.directories += r.directories;
  into.bytes += r.bytes;
  into.skipped.push(...r.skipped);
}

/** `1 file`, `12 files in 3 directories (1.2 MiB)`, plus what was skipped. */
function describeReport(r: TreeCopyReport): string {
  const files = `${r.files} file${r.files === 1 ? '' : 's'}`;
  const dirs = r.directories > 0 ? ` in ${r.directories} director${r.directories === 1 ? 'y' : 'ies'}` : '';
  const size = r.directories > 0 || r.files > 1 ? ` (${formatBytes(r.bytes)})` : '';
  const skipped = r.skipped.length > 0
    ? `; skipped ${r.skipped.length}: ${r.skipped.slice(0, 3).join(', ')}${r.skipped.length > 3 ? ', …' : ''}`
    : '';
  return `${files}${dirs}${size}${skipped}`;
}

/** One file copied to or from a node: `remote` on the node, `local` here. */
interface CopiedFile { local: string; remote: string }

/** What a node's copy reports back: its line, and what it left out. */
interface NodeCopy { text: string; skipped: string[] }

/** Progress hooks handed to each node's copy. */
interface CopyHooks { onBytes: (n: number) => void; onPlanned: (n: number) => void; signal: AbortSignal }

/** How often the one progress line is redrawn while bytes flow. */
const PROGRESS_MS = 100;

/**
 * Runs `perNode` on every node at once, with one progress line across all of them (nodes done, bytes copied of
 * the bytes planned so far, rate). Under --json each node gives one record:
 * `{type: 'transfer', direction: 'put'|'get', node, status: 'ok'|'failed', bytes, files: [{local, remote}], skipped?, error?}`
 * (`files` lists what was copied before a failure too).
 */
async function transfer(ctx: CommandContext, verb: 'put' | 'get',
  perNode: (node: DustNode, files: RemoteFiles, hooks: CopyHooks, copied: CopiedFile[]) => Promise<NodeCopy>): Promise<boolean> {
  warnSkipped(ctx);
  let bytes = 0;
  let planned = 0;
  let done = 0;
  const started = Date.now();
  const progressText = (): string => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0.5 && bytes > 0 ? `, ${formatBytes(bytes / seconds)}/s` : '';
    return `${verb}: ${done}/${ctx.nodes.length} nodes, ${formatBytes(bytes)}${planned ? ` of ${formatBytes(planned)}` : ''}${rate}`;
  };
  const progress = ctx.out.progress(progressText());
  let timer: NodeJS.Timeout | undefined;
  const redraw = (): void => {
    if (timer !== undefined || !ctx.out.isTTY) return;
    timer = setTimeout(() => { timer = undefined; progress.update(progressText()); }, PROGRESS_MS);
  };
  const failed: { node: DustNode; reason: string }[] = [];
  await Promise.all(ctx.nodes.map(async (node) => {
    const copied: CopiedFile[] = [];
    let nodeBytes = 0;
    try {
      if (ctx.signal.aborted) throw new Error('interrupted');
      const remoteFiles = await ctx.sessions.files(node);
      const hooks: CopyHooks = {
        onBytes: (n) => { bytes += n; nodeBytes += n; redraw(); },
        onPlanned: (n) => { planned += n; redraw(); },
        signal: ctx.signal,
      };
      const result = await perNode(node, remoteFiles, hooks, copied);
      ctx.out.print(`[${node.name}] ${result.text}`);
      ctx.out.record({ type: 'transfer', direction: verb, node: node.name, status: 'ok', bytes: nodeBytes, files: copied, ...(result.skipped.length > 0 ? { skipped: result.skipped } : {}) });
    } catch (err) {
      const reason = err instanceof IsDirectoryError
        ? `${err.message.replace(/ is a directory$/, '')}: is a directory — add -r to copy it and what it holds`
        : err instanceof Error ? err.message : String(err);
      failed.push({ node, reason });
      ctx.out.print(`[${node.name}] ✖ ${reason}`);
      ctx.out.record({ type: 'transfer', direction: verb, node: node.name, status: 'failed', bytes: nodeBytes, files: copied, error: reason });
    } finally {
      done++;
      redraw();
    }
  }));
  clearTimeout(timer);
  progress.done();
  if (failed.length > 0) {
    ctx.out.print(`✖ ${verb} failed on ${failed.length}: ${foldNodeNames(failed.map((f) => f.node.name))}`);
    return false;
  }
  ctx.out.info(`${verb}: ${ctx.nodes.length} node${ctx.nodes.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`);
  return true;
}

/** A local source: a file, or (with -r) a directory. */
interface LocalSource { path: string; directory: boolean }

/**
 * A path, or a glob in its last component (`logs/*.gz`), matched locally; must match at least one file (or, with
 * -r, directory). A directory named without -r is refused in one line.
 */
function expandLocal(spec: string, recursive: boolean): LocalSource[] {
  const dir = path.dirname(spec);
  const base = path.basename(spec);
  if (!picomatch.scan(base).isGlob) {
    if (!fs.existsSync(spec)) throw new DustError(ErrorCodes.Usage, `put: local file '${spec}' does not exist`, { hint: 'check the path (relative to where dust was started)' });
    const st = fs.statSync(spec);
    if (st.isDirectory()) {
      if (!recursive) throw new DustError(ErrorCodes.Usage, `put: '${spec}' is a directory`, { hint: `add -r to copy it and what it holds: put -r ${spec} …` });
      return [{ path: spec, directory: true }];
    }
    if (!st.isFile()) throw new DustError(ErrorCodes.Usage, `put: '${spec}' is not a regular file`, { hint: 'copy regular files and directories (-r); sockets, fifos and devices are not copied' });
    return [{ path: spec, directory: false }];
  }
  const isMatch = picomatch(base, { dot: false });
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => isMatch(n));
  } catch {
    // an unreadable directory is simply no match
  }
  const sources = names.sort().map((n) => path.join(dir, n)).flatMap((p): LocalSource[] => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st?.isFile()) return [{ path: p, directory: false }];
    if (st?.isDirectory() && recursive) return [{ path: p, directory: true }];
    return [];
  });
  if (sources.length === 0) throw new DustError(ErrorCodes.Usage, `put: no local file matches '${spec}'`, { hint: recursive ? 'the glob is matched in the local directory it names' : 'the glob is matched in the local directory it names (directories only with -r)' });
  return sources;
}
