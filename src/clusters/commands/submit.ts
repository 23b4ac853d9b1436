import path from 'node:path';
import type { CommandContext } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { expandHome } from '../../config/paths.js';
import { shQuote } from '../../sessions/shell-protocol.js';
import { followSubmission, SUBMITS_DIR, submit } from '../submit.js';
import { afterDoubleDash, nodeLinePrinter, usageError } from './common.js';
import { clusterHead } from './head.js';

/** How a job ended, as the one line after its output. */
function ending(status: string, exitCode: number | null): string {
  if (status === 'ok') return 'exit 0';
  if (status === 'failed') return `exit ${exitCode ?? '?'}`;
  return status;
}

/** A job's exit status as dust's: its own, else 1 (interrupted, unreachable, waiting). */
function statusOf(status: string, exitCode: number | null): number {
  if (status === 'ok') return 0;
  if (status === 'failed' && exitCode !== null && exitCode > 0) return exitCode;
  return status === 'interrupted' ? 130 : 1;
}

/**
 * `cluster submit NAME [-w DIR] [--detach] -- CMD`: DIR (default: the current directory) goes to the head over
 * its open session, CMD runs there with live output, and its exit status is dust's.
 */
export async function clusterSubmit(ctx: CommandContext, args: readonly string[]): Promise<number | boolean> {
  const command = afterDoubleDash(ctx.raw);
  // Everything after `--` is the job's: its words are positionals too, and are not dust's arguments.
  const afterWords = ctx.args.indexOf('--') >= 0 ? ctx.args.length - ctx.args.indexOf('--') - 1 : 0;
  const own = args.slice(0, Math.max(0, args.length - afterWords));
  const name = own[0];
  if (name === undefined) throw usageError('cluster submit: which cluster?', 'e.g. cluster submit spark1 -- python train.py');
  if (own.length > 1) throw usageError(`cluster submit: the command goes after --, not '${own.slice(1).join(' ')}'`, `e.g. cluster submit ${name} -- ${own.slice(1).join(' ')}`);
  if (command === undefined || command === '') throw usageError('cluster submit: no command to run', `put it after --, e.g. cluster submit ${name} -- python train.py`);
  const dir = path.resolve(ctx.cwd, expandHome(typeof ctx.flags['workdir'] === 'string' ? ctx.flags['workdir'] : '.'));
  const { head } = await clusterHead(ctx, 'submit', name);
  const print = nodeLinePrinter(ctx, [head.name]);
  const detach = ctx.flags['detach'] === true;
  const result = await submit({
    sessions: ctx.sessions,
    onLine: (line) => { if (!ctx.out.json) print(head.name, line); },
    onProgress: (m) => { if (!ctx.out.json) ctx.out.info(`submit: ${m}`); },
    signal: ctx.signal,
  }, head, dir, command, { detach, noInput: !ctx.interactive, ...(typeof ctx.flags['timeout'] === 'number' ? { timeoutMs: ctx.flags['timeout'] * 1000 } : {}) });
  const rc = result.status === 'detached' ? 0 : statusOf(result.status, result.exitCode);
  if (ctx.out.json) {
    ctx.out.record({
      type: 'cluster-submit', cluster: name, node: head.name, id: result.id, dir: result.dir, files: result.files, bytes: result.bytes,
      status: result.status, exitCode: result.exitCode, ...(result.log ? { log: result.log } : {}), ...(result.pid ? { pid: result.pid } : {}),
      ...(result.error ? { error: result.error } : {}),
    });
  }
  if (result.status === 'detached') {
    if (!ctx.out.json) {
      ctx.out.success(`submitted ${result.id}: running on ${head.name} in ${result.dir}${result.pid ? ` (pid ${result.pid})` : ''}`);
      ctx.out.info(`output goes to ${result.log}: \`cluster follow ${name} ${result.id}\` streams it, \`get ${head.name} ${result.log ?? ''}\` fetches it`);
    }
    return true;
  }
  if (result.error && !ctx.out.json) ctx.out.error(new DustError(result.error.code as typeof ErrorCodes.ClusterSubmit, `${head.name}: ${result.error.message}`, result.error.hint ? { hint: result.error.hint } : {}));
  if (!ctx.out.json) {
    const line = `submission ${result.id} on ${head.name}: ${ending(result.status, result.exitCode)} (in ${result.dir})`;
    if (rc === 0) ctx.out.success(line);
    else ctx.out.warn(line);
  }
  return rc === 0 ? true : rc;
}

/** `cluster follow NAME [ID]`: streams a detached submission's log (the newest without ID) until the job ends. */
export async function clusterFollow(ctx: CommandContext, args: readonly string[]): Promise<number | boolean> {
  const [name, id, ...extra] = args;
  if (name === undefined) throw usageError('cluster follow: which cluster?', 'e.g. cluster follow spark1 (the newest submission) or cluster follow spark1 ID');
  if (extra.length > 0) throw usageError(`cluster follow: a cluster and a submission id, not '${args.join(' ')}'`);
  if (id !== undefined && !/^[A-Za-z0-9._-]+$/.test(id)) throw usageError(`cluster follow: '${id}' is not a submission id`, 'ids look like 20261203-101502-3fa9c1 (cluster submit --detach prints it)');
  const { head } = await clusterHead(ctx, 'follow', name);
  const find = id !== undefined
    ? `cd "$HOME"/${SUBMITS_DIR}/${shQuote(id)} && pwd -P`
    : `cd "$HOME"/${SUBMITS_DIR} && d=$(ls -1 | grep -v '\\.tar\\.gz$' | tail -n 1) && [ -n "$d" ] && cd "$d" && pwd -P`;
  const [where] = await ctx.sessions.run([head], `(${find})`, { noInput: true, signal: ctx.signal });
  const dir = where?.status === 'ok' ? where.output[where.output.length - 1]?.trim() : undefined;
  if (!dir || !dir.startsWith('/')) {
    throw new DustError(ErrorCodes.ClusterSubmit, `cluster follow: ${id !== undefined ? `no submission ${id}` : 'no submissions'} on ${head.name} (in ~/${SUBMITS_DIR})`, {
      hint: `\`@${head.name} ls ~/${SUBMITS_DIR}\` lists them; \`cluster submit ${name} --detach -- CMD\` starts one`,
    });
  }
  const print = nodeLinePrinter(ctx, [head.name]);
  const r = await followSubmission({ sessions: ctx.sessions, onLine: (line) => print(head.name, line), signal: ctx.signal }, head, dir);
  if (r.status === 'interrupted') {
    ctx.out.info(`stopped following; the job goes on (${dir}/run.log)`);
    return true;
  }
  const rc = statusOf(r.status, r.exitCode);
  ctx.out[rc === 0 ? 'success' : 'warn'](`${path.posix.basename(dir)} on ${head.name}: ${ending(r.status, r.exitCode)}`);
  return rc === 0 ? true : rc;
}
