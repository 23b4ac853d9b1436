/**
 * One node's persistent shell, over whatever transport reaches the node (src/sessions/transport.ts): the marker
 * protocol, the demux, typed-echo recognition, waiting prompts, interrupts, reconnect with the cwd restored, and
 * raw attach with ^C×3. It owns no socket: it writes into a ShellChannel and is fed what comes back.
 */
import type { DustNode } from '../inventory/node.js';
import type { NodeRunResult } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { LineDemux } from './demux.js';
import { OutputTail } from './output-tail.js';
import { TypedEcho } from './typed-echo.js';
import { toNodeFailure, type NodeFailure } from './node-failure.js';
import type { ChannelEnd, ShellChannel, Transport } from './transport.js';
import {
  LINE_MODE_PTY, bootMarker, bootstrapCommand, interruptLine, leaveRawModeLine, newToken, rawModeLine, restoreCwdLine, wrapCommand,
  type ParsedMarker,
} from './shell-protocol.js';

/** Lines of output a run result keeps per node (the tail); see NodeRunResult.output. */
export const OUTPUT_KEPT = 10_000;

export interface SessionEvent {
  type: 'connected' | 'lost';
  node: DustNode;
  reason?: string;
}

/** Everything a NodeSession needs from its manager (injected, so this file depends on no transport). */
export interface SessionDeps {
  transport: Transport;
  /** How long the remote shell may take to start and answer once the channel is open. */
  shellStartTimeoutMs: number;
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
  finish(status: NodeRunResult['status'], exitCode: number | null, extra?: { error?: NodeFailure; stillRunning?: boolean }): void;
}

/** Silence after a ^C before it is sent once more (see onAbort). */
const INTERRUPT_REPEAT_AFTER_MS = 700;

/**
 * One node's persistent shell: one long-lived PTY channel from the node's transport, opened on first use,
 * reopened after a loss with the working directory restored.
 */
export class NodeSession {
  state: SessionState = 'closed';
  /** Working directory reported by the last marker; restored after a reconnect. */
  cwd: string | undefined;
  private channel: ShellChannel | undefined;
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

