import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { DustNode } from '../inventory/node.js';
import type { NodeRunResult } from '../plugins/api.js';
import { LineDemux } from './demux.js';
import { OutputTail } from './output-tail.js';
import { HandshakePool, handshakeBackoffMs, isRetryableHandshakeError } from './pool.js';
import { TypedEcho } from './typed-echo.js';
import { STILL_RUNNING } from './run-outcome.js';
import {
  LINE_MODE_PTY, bootMarker, bootstrapCommand, interruptLine, leaveRawModeLine, newToken, rawModeLine, restoreCwdLine, wrapCommand,
  type ParsedMarker,
} from './shell-protocol.js';

const { Client } = ssh2;

/** What the login layer (ssh-config, known hosts, keys, jump hosts) hands the session layer. */

/** Lines of output a run result keeps per node (the tail); see NodeRunResult.output. */
export const OUTPUT_KEPT = 10_000;
export interface LoginInfo {
  host: string;
  port: number;
  username: string;
  privateKey?: Buffer;
  passphrase?: string;
  agent?: string;
  /** An already-open stream to the node (a ProxyJump tunnel). Used once: no handshake retry with it. */
  sock?: NodeJS.ReadWriteStream;
}

export type HostKeyVerdict = { ok: true } | { ok: false; error: Error };

export interface SessionEvent {
  type: 'connected' | 'lost';
  node: DustNode;
  reason?: string;
}

/** Everything a NodeSession needs from its manager (injected, so this file depends on no login code). */
export interface SessionDeps {
  resolveLogin(node: DustNode): Promise<LoginInfo>;
  verifyHostKey(host: string, port: number, key: Buffer): HostKeyVerdict;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  pool: HandshakePool;
  onBackgroundLine(node: DustNode, line: string): void;
  onEvent(e: SessionEvent): void;
}

/** A NodeRunResult plus what dust should tell the user about the session itself (reconnects, lost state). */
export interface SessionRunResult extends NodeRunResult {
  /** Set when this run had to reconnect: what was restored and what was lost. */
  notice?: string;
}

export interface NodeRunOptions {
  onLine?: (node: DustNode, line: string) => void;
  quietMs: number;
  /** Silence after a partial line that does not look like a prompt before the node counts as waiting. */
  idlePartialMs: number;
  signal?: AbortSignal;
  /** How long to wait for a marker after Ctrl-C was sent. */
  interruptGraceMs: number;
}

/** The terminal `attachRaw` drives: the local tty, or anything shaped like it (tests use in-memory streams). */
export interface RawTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  output: NodeJS.WritableStream & { columns?: number; rows?: number; on(event: 'resize', listener: () => void): unknown; off(event: 'resize', listener: () => void): unknown };
}

export type AttachOutcome = 'detached' | 'exited' | 'lost';

/** idle: at a prompt; running: a command of a run in progress; waiting: a command outlived its run (prompt, interrupt). */
export type SessionState = 'closed' | 'connecting' | 'idle' | 'running' | 'waiting' | 'raw';

interface ActiveRun {
  token: string;
  output: OutputTail;
  opts: NodeRunOptions;
  interrupted: boolean;
  /** Blank lines still to drop: the shell may answer each ^C sent with a newline of its own. */
  interruptNewlines: number;
  /** The node printed something after the ^C: the program reacted, so it is never sent a second one. */
  outputAfterInterrupt: boolean;
  waitTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  repeatTimer: NodeJS.Timeout | undefined;
  notice: string | undefined;
  finish(status: NodeRunResult['status'], exitCode: number | null, error?: string): void;
}

/** Silence after a ^C before it is sent once more (see onAbort). */
const INTERRUPT_REPEAT_AFTER_MS = 700;

/**
 * One node's persistent shell: one ssh2 connection carrying one long-lived PTY channel (well under OpenSSH's
 * MaxSessions of 10), opened on first use, reopened after a loss with the working directory restored.
 */
