import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import type { CommandContext, CommandSpec, DustNode } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { warnSkipped } from './at.js';
import type { RemoteFiles } from '../../sessions/transport.js';
import { downloadFile, uploadFile } from '../../files/copy-file.js';

/**
 * `put` and `get`: SFTP over each node's persistent connection (no new logins, one SFTP channel per node
 * reused), all nodes in parallel, one progress line, and a summary naming the nodes that failed.
 */
export const putCommand: CommandSpec = {
  name: 'put',
  usage: 'put <local-file|glob> <target> [remote-dir]',
  summary: 'copy local files to every target node over its open connection (SFTP for SSH nodes)',
  help: 'The local argument may be a glob (quote it: put "logs/*.gz" worker* /tmp). Files land in remote-dir,\n'
    + 'or in the login home directory when it is omitted. Existing remote files are replaced.',
  examples: ['put deploy.tar.gz worker* /tmp', "put 'conf/*.yaml' web[1-2] /etc/myapp", 'put script.sh 3,4'],
  target: { mode: 'required', position: 1, states: ['running'] },
  // The first argument is a local file; the target (second) is completed by dust; remote-dir is remote.
  complete: (ctx) => (ctx.args.length === 0 ? ctx.localPaths(ctx.word) : []),
  async run(ctx) {
    const [localSpec, remoteDir] = ctx.positionals;
    if (!localSpec) throw new DustError(ErrorCodes.Usage, 'put: which local file?', { hint: `usage: ${putCommand.usage}` });
    const files = expandLocal(localSpec);
    const dir = remoteDir ?? '.';
    const total = files.reduce((sum, f) => sum + fs.statSync(f).size, 0) * ctx.nodes.length;
    return transfer(ctx, 'put', total, async (node, remoteFiles, onBytes, copied) => {
      for (const file of files) {
        const remote = path.posix.join(dir, path.basename(file));
        await uploadFile(remoteFiles, file, remote, { onBytes }).catch((err: unknown) => { throw new Error(`${remote}: ${err instanceof Error ? err.message : String(err)}`); });
        copied.push({ local: file, remote });
      }
      return `${files.length} file${files.length === 1 ? '' : 's'} → ${dir}`;
    });
  },
};

export const getCommand: CommandSpec = {
  name: 'get',
  usage: 'get <target> <remote-file> [local-dir]',
  summary: 'copy a file from every target node into local-dir/<node>/ (never overwriting another node\'s copy)',
  help: 'Each node\'s copy is saved as <local-dir>/<node name>/<file name> (local-dir defaults to the current\n'
    + 'directory), so fetching /var/log/syslog from 50 nodes gives 50 files side by side.',
  examples: ['get worker* /var/log/syslog ./logs', 'get 3 ~/results.csv'],
  target: { mode: 'required', position: 0, states: ['running'] },
  complete: (ctx) => (ctx.args.length === 2 ? ctx.localPaths(ctx.word, 'directory') : []),
  async run(ctx) {
    const [remote, localDir = '.'] = ctx.positionals;
    if (!remote) throw new DustError(ErrorCodes.Usage, 'get: which remote file?', { hint: `usage: ${getCommand.usage}` });
    if (!fs.existsSync(localDir) || !fs.statSync(localDir).isDirectory()) {
      throw new DustError(ErrorCodes.Usage, `get: local directory '${localDir}' does not exist`, { hint: 'create it first, or leave it out for the current directory' });
    }
    const remotePath = remote.startsWith('~/') ? remote.slice(2) : remote;
    return transfer(ctx, 'get', 0, async (node, remoteFiles, onBytes, copied) => {
      const targetDir = path.join(localDir, localDirName(node.name));
      await fs.promises.mkdir(targetDir, { recursive: true });
      const local = path.join(targetDir, path.posix.basename(remotePath));
      await downloadFile(remoteFiles, remotePath, local, { onBytes }).catch((err: unknown) => { throw new Error(`${remote}: ${err instanceof Error ? err.message : String(err)}`); });
      copied.push({ local, remote });
      return `→ ${local}`;
    });
  },
};

