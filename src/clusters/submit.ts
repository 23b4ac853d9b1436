/**
 * `cluster submit`: send a directory to the head and run a command in it, over the head's open session (its
 * persistent shell and its file channel: no second login).
 *
 * 1. The directory is archived here (submit-archive.ts: .gitignore / .dustignore honoured, `.git` skipped).
 * 2. The head's shell creates `~/dust-submits/<id>/` (id: UTC time and a random suffix, `20250314-101502-3fa9c1`),
 *    the archive is copied beside it over RemoteFiles and unpacked into it, then removed.
 * 3. Attached: the command runs in the head's persistent shell, in a subshell inside that directory (the shell's
 *    own directory and variables are untouched), its lines streamed as they come; its exit status is the result.
 *    Detached: it starts under nohup with its output in `<dir>/run.log` (and the job's pid in `run.pid`, its exit
 *    status in `run.exit` once it ends), and the call returns at once. `followSubmission` streams that log until
 *    the job ends (Ctrl-C stops following, never the job).
 *
 * The job sees `DUST_SUBMIT_ID` and `DUST_SUBMIT_DIR`.
 */
import { randomBytes } from 'node:crypto';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { uploadFile } from '../files/copy-file.js';
import type { DustNode, NodeRunResult, RunOptions } from '../plugins/api.js';
import type { NodeFailure } from '../sessions/node-failure.js';
import { shQuote } from '../sessions/shell-protocol.js';
import type { RemoteFiles } from '../sessions/transport.js';
import { createSubmitArchive } from './submit-archive.js';
import type { SessionRunner } from './setup.js';
import { formatBytes } from '../output/format-bytes.js';

/** Where submissions go, relative to the head's home. */
export const SUBMITS_DIR = 'dust-submits';

export interface SubmitDeps {
  /** The head's persistent shell (a client's SessionsApi, or the SessionManager). */
  sessions: SessionRunner & { files(node: DustNode): Promise<RemoteFiles> };
  /** The job's output lines (attached runs), as they arrive. */
  onLine?(line: string): void;
  /** One line per stage (`archived 12 files (3.1 KiB)`, `copied to head:~/dust-submits/…`). */
  onProgress?(message: string): void;
  /** Ctrl-C: interrupts the attached job (^C on the head), or stops following a detached one. */
  signal?: AbortSignal;
  /** For the submission id (tests). */
  now?: () => Date;
}

export interface SubmitOptions {
  /** Start the job in the background under nohup and return at once. */
  detach?: boolean;
  /** Nothing can answer the job's input (a script): stdin is /dev/null, a prompt fails it. */
  noInput?: boolean;
  /** Interrupt an attached job running longer than this (status `timeout`). */
  timeoutMs?: number;
}

export interface Submission {
  id: string;
  /** Absolute path of the submission directory on the head. */
  dir: string;
  /** What was sent. */
  files: number;
  bytes: number;
}

export interface SubmitResult extends Submission {
  /**
   * ok / failed (the job's exit status is `exitCode`), detached (running in the background), interrupted (Ctrl-C),
   * timeout, waiting (the job waits for input: answer it with `@head …`), unreachable (the session was lost;
   * `error` says why).
   */
  status: NodeRunResult['status'] | 'detached';
  exitCode: number | null;
  /** Detached: the job's log (`get head <log>` fetches it) and pid. */
  log?: string;
  pid?: number;
  error?: NodeFailure;
}

function submitError(message: string, hint: string, cause?: unknown): DustError {
  return new DustError(ErrorCodes.ClusterSubmit, message, { hint, ...(cause === undefined ? {} : { cause }) });
}