export class NodeSession {
  state: SessionState = 'closed';
  /** Working directory reported by the last marker; restored after a reconnect. */
  cwd: string | undefined;
  private client: Ssh2Client | undefined;
  private channel: ClientChannel | undefined;
  private opening: Promise<string | undefined> | undefined;
  private readonly demux: LineDemux;
  /** Token of the command whose marker has not arrived yet (running, waiting or interrupted). */
  private pendingToken: string | undefined;
  /** Control markers (ready, raw enter/leave) being waited for; lines meanwhile are dust's own noise. */
  private readonly control = new Map<string, (m: ParsedMarker) => void>();
  private run: ActiveRun | undefined;
  private rawSink: ((data: Buffer) => void) | undefined;
  private bootWait: { marker: string; seen: string; done: () => void } | undefined;
  /** Why the previous connection ended, when it ended without the user closing it. */
  private lostReason: string | undefined;
  private lostReported = false;
  private closing = false;
  private generation = 0;
  private onGone: ((why: 'exited' | 'lost') => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly node: DustNode, private readonly deps: SessionDeps) {
    this.demux = new LineDemux({
      line: (text) => this.onLine(text),
      partial: (text) => this.onPartial(text),
      marker: (m) => this.onMarker(m),
    });
  }

  private sftpChannel: { gen: number; sftp: Promise<SFTPWrapper> } | undefined;

  /**
   * An SFTP channel on this node's existing connection, opened on first use and reused (never one per
   * file: channels count against the server's MaxSessions). A new one after a reconnect.
   */
  async sftp(): Promise<SFTPWrapper> {
    await this.ensureOpen();
    const gen = this.generation;
    if (this.sftpChannel?.gen === gen) return this.sftpChannel.sftp;
    const client = this.client;
    if (!client) throw new Error('not connected');
    const sftp = new Promise<SFTPWrapper>((resolve, reject) => {
      client.sftp((err, s) => {
        if (err) return reject(err);
        s.on('close', () => { if (this.sftpChannel?.gen === gen) this.sftpChannel = undefined; });
        resolve(s);
      });
    });
    this.sftpChannel = { gen, sftp };
    sftp.catch(() => { if (this.sftpChannel?.sftp === sftp) this.sftpChannel = undefined; });
    return sftp;
  }

  get isOpen(): boolean {
    return this.channel !== undefined && this.state !== 'closed' && this.state !== 'connecting';
  }

  /** Runs one input line; runs on the same node are serialised. */
  exec(command: string, opts: NodeRunOptions): Promise<SessionRunResult> {
    const next = this.queue.then(() => this.execNow(command, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Opens the connection and shell if needed. Resolves to a notice when this was a reconnect after a loss. */
  ensureOpen(): Promise<string | undefined> {
    if (this.isOpen) return Promise.resolve(undefined);
    if (!this.opening) {
      this.opening = this.open().finally(() => { this.opening = undefined; });
    }
    return this.opening;
  }

  /** Hands `term` to this node's shell until the user detaches (Ctrl-C ×3), the shell exits, or the connection drops. */
  async attachRaw(term: RawTerminal): Promise<AttachOutcome> {
    await this.ensureOpen();
    if (this.run) throw new Error(`a command is still running on ${this.node.name}`);
    const channel = this.channel!;
    const gen = this.generation;
    const input = term.input;
    const wasRaw = input.isRaw === true;
    let onData: ((chunk: Buffer | string) => void) | undefined;
    let onResize: (() => void) | undefined;
    try {
      // Switch the shell to raw-mode settings unless a program is still reading the terminal.
      // ssh2 may emit several data events in one tick: from the marker on, collect synchronously.
      const early: Buffer[] = [];
      if (this.pendingToken === undefined) {
        await this.controlMarker((token) => channel.write(rawModeLine(this.node.name, token)), 5000, (rest) => {
          if (rest) early.push(Buffer.from(rest, 'utf8'));
          this.rawSink = (d) => { early.push(d); };
        });
      }
      if (gen !== this.generation || !this.channel) return 'lost';
      this.state = 'raw';
      this.demux.flush();
      const resize = (): void => {
        const rows = term.output.rows, cols = term.output.columns;
        if (rows && cols) channel.setWindow(rows, cols, 0, 0);
      };
      resize();
      onResize = resize;
      term.output.on('resize', onResize);
      if (input.isTTY && input.setRawMode) input.setRawMode(true);
      const outcome = await new Promise<AttachOutcome>((resolve) => {
        this.rawSink = (data) => { term.output.write(data); };
        for (const b of early) term.output.write(b);
        this.onGone = (why) => resolve(why);
        let ctrlC = 0;
        onData = (chunk: Buffer | string) => {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          for (let i = 0; i < bytes.length; i++) {
            if (bytes[i] === 0x03) {
              if (++ctrlC === 3) {
                // The first two went to the remote program; the third is dust's.
                if (i > 0) channel.write(bytes.subarray(0, i));
                resolve('detached');
                return;
              }
            } else {
              ctrlC = 0;
            }
          }
          channel.write(bytes);
        };
        input.on('data', onData);
        input.resume();
      });
      this.rawSink = undefined;
      if (outcome === 'detached') await this.leaveRaw(channel, gen);
      return outcome;
    } finally {
      this.rawSink = undefined;
      this.onGone = undefined;
      if (onData) input.off('data', onData);
      if (onResize) term.output.off('resize', onResize);
      if (input.isTTY && input.setRawMode) input.setRawMode(wasRaw);
      input.pause();
      if (this.state === 'raw') this.state = this.pendingToken ? 'waiting' : 'idle';
    }
  }

  /** Ends the session on purpose (no `lost` event). */
  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    if (!client) { this.closing = false; return; }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      t.unref?.();
      client.once('close', () => { clearTimeout(t); resolve(); });
      client.end();
    });
    this.teardown(undefined);
    this.closing = false;
    this.lostReason = undefined;
  }

