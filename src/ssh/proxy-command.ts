/**
 * ProxyCommand as a socket: the command runs through `/bin/sh -c "exec <command>"` (as OpenSSH runs it), its
 * stdin/stdout carry the SSH connection (ssh2's `sock`), and it ends with the connection. This is how
 * `aws ssm start-session`, `ssh -W`, `nc` through corporate proxies and `cloudflared access` are reached.
 *
 * The command gets its own process group and no terminal: ^C at dust's prompt must not kill every node's
 * transport, and a proxy must not draw over the prompt (its stderr is kept, and its last line is what a
 * failure says). When the command exits on its own before the connection ended, the stream fails with
 * `proxy command exited N: <last stderr line>` instead of a bare "connection closed".
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface ProxyCommandOptions {
  /** Default /bin/sh. */
  shell?: string;
  /** Environment for the command. Default: dust's own. */
  env?: NodeJS.ProcessEnv;
  /** After the connection ends, how long the command may take to exit by itself before it is killed. Default 1 s. */
  exitGraceMs?: number;
}

/** Proxy commands still running, killed if dust exits without closing them (a crash, process.exit). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts `command` (tokens already expanded) and returns its stdio as one stream for ssh2's `sock`. */
export function openProxyCommand(command: string, opts: ProxyCommandOptions = {}): ProxyCommandSocket {
  return new ProxyCommandSocket(command, opts);
}

export class ProxyCommandSocket extends Duplex {
  readonly command: string;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private bytesIn = 0;
  private endedByUs = false;
  private exited = false;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly exitGraceMs: number;

  constructor(command: string, opts: ProxyCommandOptions) {
    super();
    this.command = command;
    this.exitGraceMs = opts.exitGraceMs ?? 1000;
    installExitHook();
    this.child = spawn(opts.shell ?? '/bin/sh', ['-c', `exec ${command}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? process.env,
    });
    live.add(this.child);
    const { stdin, stdout, stderr } = this.child as ChildProcess & {
      stdin: NodeJS.WritableStream; stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream;
    };
    // A proxy that died makes writes fail with EPIPE; its exit status is the better report (below).
    stdin.on('error', () => undefined);
    stdout.on('data', (d: Buffer) => {
      this.bytesIn += d.length;
      if (!this.push(d)) stdout.pause();
    });
    stderr.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4096);
    });
    this.child.once('error', (err) => {
      this.exited = true;
      live.delete(this.child);
      this.destroy(new DustError(ErrorCodes.SshProxyCommand, `proxy command could not start: ${err.message}`, {
        hint: 'check the ProxyCommand in your ssh config',
      }));
    });
    // 'close' (not 'exit'): stdout has been read to its end, so no byte is lost before we report.
    this.child.once('close', (code, signal) => this.onExit(code, signal));
  }

  /** The last line the command wrote to stderr (for messages). */
  get lastStderrLine(): string {
    return this.stderrTail.split('\n').map((l) => l.trim()).filter((l) => l !== '').pop() ?? '';
  }

  override _read(): void {
    (this.child.stdout as NodeJS.ReadableStream | null)?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (!stdin || this.exited) {
      cb();
      return;
    }
    stdin.write(chunk, () => cb());
  }

  /** ssh2 ended the connection: close the command's stdin and give it a moment to leave by itself. */
  override _final(cb: (err?: Error | null) => void): void {
    this.endedByUs = true;
    this.child.stdin?.end();
    if (!this.exited) {
      this.killTimer = setTimeout(() => this.kill(), this.exitGraceMs);
      this.killTimer.unref();
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.endedByUs = true;
    this.kill();
    cb(err);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    live.delete(this.child);
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.endedByUs || this.destroyed) {
      this.push(null);
      return;
    }
    // Exiting 0 after carrying the connection is a normal end (the server closed); anything else is a failure.
    if (code === 0 && this.bytesIn > 0) {
      this.push(null);
      return;
    }
    const how = signal !== null ? `was killed by ${signal}` : `exited ${code ?? '?'}`;
    const said = this.lastStderrLine;
    const detail = said !== '' ? `: ${said}` : code === 0 ? ' without a word from the server' : '';
    this.destroy(new DustError(ErrorCodes.SshProxyCommand, `proxy command ${how}${detail}`, {
      hint: `run it by hand to see why: ${this.command}`,
    }));
  }

  private kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      // The whole group: `exec` replaced the shell, but a pipeline or a wrapper script has children of its own.
      process.kill(-this.child.pid, 'SIGHUP');
    } catch {
      // Already gone.
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGHUP');
      } catch {
        // Already gone.
      }
    }
  });
}

/**
 * Expands ProxyCommand's tokens (%h host, %p port, %r remote user, %n the name looked up, %%). Throws a
 * DustError naming an unknown token, as OpenSSH refuses one.
 */
export function expandProxyCommand(command: string, values: { h: string; p: number; r: string; n: string }): string {
  return command.replace(/%(.)/g, (whole, ch: string) => {
    switch (ch) {
      case '%': return '%';
      case 'h': return values.h;
      case 'p': return String(values.p);
      case 'r': return values.r;
      case 'n': return values.n;
      default:
        throw new DustError(ErrorCodes.ConfigInvalid, `ProxyCommand uses the unknown token ${whole}: ${command}`, {
          hint: 'ProxyCommand takes %h (host), %p (port), %r (remote user), %n (name looked up) and %% (a literal %)',
        });
    }
  });
}
