/**
 * The server side of one exec stream: the command runs on this machine, in the pod's sandbox, in a node-pty
 * terminal (tty=true: stdout and stderr merged, resize on channel 4) or over pipes (stdout and stderr apart,
 * stdin closed by a v5 close frame). When it ends, the status channel says how, as the kubelet does, and the
 * WebSocket closes. A client that goes away closes the command's stdin (as a kubelet does) and takes the
 * command with it (SIGHUP, like a terminal hanging up).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { IPty } from 'node-pty';
import type { WebSocket } from 'ws';
import type { DemoProcessTable } from '../../demo/session.js';
import { nodePty } from '../../demo/node-pty.js';
import { signalSessions } from '../../demo/processes.js';
import {
  Channel, type ExecProtocol, type ExecStatus, frame, nonZeroExitStatus, parseResize, startFailureStatus, successStatus, supportsClose,
} from '../exec-protocol.js';
import type { PodSandbox } from './sandbox.js';

/** What the client asked for (from the exec URL) and what was negotiated. */
export interface ExecPlan {
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  protocol: ExecProtocol;
}

/** The pod the command runs in. */
export interface ExecRuntime {
  sandbox: PodSandbox;
  env: Record<string, string>;
  processes: DemoProcessTable;
  /** The image has no shell (nor anything else): every exec fails to start. */
  noShell: boolean;
  /** The container runtime is wedged: the stream opens but the command never starts. */
  stalled?: boolean;
  /**
   * A client going away only closes the command's stdin, as a real kubelet does for a command without a terminal;
   * by default the emulator also hangs up on it (`keepCommandsOnDisconnect`).
   */
  keepOnDisconnect?: boolean;
  /** Why terminals cannot be opened here (node-pty, an optional dependency, did not load); undefined when they can. */
  noTerminals?: string | undefined;
}

/** How a stream is dropped (see `ExecHandle.drop`). */
export type StreamDrop = 'close' | 'reset' | 'freeze';

/** A live exec stream, as the core tracks it per pod. */
export interface ExecHandle {
  readonly plan: ExecPlan;
  /**
   * Ends the stream without a status: `close` as a kubelet idle timeout does, `reset` drops the TCP connection,
   * `freeze` goes silent (a network partition: nothing is read or sent any more, pings go unanswered).
   */
  drop(how?: StreamDrop): void;
  /** Resolves when the stream is over (however it ended). */
  readonly ended: Promise<void>;
}

/** Pause the terminal when this much output waits to be sent; resume below a quarter of it. */
const HIGH_WATER = 1024 * 1024;