  // ---------------------------------------------------------------- line mode

  private async execNow(command: string, opts: NodeRunOptions): Promise<SessionRunResult> {
    const base = { node: this.node, output: [] as string[] };
    if (opts.signal?.aborted) return { ...base, status: 'interrupted', exitCode: null };
    let notice: string | undefined;
    try {
      notice = await this.ensureOpen();
    } catch (err) {
      return { ...base, status: 'unreachable', exitCode: null, error: describeSshError(err, this.lastLogin) };
    }
    if (opts.signal?.aborted) return { ...base, status: 'interrupted', exitCode: null, ...(notice ? { notice } : {}) };
    if (this.state === 'raw') {
      return { ...base, status: 'failed', exitCode: null, error: 'the session is attached in a raw shell' };
    }
    const channel = this.channel!;
    if (this.needsLineModeReset && this.pendingToken === undefined) await this.restoreLineMode(channel);
    let token = this.pendingToken;
    if (token !== undefined) {
      // A program from an earlier run is still reading the terminal: this line is its input, sent as typed.
      this.lastPartial = undefined;
      this.echo.typed(`${command}\n`, false);
      channel.write(`${command}\n`);
    } else {
      token = newToken();
      this.pendingToken = token;
      const typed = wrapCommand(command, token);
      this.echo.typed(typed, true);
      channel.write(typed);
    }
    this.state = 'running';
    this.demux.quietMs = opts.quietMs;
    this.demux.idlePartialMs = opts.idlePartialMs;
    return new Promise<SessionRunResult>((resolve) => {
      const run: ActiveRun = {
        token: token!,
        output: new OutputTail(OUTPUT_KEPT),
        opts,
        interrupted: false,
        interruptNewlines: 0,
        outputAfterInterrupt: false,
        waitTimer: undefined,
        graceTimer: undefined,
        repeatTimer: undefined,
        notice,
        finish: (status, exitCode, error) => {
          if (this.run !== run) return;
          this.run = undefined;
          clearTimeout(run.waitTimer);
          clearTimeout(run.graceTimer);
          clearTimeout(run.repeatTimer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (this.state === 'running') this.state = this.pendingToken ? 'waiting' : 'idle';
          const result: SessionRunResult = { node: this.node, status, exitCode, output: run.output.lines() };
          if (error !== undefined) result.error = error;
          if (run.notice !== undefined) result.notice = run.notice;
          resolve(result);
        },
      };
      const onAbort = (): void => {
        if (this.run !== run || run.interrupted) return;
        run.interrupted = true;
        clearTimeout(run.waitTimer);
        // ^C through the PTY: the line discipline sends SIGINT to the remote foreground job, as a local shell would.
        const sendInterrupt = (): void => {
          run.interruptNewlines++;
          const line = interruptLine(run.token);
          this.echo.typed(line.slice(1), true);
          this.channel?.write(line);
        };
        const startGrace = (): void => {
          clearTimeout(run.graceTimer);
          // No marker within the grace: the program ignored ^C and still owns the terminal.
          run.graceTimer = setTimeout(() => run.finish('interrupted', null, STILL_RUNNING), opts.interruptGraceMs);
        };
        sendInterrupt();
        startGrace();
        // A SIGINT can be lost: bash swallows one that lands in a child between fork and exec, and the command
        // then runs on. When the node stays silent, send ^C (and the marker line, which the ^C flushed) once more,
        // as a person at a terminal would. Only once, and only after silence: a second ^C makes programs such as
        // terraform or docker compose abandon a graceful shutdown. An extra marker with this token is stale.
        run.repeatTimer = setTimeout(() => {
          if (this.run !== run || run.outputAfterInterrupt) return;
          sendInterrupt();
          startGrace();
        }, INTERRUPT_REPEAT_AFTER_MS);
      };
      this.run = run;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private onLine(text: string): void {
    if (this.control.size > 0 && !this.run) return; // dust's own settings lines
    if (this.echo.isEcho(text)) return;
    this.lastPartial = undefined;
    const run = this.run;
    if (run) {
      // The shell answers ^C with a newline of its own; it is not the command's output.
      if (run.interrupted && text === '' && run.interruptNewlines > 0) { run.interruptNewlines--; return; }
      if (run.interrupted) run.outputAfterInterrupt = true;
      if (run.waitTimer !== undefined) {
        clearTimeout(run.waitTimer);
        run.waitTimer = undefined;
      }
      // Results keep a node's last OUTPUT_KEPT lines (streamed lines are all printed).
      run.output.push(text);
      run.opts.onLine?.(this.node, text);
    } else {
      this.deps.onBackgroundLine(this.node, text);
    }
  }

  private onPartial(text: string): void {
    this.onLine(text);
    this.lastPartial = text;
    const run = this.run;
    if (!run || run.interrupted) return;
    // The demux delivers a partial only after quiet (short for a prompt, longer for anything else), so an
    // unfinished line that reached us means the program is waiting for input.
    run.waitTimer = setTimeout(() => run.finish('waiting', null), 0);
  }

  private onMarker(m: ParsedMarker): boolean {
    const control = this.control.get(m.token);
    if (control) {
      this.control.delete(m.token);
      this.cwd = m.cwd || this.cwd;
      control(m);
      return true;
    }
    if (m.token !== this.pendingToken) return false; // stale (a control marker that timed out): not this command's
    this.pendingToken = undefined;
    this.lastPartial = undefined;
    if (this.echo.settle()) this.needsLineModeReset = true;
    if (m.cwd) this.cwd = m.cwd;
    if (this.state === 'running' || this.state === 'waiting') this.state = 'idle';
    const run = this.run;
    if (run && run.token === m.token) {
      if (run.interrupted) run.finish('interrupted', m.exitCode);
      else run.finish(m.exitCode === 0 ? 'ok' : 'failed', m.exitCode);
    }
    return false;
  }

  /**
   * Writes a line carrying a control marker and resolves when the marker comes back (or after `timeoutMs`,
   * leaving the token pending so a late marker is recognised). `after` receives the text following the marker.
   */
  private controlMarker(write: (token: string) => void, timeoutMs: number, after?: (rest: string | undefined) => void): Promise<boolean> {
    const token = newToken();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.control.delete(token);
        this.pendingToken ??= token;
        resolve(false);
      }, timeoutMs);
      timer.unref?.();
      this.control.set(token, () => {
        clearTimeout(timer);
        this.afterControl = after;
        resolve(true);
      });
      write(token);
    });
  }