  constructor(public node: DustNode, private readonly deps: SessionDeps) {
    this.demux = new LineDemux({
      line: (text) => this.onLine(text),
      partial: (text) => this.onPartial(text),
      marker: (m) => this.onMarker(m),
    });
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

  /** Opens the shell if needed. Resolves to a notice when this was a reconnect after a loss. */
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
    if (this.run) {
      throw new DustError(ErrorCodes.SessionBusy, `a command is still running on ${this.node.name}`, { hint: 'wait for it, or press Ctrl-C to interrupt it' });
    }
    const channel = this.channel!;
    const gen = this.generation;
    const input = term.input;
    const wasRaw = input.isRaw === true;
    let onData: ((chunk: Buffer | string) => void) | undefined;
    let onResize: (() => void) | undefined;
    try {
      // Switch the shell to raw-mode settings unless a program is still reading the terminal.
      // A transport may deliver several chunks in one tick: from the marker on, collect synchronously.
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
        if (rows && cols) channel.resize({ rows, cols });
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
    const channel = this.channel;
    if (!channel) return;
    this.closing = true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      t.unref?.();
      this.onClosed = () => { clearTimeout(t); resolve(); };
      channel.close();
    });
    this.onClosed = undefined;
    if (this.channel === channel) this.teardown(undefined);
    this.closing = false;
    this.lostReason = undefined;
  }

  private onClosed: (() => void) | undefined;

  // ---------------------------------------------------------------- line mode

  private async execNow(command: string, opts: NodeRunOptions): Promise<SessionRunResult> {
    const base = { node: this.node, output: [] as string[] };
    if (opts.signal?.aborted) return { ...base, status: 'interrupted', exitCode: null };
    let notice: string | undefined;
    try {
      notice = await this.ensureOpen();
    } catch (err) {
      return { ...base, status: 'unreachable', exitCode: null, error: toNodeFailure(err) };
    }
    if (opts.signal?.aborted) return { ...base, status: 'interrupted', exitCode: null, ...(notice ? { notice } : {}) };
    if (this.state === 'raw') {
      return { ...base, status: 'failed', exitCode: null, error: { code: ErrorCodes.SessionBusy, message: 'the session is attached in a raw shell' } };
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
        finish: (status, exitCode, extra = {}) => {
          if (this.run !== run) return;
          this.run = undefined;
          clearTimeout(run.waitTimer);
          clearTimeout(run.graceTimer);
          clearTimeout(run.repeatTimer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (this.state === 'running') this.state = this.pendingToken ? 'waiting' : 'idle';
          const result: SessionRunResult = { node: this.node, status, exitCode, output: run.output.lines() };
          if (extra.error !== undefined) result.error = extra.error;
          if (extra.stillRunning) result.stillRunning = true;
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
          run.graceTimer = setTimeout(() => run.finish('interrupted', null, {
            stillRunning: true,
            error: { code: ErrorCodes.StillRunning, message: 'still running: ^C did not stop it' },
          }), opts.interruptGraceMs);
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

  private async leaveRaw(channel: ShellChannel, gen: number): Promise<void> {
    if (gen !== this.generation) return;
    this.state = this.pendingToken ? 'waiting' : 'idle';
    channel.resize(LINE_MODE_PTY);
    // A program still owns the terminal: typing settings into it would be wrong; reset before the next command.
    if (this.pendingToken !== undefined) {
      this.needsLineModeReset = true;
      return;
    }
    await this.restoreLineMode(channel);
  }

  private async restoreLineMode(channel: ShellChannel): Promise<void> {
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

  // ---------------------------------------------------------------- the channel

  private async open(): Promise<string | undefined> {
    this.state = 'connecting';
    const wasLost = this.lostReason;
    // Taken now: the new shell's ready marker reports its own (home) directory.
    const restore = wasLost !== undefined ? this.cwd : undefined;
    const bootToken = newToken();
    const readyToken = newToken();
    let channel: ShellChannel | undefined;
    try {
      channel = await this.deps.transport.openShell(this.node, {
        command: bootstrapCommand(bootToken, readyToken),
        size: LINE_MODE_PTY,
        term: 'xterm-256color',
        echo: false,
      });
      this.generation++;
      const gen = this.generation;
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
      channel.onData((d) => { if (gen === this.generation) this.onData(d); });
      channel.onClose((end) => {
        const closed = this.onClosed;
        if (gen === this.generation) this.onShellGone(end);
        closed?.();
      });
      await this.withTimeout(booted, 'the remote shell did not start');
      await this.withTimeout(ready, 'no answer from the remote shell after start');
      if (restore !== undefined) {
        const back = await this.controlMarker((token) => channel!.write(restoreCwdLine(token, restore)), this.deps.shellStartTimeoutMs);
        if (!back) throw new DustError(ErrorCodes.ShellStart, 'shell: no answer from the remote shell after start', { hint: 'the node may be overloaded; try again' });
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
      channel?.close();
      throw err;
    }
  }

  private withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new DustError(ErrorCodes.ShellStart,
        `shell: ${what} within ${Math.round(this.deps.shellStartTimeoutMs / 1000)} s`,
        { hint: 'a login profile may be waiting for input or hanging; try `ssh <node>` by hand' })), this.deps.shellStartTimeoutMs);
      t.unref?.();
      p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
    });
  }

  private onShellGone(end: ChannelEnd): void {
    if (this.state === 'closed') return;
    const intended = this.closing;
    const lost = end.kind === 'lost' && !intended;
    const reason = end.reason ?? (end.kind === 'lost' ? 'connection closed' : 'the shell exited');
    this.teardown(lost ? reason : undefined);
    if (lost && !this.lostReported) {
      this.lostReported = true;
      this.deps.onEvent({ type: 'lost', node: this.node, reason });
    }
  }

  /** Forgets the dead channel; an active run or raw attach learns about it here. */
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
    if (run) {
      run.finish('unreachable', null, {
        error: lostReason !== undefined
          ? { code: ErrorCodes.SshLost, message: lostReason, hint: 'the next command reconnects' }
          : { code: ErrorCodes.ShellExited, message: 'the shell exited' },
      });
    }
    const gone = this.onGone;
    this.onGone = undefined;
    if (gone) gone(lostReason !== undefined ? 'lost' : 'exited');
    else if (wasState === 'raw') this.state = 'closed';
  }
}