/** Resolves `argv[0]` as execve in a container would: a path as is, a bare name through PATH. */
export function resolveExecutable(command: string, pathVar: string): string | undefined {
  const usable = (file: string): boolean => {
    try {
      accessSync(file, fsConstants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return usable(command) ? command : undefined;
  for (const dir of pathVar.split(':')) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (usable(candidate)) return candidate;
  }
  return undefined;
}

function execId(): string {
  return Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}

/** containerd's words for an exec whose binary is missing, as the API server relays them. */
export function missingBinaryMessage(command: string): string {
  const why = command.includes('/') ? `stat ${command}: no such file or directory` : `executable file not found in $PATH`;
  return `error executing command in container: failed to exec in container: failed to start exec "${execId()}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": ${why}: unknown`;
}

function signalNumber(signal: string | number | null | undefined): number | undefined {
  if (signal === null || signal === undefined || signal === 0) return undefined;
  if (typeof signal === 'number') return signal;
  return (osConstants.signals as Record<string, number>)[signal];
}

export function startExec(ws: WebSocket, plan: ExecPlan, runtime: ExecRuntime): ExecHandle {
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });
  let finished = false;
  let leader: number | undefined;
  let pipedStdin: NodeJS.WritableStream | undefined;
  let pending = 0;
  let paused = false;
  let onLowWater: (() => void) | undefined;

  let send = (channel: number, data: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    const f = frame(channel, data);
    pending += f.length;
    ws.send(f, () => {
      pending -= f.length;
      if (paused && pending < HIGH_WATER / 4) {
        paused = false;
        onLowWater?.();
      }
    });
  };
  const overHighWater = (): boolean => {
    if (pending > HIGH_WATER) paused = true;
    return paused;
  };

  const finish = (status: ExecStatus | undefined): void => {
    if (finished) return;
    finished = true;
    if (status && ws.readyState === ws.OPEN) {
      ws.send(frame(Channel.status, JSON.stringify({ metadata: {}, ...status })), () => ws.close(1000));
    } else if (ws.readyState === ws.OPEN) {
      ws.close(1000);
    }
    resolveEnded();
  };
  const statusFor = (code: number | null, signal: string | number | null | undefined): ExecStatus => {
    const signo = signalNumber(signal);
    const exitCode = signo !== undefined ? 128 + signo : (code ?? 1);
    return exitCode === 0 ? successStatus() : nonZeroExitStatus(exitCode, plan.argv);
  };

  ws.on('close', () => {
    // A kubelet closes the command's stdin when its client goes away; the hang-up on top is this emulator's
    // choice (no process outlives its test), so clients must cope with either.
    if (!finished) pipedStdin?.end();
    if (leader !== undefined && !finished && !(runtime.keepOnDisconnect && !plan.tty)) signalSessions([leader], 'SIGHUP');
    finished = true;
    resolveEnded();
  });
  ws.on('error', () => {
    // A broken socket ends in 'close' as well.
  });

  const handle: ExecHandle = {
    plan,
    ended,
    drop(how = 'close') {
      if (how === 'reset') ws.terminate();
      else if (how === 'close') ws.close(1000);
      else {
        finished = true;
        ws.pause();
        send = () => {};
      }
    },
  };

  if (runtime.stalled) return handle;
  const command = plan.argv[0] ?? '';
  const executable = runtime.noShell ? undefined : resolveExecutable(command, runtime.env['PATH'] ?? '');
  if (executable === undefined) {
    finish(startFailureStatus(missingBinaryMessage(command)));
    return handle;
  }
  const env = { ...runtime.env, ...(plan.tty ? { TERM: 'xterm' } : {}) };

  if (plan.tty && runtime.noTerminals !== undefined) {
    finish(startFailureStatus(`error executing command in container: the dust emulator cannot open terminals on this machine: ${runtime.noTerminals}`));
    return handle;
  }
  if (plan.tty) {
    // The terminal starts at the client's size: kubectl and dust send it first thing, so the spawn waits for
    // the first resize (or the first keystroke, or a moment) and `stty size` is right from the first line.
    let size = { cols: 80, rows: 24 };
    let terminal: IPty | undefined;
    const early: Buffer[] = [];
    const launch = (): void => {
      clearTimeout(launchTimer);
      if (terminal || finished) return;
      try {
        terminal = nodePty().spawn(executable, plan.argv.slice(1), {
          name: 'xterm', cols: size.cols, rows: size.rows, cwd: runtime.sandbox.home, env, encoding: null,
        });
      } catch (err) {
        finish(startFailureStatus(`error executing command in container: ${String(err)}`));
        return;
      }
      const term = terminal;
      leader = term.pid;
      let resolveExit!: () => void;
      runtime.processes.add({ pid: term.pid, exited: new Promise<void>((resolve) => { resolveExit = resolve; }) });
      onLowWater = () => term.resume();
      term.onData((data: string | Buffer) => {
        if (!plan.stdout) return;
        send(Channel.stdout, typeof data === 'string' ? Buffer.from(data) : data);
        if (overHighWater()) term.pause();
      });
      term.onExit(({ exitCode, signal }) => {
        resolveExit();
        finish(statusFor(exitCode, signal));
      });
      for (const chunk of early.splice(0)) term.write(chunk);
    };
    const launchTimer = setTimeout(launch, 250);
    ws.on('message', (data: Buffer) => {
      if (!Buffer.isBuffer(data) || data.length === 0 || finished) return;
      const channel = data[0];
      if (channel === Channel.stdin && plan.stdin) {
        if (terminal) terminal.write(data.subarray(1));
        else {
          early.push(Buffer.from(data.subarray(1)));
          launch();
        }
      } else if (channel === Channel.resize) {
        const next = parseResize(data.subarray(1));
        if (!next) return;
        size = next;
        if (!terminal) return launch();
        try {
          terminal.resize(next.cols, next.rows);
        } catch {
          // exiting
        }
      }
    });
    ws.on('close', () => clearTimeout(launchTimer));
    return handle;
  }

  let child: ChildProcess;
  try {
    child = spawn(executable, plan.argv.slice(1), {
      argv0: command,
      cwd: runtime.sandbox.home,
      env,
      detached: true, // its own session, so a hang-up reaches everything it started
      stdio: [plan.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    finish(startFailureStatus(`error executing command in container: ${String(err)}`));
    return handle;
  }
  leader = child.pid;
  pipedStdin = child.stdin ?? undefined;
  if (child.pid !== undefined) runtime.processes.add({ pid: child.pid, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) });
  onLowWater = () => {
    child.stdout?.resume();
    child.stderr?.resume();
  };
  child.stdin?.on('error', () => {}); // EPIPE when the command does not read its input
  child.stdout?.on('data', (data: Buffer) => {
    if (plan.stdout) send(Channel.stdout, data);
    if (overHighWater()) child.stdout?.pause();
  });
  child.stderr?.on('data', (data: Buffer) => {
    if (plan.stderr) send(Channel.stderr, data);
    if (overHighWater()) child.stderr?.pause();
  });
  child.on('error', (err) => finish(startFailureStatus(`error executing command in container: ${err.message}`)));
  // 'close', not 'exit': every byte of output is read by then.
  child.on('close', (code, signal) => finish(statusFor(code, signal)));
  ws.on('message', (data: Buffer) => {
    if (!Buffer.isBuffer(data) || data.length === 0 || finished) return;
    const channel = data[0];
    if (channel === Channel.stdin) {
      if (child.stdin && !child.stdin.writableEnded) child.stdin.write(data.subarray(1));
    } else if (channel === Channel.close && supportsClose(plan.protocol) && data[1] === Channel.stdin) {
      child.stdin?.end();
    }
  });
  return handle;
}