  private afterControl: ((rest: string | undefined) => void) | undefined;

  private async leaveRaw(channel: ClientChannel, gen: number): Promise<void> {
    if (gen !== this.generation) return;
    this.state = this.pendingToken ? 'waiting' : 'idle';
    channel.setWindow(LINE_MODE_PTY.rows, LINE_MODE_PTY.cols, 0, 0);
    // A program still owns the terminal: typing settings into it would be wrong; reset before the next command.
    if (this.pendingToken !== undefined) {
      this.needsLineModeReset = true;
      return;
    }
    await this.restoreLineMode(channel);
  }

  private async restoreLineMode(channel: ClientChannel): Promise<void> {
    this.needsLineModeReset = false;
    this.echo.turnedOff();
    await this.controlMarker((token) => channel.write(leaveRawModeLine(token)), 2000);
  }

  /** Markers that pass by while the terminal is handed over raw still settle their commands. */
  private scanRawForMarkers(data: Buffer): void {
    const token = this.pendingToken;
    if (token === undefined) return;
    this.rawTail = (this.rawTail + data.toString('latin1')).slice(-512);
    if (this.rawTail.includes(`__DUST_${token}_`)) {
      this.pendingToken = undefined;
      this.rawTail = '';
    }
  }

  private needsLineModeReset = false;
  private rawTail = '';
  /** The unfinished line the shell's program printed last (a prompt, when the node is waiting). */
  private lastPartial: string | undefined;

