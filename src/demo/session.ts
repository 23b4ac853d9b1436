/**
 * One SSH session channel on a demo node, served the way sshd would: `pty` and `window-change` shape a
 * pseudo-terminal, `env` sets an allow-listed variable, `shell` starts a login shell, `exec` runs `shell -c`
 * (in a pty when one was requested, over pipes otherwise), `signal` reaches the foreground process group, and
 * the exit status (or signal) is reported before the channel closes. `sftp` is handed to sftp.ts.
 */
import { spawn as spawnPiped, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { IPty } from 'node-pty';
import { nodePty } from './node-pty.js';
import type { ServerChannel, Session } from 'ssh2';
import { signalGroup, signalSessions, trackLeader, untrackLeader } from './processes.js';
import { serveSftp } from './sftp.js';

/** What every session on a node shares. */
export interface DemoSessionContext {
  nodeName: string;
  homeDir: string;
  binDir: string;
  /** The local user everything runs as (whatever username the client sent). */
  user: string;
  /** `client_ip client_port server_ip server_port`, as sshd exports it. */
  sshConnection: string;
  /** Where the node keeps its live processes, so stopping the node can kill them. */
  processes: DemoProcessTable;
}

/** A running session process; `pid` leads its own kernel session. */
export interface DemoProcess {
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

/** The live processes of one node. */
export class DemoProcessTable {
  readonly #live = new Set<DemoProcess>();

  add(proc: DemoProcess): void {
    this.#live.add(proc);
    trackLeader(proc.pid);
    void proc.exited.then(() => {
      this.#live.delete(proc);
      untrackLeader(proc.pid);
    });
  }

  get size(): number {
    return this.#live.size;
  }

  has(pid: number): boolean {
    for (const p of this.#live) if (p.pid === pid) return true;
    return false;
  }

  pids(): number[] {
    return [...this.#live].map((p) => p.pid);
  }

  /**
   * Ends every process and everything it started, like a machine shutting down: SIGHUP (shells pass it on to
   * their jobs), then SIGKILL for whatever is still there after `graceMs`.
   */
  async killAll(graceMs = 1500): Promise<void> {
    const procs = [...this.#live];
    if (procs.length === 0) return;
    const sids = procs.map((p) => p.pid);
    signalSessions(sids, 'SIGCONT');
    signalSessions(sids, 'SIGHUP');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const all = Promise.all(procs.map((p) => p.exited));
    const first = await Promise.race([all, grace]);
    clearTimeout(timer);
    // Background jobs that ignore SIGHUP (nohup) share the session id even after their shell has gone.
    signalSessions(sids, 'SIGKILL');
    if (first === 'timeout') await all;
  }
}

interface PtyRequest {
  term: string;
  cols: number;
  rows: number;
}

/** Variables a client may set with `env` (sshd's stock AcceptEnv, plus dust's own). */
function isAcceptedEnv(key: string): boolean {
  return /^(LANG|LC_[A-Z_]+|TZ|COLORTERM|DUST_[A-Z0-9_]+)$/.test(key);
}

/** Signals a client may send (RFC 4254 names, without SIG). */
const FORWARDED_SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'KILL', 'TERM', 'USR1', 'USR2']);

const SHELL_PATH = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

function signalName(signal: number): string | undefined {
  for (const [name, value] of Object.entries(osConstants.signals)) if (value === signal) return name;
  return undefined;
}

/** Serves one accepted session channel; `onClosed` runs once when the channel is gone. */
export function serveSession(session: Session, ctx: DemoSessionContext, onClosed: () => void = () => {}): void {
  let closed = false;
  const markClosed = (): void => {
    if (closed) return;
    closed = true;
    onClosed();
  };
  session.once('close', markClosed);
  let ptyRequest: PtyRequest | undefined;
  let terminal: IPty | undefined;
  let leaderPid: number | undefined;
  let started = false;
  const clientEnv: Record<string, string> = {};

  session.on('pty', (accept, reject, info) => {
    if (started) return reject?.();
    ptyRequest = { term: info.term || 'vt100', cols: info.cols || 80, rows: info.rows || 24 };
    accept?.();
  });

  session.on('window-change', (accept, reject, info) => {
    if (!ptyRequest) return reject?.();
    ptyRequest = { ...ptyRequest, cols: info.cols || ptyRequest.cols, rows: info.rows || ptyRequest.rows };
    try {
      terminal?.resize(ptyRequest.cols, ptyRequest.rows);
    } catch {
      // the process is exiting
    }
    accept?.();
  });

  session.on('env', (accept, reject, info) => {
    if (started || !isAcceptedEnv(info.key)) return reject?.();
    clientEnv[info.key] = info.val;
    accept?.();
  });

  session.on('signal', (accept, reject, info) => {
    const name = info.name.toUpperCase().replace(/^SIG/, '');
    // A pid no longer in the table has exited (and may since belong to someone else).
    if (leaderPid === undefined || !ctx.processes.has(leaderPid) || !FORWARDED_SIGNALS.has(name)) return reject?.();
    signalGroup(leaderPid, `SIG${name}` as NodeJS.Signals, terminal !== undefined);
    accept?.();
  });

  const start = (channel: ServerChannel, command: string | undefined): void => {
    started = true;
    channel.once('close', markClosed);
    const env = sessionEnv(ctx, ptyRequest, clientEnv);
    mkdirSync(ctx.homeDir, { recursive: true, mode: 0o700 }); // the user may have deleted the sandbox
    if (ptyRequest) {
      try {
        terminal = startInPty(channel, command, env, ptyRequest, ctx);
        leaderPid = terminal.pid;
      } catch (err) {
        channel.stderr.write(`dust demo: cannot start ${SHELL_PATH} in a pty: ${String(err)}\r\n`);
        finishChannel(channel, 127, undefined);
      }
    } else {
      leaderPid = startPiped(channel, command, env, ctx);
    }
  };

  session.on('shell', (accept, reject) => {
    if (started) return reject?.();
    start(accept(), undefined);
  });

  session.on('exec', (accept, reject, info) => {
    if (started) return reject?.();
    start(accept(), info.command);
  });

  session.on('sftp', (accept, reject) => {
    if (started) return reject?.();
    started = true;
    const sftp = accept();
    sftp.once('close', markClosed);
    serveSftp(sftp, ctx.homeDir);
  });
}

function sessionEnv(
  ctx: DemoSessionContext,
  ptyRequest: PtyRequest | undefined,
  clientEnv: Record<string, string>,
): Record<string, string> {
  // A fresh environment, as sshd gives: dust's own (AWS credentials included) must not leak into sessions.
  const inherited: Record<string, string> = {};
  for (const key of ['LANG', 'LC_ALL', 'TZ']) {
    const value = process.env[key];
    if (value !== undefined) inherited[key] = value;
  }
  const [clientIp = '', clientPort = ''] = ctx.sshConnection.split(' ');
  return {
    ...inherited,
    ...clientEnv,
    HOME: ctx.homeDir,
    USER: ctx.user,
    LOGNAME: ctx.user,
    SHELL: SHELL_PATH,
    PATH: `${ctx.binDir}:${userPath()}`,
    SSH_CONNECTION: ctx.sshConnection,
    SSH_CLIENT: `${clientIp} ${clientPort} ${ctx.sshConnection.split(' ')[3] ?? ''}`,
    DUST_DEMO_NODE: ctx.nodeName,
    DUST_DEMO_BIN: ctx.binDir,
    ...(ptyRequest ? { TERM: ptyRequest.term } : {}),
  };
}

/** The user's PATH without the node_modules/.bin entries `npm start` adds: sessions are "another machine". */
export function userPath(): string {
  const entries = (process.env['PATH'] ?? '').split(':').filter((p) => p !== '' && !p.includes('/node_modules/'));
  return entries.length > 0 ? [...new Set(entries)].join(':') : FALLBACK_PATH;
}

function shellArgs(command: string | undefined): string[] {
  if (command !== undefined) return ['-c', command];
  return SHELL_PATH.endsWith('bash') ? ['--login'] : ['-l'];
}

/** Sends the exit status (or signal) the way sshd does, then closes our side of the channel. */
function finishChannel(channel: ServerChannel, exitCode: number | null, signal: string | null | undefined): void {
  try {
    if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
    else channel.exit(exitCode ?? 0);
  } catch {
    // the channel is already gone, or the signal has no SSH name: no status then
  }
  channel.end();
}

function startInPty(
  channel: ServerChannel,
  command: string | undefined,
  env: Record<string, string>,
  request: PtyRequest,
  ctx: DemoSessionContext,
): IPty {
  const terminal = nodePty().spawn(SHELL_PATH, shellArgs(command), {
    name: request.term,
    cols: request.cols,
    rows: request.rows,
    cwd: ctx.homeDir,
    env,
    encoding: null, // Buffers: a UTF-8 sequence split across reads must reach the client intact
  });
  let resolveExited!: () => void;
  const exited = new Promise<void>((resolve) => {
    resolveExited = resolve;
  });
  ctx.processes.add({ pid: terminal.pid, exited });

  let channelOpen = true;
  let hasExited = false;
  terminal.onData((data: string | Buffer) => {
    if (!channelOpen) return;
    if (!channel.write(data)) {
      terminal.pause();
      channel.once('drain', () => terminal.resume());
    }
  });
  channel.on('data', (data: Buffer) => terminal.write(data));
  terminal.onExit(({ exitCode, signal }) => {
    hasExited = true;
    resolveExited();
    if (channelOpen) finishChannel(channel, exitCode, signal ? signalName(signal) : undefined);
  });
  channel.on('close', () => {
    channelOpen = false;
    // The client hung up: like a pty master closing, SIGHUP the session.
    if (!hasExited) signalSessions([terminal.pid], 'SIGHUP');
  });
  return terminal;
}

function startPiped(
  channel: ServerChannel,
  command: string | undefined,
  env: Record<string, string>,
  ctx: DemoSessionContext,
): number | undefined {
  let child: ChildProcess;
  try {
    child = spawnPiped(SHELL_PATH, shellArgs(command), {
      cwd: ctx.homeDir,
      env,
      detached: true, // own session and process group, so signals and cleanup reach everything it starts
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (err) {
    channel.stderr.write(`dust demo: cannot start ${SHELL_PATH}: ${String(err)}\n`);
    finishChannel(channel, 127, undefined);
    return undefined;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) ctx.processes.add({ pid: child.pid, exited });

  let channelOpen = true;
  child.stdin?.on('error', () => {}); // EPIPE when the command does not read its input
  if (child.stdin) channel.pipe(child.stdin);
  child.stdout?.pipe(channel, { end: false });
  child.stderr?.pipe(channel.stderr, { end: false });
  child.on('error', (err) => {
    if (!channelOpen) return;
    channel.stderr.write(`dust demo: ${err.message}\n`);
    channelOpen = false;
    finishChannel(channel, 127, undefined);
  });
  // 'close' comes after stdout/stderr have ended, so every byte is forwarded before the status.
  child.on('close', (code, signal) => {
    if (!channelOpen) return;
    channelOpen = false;
    finishChannel(channel, code, signal);
  });
  channel.on('close', () => {
    if (channelOpen && child.pid !== undefined) signalSessions([child.pid], 'SIGHUP');
    channelOpen = false;
  });
  return child.pid;
}