/**
 * A node's name as ONE directory name inside local-dir. Names come from outside (an EC2 Name tag anyone with
 * tagging rights can set): `../../.ssh` must not make `get` write outside local-dir.
 */
export function localDirName(name: string): string {
  const flat = name.replace(/[/\\]/g, '_');
  return flat === '' || flat === '.' || flat === '..' ? `_${flat}` : flat;
}

/** One file copied to or from a node: `remote` on the node, `local` here. */
interface CopiedFile { local: string; remote: string }

/**
 * Runs `perNode` on every node at once. Under --json each node gives one record:
 * `{type: 'transfer', direction: 'put'|'get', node, status: 'ok'|'failed', bytes, files: [{local, remote}], error?}`
 * (`files` lists what was copied before a failure too).
 */
async function transfer(ctx: CommandContext, verb: 'put' | 'get', totalBytes: number,
  perNode: (node: DustNode, files: RemoteFiles, onBytes: (n: number) => void, copied: CopiedFile[]) => Promise<string>): Promise<boolean> {
  warnSkipped(ctx);
  let bytes = 0;
  let done = 0;
  const progressText = () => `${verb}: ${done}/${ctx.nodes.length} nodes, ${formatBytes(bytes)}${totalBytes ? ` of ${formatBytes(totalBytes)}` : ''}`;
  const progress = ctx.out.progress(progressText());
  const failed: { node: DustNode; reason: string }[] = [];
  await Promise.all(ctx.nodes.map(async (node) => {
    const copied: CopiedFile[] = [];
    let nodeBytes = 0;
    try {
      if (ctx.signal.aborted) throw new Error('interrupted');
      const remoteFiles = await ctx.sessions.files(node);
      const what = await perNode(node, remoteFiles, (n) => { bytes += n; nodeBytes += n; progress.update(progressText()); }, copied);
      ctx.out.print(`[${node.name}] ${what}`);
      ctx.out.record({ type: 'transfer', direction: verb, node: node.name, status: 'ok', bytes: nodeBytes, files: copied });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      failed.push({ node, reason });
      ctx.out.print(`[${node.name}] ✖ ${reason}`);
      ctx.out.record({ type: 'transfer', direction: verb, node: node.name, status: 'failed', bytes: nodeBytes, files: copied, error: reason });
    } finally {
      done++;
      progress.update(progressText());
    }
  }));
  progress.done();
  if (failed.length > 0) {
    ctx.out.print(`✖ ${verb} failed on ${failed.length}: ${foldNodeNames(failed.map((f) => f.node.name))}`);
    return false;
  }
  ctx.out.info(`${verb}: ${ctx.nodes.length} node${ctx.nodes.length === 1 ? '' : 's'}, ${formatBytes(bytes)}`);
  return true;
}

/** A path, or a glob in its last component (`logs/*.gz`), matched locally; must match at least one file. */
function expandLocal(spec: string): string[] {
  const dir = path.dirname(spec);
  const base = path.basename(spec);
  if (!picomatch.scan(base).isGlob) {
    if (!fs.existsSync(spec)) throw new DustError(ErrorCodes.Usage, `put: local file '${spec}' does not exist`, { hint: 'check the path (relative to where dust was started)' });
    if (!fs.statSync(spec).isFile()) throw new DustError(ErrorCodes.Usage, `put: '${spec}' is not a regular file`, { hint: 'directories are not copied yet: tar them first (!tar czf x.tgz dir)' });
    return [spec];
  }
  const isMatch = picomatch(base, { dot: false });
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => isMatch(n));
  } catch {
    // an unreadable directory is simply no match
  }
  const files = names.map((n) => path.join(dir, n)).filter((f) => fs.statSync(f).isFile()).sort();
  if (files.length === 0) throw new DustError(ErrorCodes.Usage, `put: no local file matches '${spec}'`, { hint: 'the glob is matched in the local directory it names' });
  return files;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