  /** The prompt a program of an earlier run is waiting at; undefined unless the node is waiting for input. */
  get waitingPrompt(): string | undefined {
    return this.state === 'waiting' ? this.lastPartial : undefined;
  }

  /** dust's typing coming back as echo from servers that ignore the PTY request's ECHO mode. */
  private readonly echo = new TypedEcho();

  private onData(data: Buffer): void {
    if (this.bootWait) {
      const bw = this.bootWait;
      bw.seen = (bw.seen + data.toString('latin1')).slice(-4096);
      const at = bw.seen.indexOf(bw.marker);
      if (at < 0) return;
      this.bootWait = undefined;
      bw.done();
      // Everything before the boot marker is the login shell's noise; what follows it (in the same chunk, since
      // the marker was not complete before) is dust's shell, starting with its ready marker.
      const after = bw.seen.length - at - bw.marker.length;
      if (after === 0) return;
      data = data.subarray(data.length - after);
    }
    if (this.rawSink) {
      this.scanRawForMarkers(data);
      this.rawSink(data);
      return;
    }
    let rest = this.demux.push(data);
    while (rest !== undefined) {
      const after = this.afterControl;
      this.afterControl = undefined;
      if (after) {
        after(rest);
        return;
      }
      rest = this.demux.pushText(rest);
    }
  }

  // ---------------------------------------------------------------- connection

  private lastLogin: LoginInfo | undefined;