/** `20250314-101502-3fa9c1`: sorts by time, unique enough to never meet another. */
export function submissionId(now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${randomBytes(3).toString('hex')}`;
}

/** One command in the head's shell whose failure stops the submission (output kept for the message). */
async function headStep(deps: SubmitDeps, head: DustNode, what: string, command: string, hint: string): Promise<string[]> {
  const [result] = await deps.sessions.run([head], command, { noInput: true, ...(deps.signal ? { signal: deps.signal } : {}) });
  if (result?.status === 'ok') return result.output;
  const why = result?.error ? result.error.message : result?.status === 'failed'
    ? `exit ${result.exitCode}${result.output.length > 0 ? `: ${result.output.slice(-2).join(' / ')}` : ''}`
    : result?.status ?? 'no result';
  throw submitError(`cluster submit: ${what} on ${head.name}: ${why}`, hint);
}

/**
 * Archives `dir`, copies it to `head` and runs `command` there (see the module comment). Problems before the job
 * starts are DustErrors (`DUST_CLUSTER_SUBMIT`); the job's own failure is its status and exit code.
 */
export async function submit(deps: SubmitDeps, head: DustNode, dir: string, command: string, opts: SubmitOptions = {}): Promise<SubmitResult> {
  if (command.trim() === '') throw submitError('cluster submit: no command to run', 'put the command after --, e.g. `cluster submit spark1 -- python train.py`');
  const archive = await createSubmitArchive(dir);
  try {
    deps.onProgress?.(`archived ${archive.files} file${archive.files === 1 ? '' : 's'} (${formatBytes(archive.bytes)})`);
    const id = submissionId((deps.now ?? (() => new Date()))());
    const made = await headStep(deps, head, 'creating the submission directory',
      `(d="$HOME"/${SUBMITS_DIR}/${id} && mkdir -p "$d" && cd "$d" && pwd -P)`,
      'the head\'s home must be writable (the submission goes to ~/dust-submits)');
    const remoteDir = made[made.length - 1]?.trim() ?? '';
    if (!remoteDir.startsWith('/')) throw submitError(`cluster submit: the head did not say where ~/${SUBMITS_DIR}/${id} is (got ${JSON.stringify(remoteDir)})`, 'check that the head\'s shell works: `@HEAD pwd`');
    const remoteArchive = `${remoteDir}.tar.gz`;
    let files: RemoteFiles;
    try {
      files = await deps.sessions.files(head);
      await uploadFile(files, archive.file, remoteArchive, { mode: 0o600 });
    } catch (err) {
      throw submitError(`cluster submit: copying the archive to ${head.name}:${remoteArchive}: ${(err as Error).message.split('\n')[0]}`,
        'the head\'s disk may be full, or its file channel (SFTP) unavailable', err);
    }
    await headStep(deps, head, 'unpacking',
      `(tar -xzf ${shQuote(remoteArchive)} -C ${shQuote(remoteDir)}; rc=$?; rm -f ${shQuote(remoteArchive)}; if [ $rc = 127 ]; then echo "tar: not installed"; fi; exit $rc)`,
      'the head needs tar and gzip (add them to dependencies.packages), and room in its home');
    deps.onProgress?.(`copied to ${head.name}:${remoteDir}`);
    const submission: Submission = { id, dir: remoteDir, files: archive.files, bytes: archive.bytes };
    return opts.detach ? await startDetached(deps, head, submission, command) : await runAttached(deps, head, submission, command, opts);
  } finally {
    await archive.cleanup();
  }
}

function jobEnv(s: Submission): string {
  return `DUST_SUBMIT_ID=${shQuote(s.id)} DUST_SUBMIT_DIR=${shQuote(s.dir)}; export DUST_SUBMIT_ID DUST_SUBMIT_DIR`;
}

async function runAttached(deps: SubmitDeps, head: DustNode, s: Submission, command: string, opts: SubmitOptions): Promise<SubmitResult> {
  const runOpts: RunOptions = {
    ...(deps.onLine ? { onLine: (_n: DustNode, line: string) => deps.onLine?.(line) } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(opts.noInput ? { noInput: true } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  };
  // A subshell: the job's cd, exports and `exit` stay in it; eval runs any command text as typed.
  const line = `(cd ${shQuote(s.dir)} && ${jobEnv(s)} && eval ${shQuote(command)})`;
  const [result] = await deps.sessions.run([head], line, runOpts);
  if (!result) throw new Error(`no result for ${head.name}`);
  return { ...s, status: result.status, exitCode: result.exitCode, ...(result.error ? { error: result.error } : {}) };
}

async function startDetached(deps: SubmitDeps, head: DustNode, s: Submission, command: string): Promise<SubmitResult> {
  // The job runs in the shell dust's session uses (bash where the node has it), so the command means the same as
  // attached. `( … & )`: it is not a job of the persistent shell, which neither waits for it nor reports it;
  // nohup keeps it past the session's end. run.exit is written when it ends, for followSubmission.
  const job = `(eval "$1"); echo $? > run.exit`;
  const start = `(cd ${shQuote(s.dir)} && ${jobEnv(s)} && { nohup "\${BASH:-/bin/sh}" -c ${shQuote(job)} dust-submit ${shQuote(command)} > run.log 2>&1 < /dev/null & echo $! > run.pid; cat run.pid; })`;
  const out = await headStep(deps, head, 'starting the job', start, 'check the head with `@HEAD true`');
  const pid = Number(out[out.length - 1]);
  return { ...s, status: 'detached', exitCode: null, log: `${s.dir}/run.log`, ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}) };
}

export interface FollowResult {
  /** ok / failed: the job ended (exitCode is its status); interrupted: following stopped (the job goes on). */
  status: NodeRunResult['status'];
  exitCode: number | null;
  error?: NodeFailure;
}

/**
 * Streams a detached job's log from the start until the job ends, and returns its exit status. Ctrl-C (signal)
 * stops following; the job keeps running under nohup.
 */
export async function followSubmission(deps: Pick<SubmitDeps, 'sessions' | 'onLine' | 'signal'>, head: DustNode, dir: string): Promise<FollowResult> {
  // GNU tail ends by itself when the job's pid is gone (--pid); elsewhere a loop watches for run.exit and ends a
  // background tail (the trap ends it on ^C too, since background jobs ignore SIGINT without job control).
  const follow = [
    `cd ${shQuote(dir)} || exit 2`,
    'pid=$(cat run.pid 2>/dev/null)',
    'if [ -n "$pid" ] && tail --pid="$pid" -n 0 /dev/null >/dev/null 2>&1; then tail -n +1 -f --pid="$pid" run.log',
    'else tail -n +1 -f run.log & t=$!; trap \'kill $t 2>/dev/null; exit 130\' INT TERM; while [ ! -e run.exit ]; do sleep 1; done; sleep 1; kill $t 2>/dev/null; wait $t 2>/dev/null; fi',
    'while [ ! -e run.exit ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 1; done',
    'exit "$(cat run.exit 2>/dev/null || echo 255)"',
  ].join('; ');
  const [result] = await deps.sessions.run([head], `(${follow})`, {
    ...(deps.onLine ? { onLine: (_n: DustNode, line: string) => deps.onLine?.(line) } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    noInput: true,
  });
  if (!result) throw new Error(`no result for ${head.name}`);
  return { status: result.status, exitCode: result.exitCode, ...(result.error ? { error: result.error } : {}) };
}