  private async open(): Promise<string | undefined> {
    this.state = 'connecting';
    const wasLost = this.lostReason;
    // Taken now: the new shell's ready marker reports its own (home) directory.
    const restore = wasLost !== undefined ? this.cwd : undefined;
    try {
      const login = await this.deps.resolveLogin(this.node);
      this.lastLogin = login;
      const client = await this.connectWithRetry(login);
      client.setNoDelay(true);
      this.generation++;
      const gen = this.generation;
      this.client = client;
      const bootToken = newToken();
      const readyToken = newToken();
      const channel = await new Promise<ClientChannel>((resolve, reject) => {
        client.exec(bootstrapCommand(bootToken, readyToken), {
          pty: { ...LINE_MODE_PTY, term: 'xterm-256color', modes: { ECHO: 0 } },
        }, (err, ch) => (err ? reject(err) : resolve(ch)));
      });
      this.channel = channel;
      this.demux.reset();
      this.pendingToken = undefined;
      this.control.clear();
      this.echo.reset();
      // The shell prints its ready marker by itself (no typed ready line): listen for it before any data flows.
      const ready = new Promise<void>((resolve) => { this.control.set(readyToken, () => resolve()); });
      const booted = new Promise<void>((resolve) => {
        this.bootWait = { marker: bootMarker(bootToken), seen: '', done: resolve };
      });
      channel.on('data', (d: Buffer) => { if (gen === this.generation) this.onData(d); });
      channel.stderr.on('data', (d: Buffer) => { if (gen === this.generation) this.onData(d); });
      let clientGone = false;
      channel.on('close', () => {
        // On a network loss ssh2 closes the channels before the client: look again once the dust settles.
        setTimeout(() => {
          if (gen === this.generation) this.onShellGone(clientGone ? 'connection closed' : 'the shell exited', !clientGone);
        }, 100);
      });
      client.on('close', () => {
        clientGone = true;
        if (gen === this.generation) this.onShellGone('connection closed', false);
      });
      client.on('error', (err: Error) => {
        clientGone = true;
        if (gen === this.generation) this.onShellGone(`connection lost: ${err.message}`, false);
      });

      await this.withTimeout(booted, 'the remote shell did not start');
      await this.withTimeout(ready, 'no answer from the remote shell after start');
      if (restore !== undefined) {
        const back = await this.controlMarker((token) => channel.write(restoreCwdLine(token, restore)), this.deps.connectTimeoutMs);
        if (!back) throw new Error('shell: no answer from the remote shell after start');
      }
      this.state = 'idle';
      this.lostReason = undefined;
      this.lostReported = false;
      this.deps.onEvent({ type: 'connected', node: this.node });
      if (wasLost === undefined) return undefined;
      const cwd = restore ? `restored cwd ${restore}` : 'cwd not known';
      return `reconnected after ${wasLost}; ${cwd}; lost: shell variables, exports and functions, background jobs`;
    } catch (err) {
      this.teardown(wasLost);
      this.client?.end();
      throw err;
    }
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`shell: ${what} within ${Math.round(this.deps.connectTimeoutMs / 1000)} s`)), this.deps.connectTimeoutMs);
      t.unref?.();
      p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
    });
  }

  private async connectWithRetry(login: LoginInfo): Promise<Ssh2Client> {
    const attempts = login.sock ? 1 : 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.pool.run(() => this.connectOnce(login));
      } catch (err) {
        if (attempt + 1 >= attempts || !isRetryableHandshakeError(err)) throw err;
        await new Promise((r) => setTimeout(r, handshakeBackoffMs(attempt)));
      }
    }
  }

  private connectOnce(login: LoginInfo): Promise<Ssh2Client> {
    return new Promise<Ssh2Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyError: Error | undefined;
      const cfg: ConnectConfig = {
        host: login.host,
        port: login.port,
        username: login.username,
        readyTimeout: this.deps.connectTimeoutMs,
        keepaliveInterval: this.deps.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const verdict = this.deps.verifyHostKey(login.host, login.port, key);
          if (!verdict.ok) hostKeyError = verdict.error;
          return verdict.ok;
        },
      };
      if (login.privateKey) cfg.privateKey = login.privateKey;
      if (login.passphrase !== undefined) cfg.passphrase = login.passphrase;
      if (login.agent) cfg.agent = login.agent;
      if (login.sock) cfg.sock = login.sock as unknown as NonNullable<ConnectConfig['sock']>;
      let settled = false;
      client.once('ready', () => {
        settled = true;
        client.removeAllListeners('error');
        client.on('error', () => undefined); // replaced by the session's own handler right away
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        client.end();
        if (hostKeyError) {
          const e = hostKeyError as Error & { level?: string };
          e.level = 'host-key';
          reject(e);
        } else {
          reject(err);
        }
      });
      client.once('close', () => {
        if (settled) return;
        settled = true;
        reject(hostKeyError ?? new Error('Connection closed by remote host'));
      });
      client.connect(cfg);
    });
  }

  private onShellGone(reason: string, shellExited: boolean): void {
    if (this.state === 'closed') return;
    const intended = this.closing;
    this.teardown(intended || shellExited ? undefined : reason);
    if (!intended && !shellExited && !this.lostReported) {
      this.lostReported = true;
      this.deps.onEvent({ type: 'lost', node: this.node, reason });
    }
    this.client?.end();
    this.client = undefined;
  }

  /** Forgets the dead connection; an active run or raw attach learns about it here. */
  private teardown(lostReason: string | undefined): void {
    const wasState = this.state;
    this.generation++;
    this.state = 'closed';
    this.channel = undefined;
    this.bootWait = undefined;
    this.control.clear();
    this.pendingToken = undefined;
    this.demux.flush();
    this.demux.reset();
    if (lostReason !== undefined) this.lostReason = lostReason;
    const run = this.run;
    if (run) run.finish('unreachable', null, lostReason ?? 'the shell exited');
    const gone = this.onGone;
    this.onGone = undefined;
    if (gone) gone(lostReason !== undefined ? 'lost' : 'exited');
    else if (wasState === 'raw') this.state = 'closed';
  }
}

/** One line naming the failure stage and cause: `connect: ECONNREFUSED 127.0.0.13:2222`, `auth: …`, `host key: …`. */
export function describeSshError(err: unknown, login: LoginInfo | undefined): string {
  const e = err as (Error & { code?: string; level?: string; address?: string; port?: number }) | undefined;
  const msg = e instanceof Error ? e.message : String(err);
  const where = login ? `${login.host}:${login.port}` : '';
  if (e?.level === 'host-key') return `host key: ${msg}`;
  if (e?.level === 'client-authentication') return `auth: ${msg} (user ${login?.username ?? '?'})`;
  if (e?.level === 'client-timeout' || /Timed out while waiting for handshake/.test(msg)) {
    return `connect: timed out (no SSH handshake from ${where})`;
  }
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    const addr = e.address !== undefined ? `${e.address}:${e.port ?? login?.port ?? ''}` : where;
    return `connect: ${e.code} ${addr}`;
  }
  if (msg.startsWith('shell:')) return msg;
  return `ssh: ${msg}${where ? ` (${where})` : ''}`;
}
