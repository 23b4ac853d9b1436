/**
 * One node's persistent shell, over whatever transport reaches the node (src/sessions/transport.ts): the marker
 * protocol (shell-protocol.ts: the shell's prompt is the marker), the demux, typed-echo recognition, waiting
 * prompts, interrupts, nested shells, reconnect with the cwd restored, and raw attach with ^C×3. It owns no
 * socket: it writes into a ShellChannel and is fed what comes back.
 *
 * What keeps a session from wedging:
 * - nothing is typed after ^C (the prompt reports the interrupted command), so nothing lands in a program that
 *   still reads the terminal;
 * - every marker names the shell that printed it (pid), so a nested shell (`su`, `bash`, `exec sh`) and the
 *   return from it are seen, and a shell that does not inherit dust's prompt (`sudo -i`) is taken over;
 * - a shell that exits reports its status, and the next command says what was lost;
 * - leaving a raw shell while a full-screen program runs restores the local terminal, and line mode waits for the
 *   program to end (the raw prompt carries an invisible beacon) instead of typing into it.
 */
import type { DustNode } from '../inventory/node.js';
import type { NodeRunResult } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { LineDemux } from './demux.js';
import { OutputTail } from './output-tail.js';
import { TypedEcho } from './typed-echo.js';
import { formatSeconds, toNodeFailure, type NodeFailure } from './node-failure.js';
import { RawOutputFilter } from './raw-output-filter.js';
import { TerminalModes } from './terminal-modes.js';
import { looksLikeShellPrompt, switchesShell } from './foreign-shell.js';
import { isSecretPrompt } from './secret-prompt.js';
import type { ChannelEnd, ShellChannel, Transport } from './transport.js';
import {
  INTERRUPT, LINE_MODE_PTY, bootMarker, bootstrapCommand, leaveRawModeLine, newToken, rawModeLine, restoreCwdLine,
  takeOverLine, wrapCommand, type ParsedMarker,
} from './shell-protocol.js';

/** Lines of output a run result keeps per node (the tail); see NodeRunResult.output. */
export const OUTPUT_KEPT = 10_000;

export interface SessionEvent {
  /** connected / lost: the session's channel; notice: something the user should know that no run reports. */
  type: 'connected' | 'lost' | 'notice';
  node: DustNode;
  reason?: string;
  /** lost: a command was running there, and its result already says so (the node's `✖` line). */
  reportedByRun?: boolean;
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
  /** Lines kept in the result (default OUTPUT_KEPT). */
  maxOutputLines?: number;
  /** The command's stdin is /dev/null (nothing can answer it); a prompt it waits at fails the run. */
  noInput?: boolean;
  /** Interrupt the command after this long and report it as `timeout`. */
  timeoutMs?: number;
  /** The client running it (several clients may share a node through `dust serve`). */
  owner?: string;
}


/** The terminal `attachRaw` drives: the local tty, or anything shaped like it (tests use in-memory streams). */
export interface RawTerminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean; isRaw?: boolean; setRawMode?(mode: boolean): unknown };
  output: NodeJS.WritableStream & { columns?: number; rows?: number; on(event: 'resize', listener: () => void): unknown; off(event: 'resize', listener: () => void): unknown };
}

export type AttachOutcome = 'detached' | 'exited' | 'lost';

/**
 * idle: at a prompt; running: a command of a run in progress; waiting: a command outlived its run (prompt,
 * interrupt); raw: attached; program: a program left running when a raw shell was left owns the terminal.
 */
export type SessionState = 'closed' | 'connecting' | 'idle' | 'running' | 'waiting' | 'raw' | 'program';

interface ActiveRun {
  token: string;
  output: OutputTail;
  opts: NodeRunOptions;
  /** Why ^C was sent (Ctrl-C, the run's timeout, a prompt no one can answer), or false. */
  interrupted: false | 'abort' | 'timeout' | 'unanswerable';
  /** The prompt the program waited at when nothing could answer it (script mode). */
  waitedAt?: string;
  timeoutTimer: NodeJS.Timeout | undefined;
  /** Blank lines still to drop: the shell answers each ^C with a newline of its own. */
  interruptNewlines: number;
  /** The node printed something after the ^C: the program reacted, so it is never sent a second one. */
  outputAfterInterrupt: boolean;
  waitTimer: NodeJS.Timeout | undefined;
  graceTimer: NodeJS.Timeout | undefined;
  repeatTimer: NodeJS.Timeout | undefined;
  notice: string | undefined;
  finish(status: NodeRunResult['status'], exitCode: number | null, extra?: { error?: NodeFailure; stillRunning?: boolean; notice?: string; shellLeft?: boolean }): void;
}

/** A shell in the stack: dust's own, then the nested ones commands started. */
interface ShellLevel {
  pid: number;
  kind: 'bash' | 'sh';
  /** The command that started it (undefined for the session's first shell). */
  startedBy?: string;
}

/** Silence after a ^C before it is sent once more (see onAbort). */
const INTERRUPT_REPEAT_AFTER_MS = 700;
/** How long a taken-over shell may take to answer dust's bootstrap. */
const TAKEOVER_TIMEOUT_MS = 8000;
/** After the third ^C, how long the shell's reaction (new prompts) may take to arrive. */
const DETACH_SETTLE_MS = 150;
const DETACH_SETTLE_MAX_MS = 700;

/**
 * One node's persistent shell: one long-lived PTY channel from the node's transport, opened on first use,
 * reopened after a loss or an exit with the working directory restored.
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
  /** The command line that token belongs to (what started a nested shell, for one). */
  private pendingCommand: string | undefined;
  /** The token the shell's `__dust_t` held before the pending command's line set a new one. */
  private tokenBefore: string | undefined;
  /** The token the top shell reported last (what its prompt prints now). */
  private shellToken: string | undefined;
  /** Control markers (ready, raw enter/leave) being waited for; lines meanwhile are dust's own noise. */
  private readonly control = new Map<string, (m: ParsedMarker) => void>();
  private run: ActiveRun | undefined;
  private rawSink: ((data: Buffer) => void) | undefined;
  private bootWait: { marker: string; seen: string; done: () => void } | undefined;
  /** The shells answering, outermost first (pids from the markers). */
  private shells: ShellLevel[] = [];
  /** Why the previous channel ended without the user closing it: lost (reconnect) or the shell exited. */
  private endedBy: { kind: 'lost' | 'exited'; reason: string } | undefined;
  private lostReported = false;
  private closing = false;
  private generation = 0;
  private onGone: ((why: 'exited' | 'lost') => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private onClosed: (() => void) | undefined;
  private afterControl: ((rest: string | undefined) => void) | undefined;
  private needsLineModeReset = false;
  private takingOver = false;
  /** The unfinished line the shell's program printed last (a prompt, when the node is waiting). */
  private lastPartial: string | undefined;
  /** dust's typing coming back as echo from servers that ignore the PTY request's ECHO mode. */
  private readonly echo = new TypedEcho();
  /** Modes the program in the raw terminal switched on (restored locally when the user leaves it running). */
  private readonly modes = new TerminalModes();
  /** Raw mode: the shell printed its prompt (beacon) and no command line was entered since. */
  private rawAtPrompt = false;
  private rawFilter: RawOutputFilter | undefined;
  private rawFlushTimer: NodeJS.Timeout | undefined;
  /** The client whose command is executing now, and what it runs (named to a client that finds the node busy). */
  private running: { owner: string; command: string; since: number } | undefined;
  /** The client whose command left the node waiting: only it may answer the prompt. */
  private pendingOwner: string | undefined;
  /** The client in the raw shell. */
  private rawOwner: string | undefined;

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

  /** How many shells deep the node's terminal is (1: dust's own; 2: after `sudo -i`, ...). */
  get shellDepth(): number {
    return this.shells.length;
  }

  /** When the node last finished something (idle since then), for `dust status`. */
  private lastActivity = Date.now();

  get idleSince(): number | undefined {
    return this.state === 'idle' ? this.lastActivity : undefined;
  }

  /** Who runs what on this node right now (undefined when nothing runs). */
  get holder(): { owner: string; command: string; since: number } | undefined {
    if (this.state === 'raw' && this.rawOwner) return { owner: this.rawOwner, command: '(raw shell)', since: this.running?.since ?? Date.now() };
    return this.running;
  }

  /** Runs one input line; runs on the same node are serialised. */
  exec(command: string, opts: NodeRunOptions): Promise<SessionRunResult> {
    const next = this.queue.then(() => this.execNow(command, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Opens the shell if needed. Resolves to a notice when this replaced a shell that was lost or exited. */
  ensureOpen(): Promise<string | undefined> {
    if (this.isOpen) return Promise.resolve(undefined);
    if (!this.opening) {
      this.opening = this.open().finally(() => { this.opening = undefined; });
    }
    return this.opening;
  }

  /** The prompt a program of an earlier run is waiting at; undefined unless the node is waiting for input. */
  get waitingPrompt(): string | undefined {
    return this.state === 'waiting' ? this.lastPartial : undefined;
  }

  // ---------------------------------------------------------------- raw shell

  /** Hands `term` to this node's shell until the user detaches (Ctrl-C ×3), the shell exits, or the connection drops. */
  async attachRaw(term: RawTerminal, owner?: string): Promise<AttachOutcome> {
    await this.ensureOpen();
    if (this.state === 'raw') {
      throw new DustError(ErrorCodes.SessionBusy, `${this.node.name}'s terminal is held by ${this.rawOwner ?? 'another client'} (raw shell)`, {
        hint: 'one raw shell per node at a time: wait until it is left (Ctrl-C three times there)',
      });
    }
    if (this.run) {
      throw new DustError(ErrorCodes.SessionBusy, `a command is still running on ${this.node.name}`, { hint: 'wait for it, or press Ctrl-C to interrupt it' });
    }
    const channel = this.channel!;
    const gen = this.generation;
    const input = term.input;
    const wasRaw = input.isRaw === true;
    const resuming = this.state === 'program';
    let onData: ((chunk: Buffer | string) => void) | undefined;
    let onResize: (() => void) | undefined;
    let outcome: AttachOutcome = 'lost';
    try {
      // Switch the shell to raw-mode settings unless a program is still reading the terminal.
      // A transport may deliver several chunks in one tick: from the marker on, collect synchronously.
      const early: Buffer[] = [];
      if (!resuming && this.pendingToken === undefined) {
        this.rawAtPrompt = false;
        await this.controlMarker((token) => channel.write(rawModeLine(this.node.name, token)), 5000, (rest) => {
          if (rest) early.push(Buffer.from(rest, 'utf8'));
          this.rawSink = (d) => { early.push(d); };
        });
      }
      if (gen !== this.generation || !this.channel) return 'lost';
      this.state = 'raw';
      this.rawOwner = owner;
      this.demux.flush();
      const filter = new RawOutputFilter({
        marker: (m) => this.onRawMarker(m),
        beacon: () => { this.rawAtPrompt = true; },
      });
      this.rawFilter = filter;
      const show = (data: Buffer): void => {
        const shown = filter.push(data);
        if (shown.length > 0) {
          this.modes.observe(shown);
          term.output.write(shown);
        }
        clearTimeout(this.rawFlushTimer);
        if (filter.holding) {
          this.rawFlushTimer = setTimeout(() => {
            const rest = filter.flush();
            if (rest.length > 0 && this.rawFilter === filter) term.output.write(rest);
          }, 60);
        }
      };
      if (resuming) term.output.write(this.modes.replaySequence());
      const resize = (): void => {
        const rows = term.output.rows, cols = term.output.columns;
        if (rows && cols) channel.resize({ rows, cols });
      };
      resize();
      onResize = resize;
      term.output.on('resize', onResize);
      if (input.isTTY && input.setRawMode) input.setRawMode(true);
      outcome = await new Promise<AttachOutcome>((resolve) => {
        this.rawSink = show;
        for (const b of early) show(b);
        this.onGone = (why) => resolve(why);
        let ctrlC = 0;
        onData = (chunk: Buffer | string) => {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          for (let i = 0; i < bytes.length; i++) {
            const b = bytes[i]!;
            if (b === 0x03) {
              if (++ctrlC === 3) {
                // The first two went to the remote program; the third is dust's.
                if (i > 0) channel.write(bytes.subarray(0, i));
                resolve('detached');
                return;
              }
            } else {
              ctrlC = 0;
              // A line entered at the prompt: a command now runs (until the next beacon).
              if (b === 0x0d || b === 0x0a) this.rawAtPrompt = false;
            }
          }
          channel.write(bytes);
        };
        input.on('data', onData);
        input.resume();
      });
      return outcome;
    } finally {
      clearTimeout(this.rawFlushTimer);
      this.onGone = undefined;
      if (onData) input.off('data', onData);
      if (onResize) term.output.off('resize', onResize);
      // Whatever the program switched on (alternate screen, hidden cursor, mouse) must not stay on here, nor the
      // raw prompt the cursor sits after.
      term.output.write(`${this.modes.restoreSequence()}\r\x1b[2K`);
      if (input.isTTY && input.setRawMode) input.setRawMode(wasRaw);
      input.pause();
      this.rawFilter = undefined;
      if (outcome === 'detached' && gen === this.generation) await this.leaveRaw(channel);
      else {
        this.rawSink = undefined;
        if (this.state === 'raw') this.state = this.pendingToken ? 'waiting' : 'idle';
      }
    }
  }

  /** A marker passed by in raw mode (stripped from the screen): settle it, and give the shell its raw prompt back. */
  private onRawMarker(m: ParsedMarker): void {
    const wasControl = this.control.has(m.token);
    this.onMarker(m);
    if (wasControl || this.pendingToken !== undefined || this.state !== 'raw' || !this.channel) return;
    // A line-mode prompt in raw mode: a command from line mode finished, or a nested shell exited. That shell
    // prints markers instead of a prompt: give it the raw settings (its control marker is stripped too).
    const token = newToken();
    this.control.set(token, () => undefined);
    this.channel.write(rawModeLine(this.node.name, token));
  }

  /**
   * After ^C×3: the local terminal is restored already. Wait for the shell's reaction to the two ^C's the
   * program got, then either go back to line mode (the shell is at its prompt) or leave the program running and
   * wait for it to end (a full-screen program: typing line-mode settings into it would edit its buffer).
   */
  private async leaveRaw(channel: ShellChannel): Promise<void> {
    const gen = this.generation;
    const filter = new RawOutputFilter({
      marker: (m) => this.onDetachedMarker(m),
      beacon: () => this.onDetachedBeacon(),
    });
    let last = Date.now();
    this.rawSink = (data) => {
      last = Date.now();
      const shown = filter.push(data);
      if (shown.length > 0) this.modes.observe(shown);
    };
    this.state = 'program';
    this.detachSettling = true;
    channel.resize(LINE_MODE_PTY);
    const started = Date.now();
    while (Date.now() - last < DETACH_SETTLE_MS && Date.now() - started < DETACH_SETTLE_MAX_MS) {
      await new Promise((r) => setTimeout(r, 40));
    }
    this.detachSettling = false;
    if (gen !== this.generation || this.state !== 'program') return;
    if (this.rawAtPrompt) {
      await this.backToLineMode(channel);
      return;
    }
    if (this.pendingToken !== undefined) {
      // A line-mode command that was still running when the user attached keeps the terminal: as before.
      this.rawSink = undefined;
      this.state = 'waiting';
      this.needsLineModeReset = true;
    }
    // Otherwise: state stays 'program'; the beacon (or a marker) ends it.
  }

  private detachSettling = false;

  private onDetachedBeacon(): void {
    this.rawAtPrompt = true;
    if (this.detachSettling || this.state !== 'program' || !this.channel) return;
    const channel = this.channel;
    void this.backToLineMode(channel).then(() => {
      this.deps.onEvent({ type: 'notice', node: this.node, reason: 'the program left running in its raw shell ended; line mode is back' });
    });
  }

  private onDetachedMarker(m: ParsedMarker): void {
    this.onMarker(m);
    if (this.state === 'program' && this.pendingToken === undefined && !this.control.has(m.token)) {
      this.rawSink = undefined;
      this.modes.reset();
      this.state = 'idle';
      this.needsLineModeReset = true;
    }
  }

  private async backToLineMode(channel: ShellChannel): Promise<void> {
    this.rawSink = undefined;
    this.modes.reset();
    this.state = this.pendingToken ? 'waiting' : 'idle';
    if (this.pendingToken !== undefined) {
      this.needsLineModeReset = true;
      return;
    }
    await this.restoreLineMode(channel);
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
    this.endedBy = undefined;
  }

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
      return {
        ...base, status: 'failed', exitCode: null,
        error: { code: ErrorCodes.SessionBusy, message: `the terminal is held by ${this.rawOwner ?? 'a raw shell'} (@${this.node.name})`, hint: 'a line sent now would be typed into that shell; wait until it is left (Ctrl-C three times there)' },
      };
    }
    if (this.state === 'program') {
      return {
        ...base, status: 'failed', exitCode: null,
        error: {
          code: ErrorCodes.SessionBusy,
          message: 'a program left running in its raw shell owns the terminal (a line typed now would go into it)',
          hint: `go back to it with @${this.node.name} and quit it; line mode comes back by itself when it ends`,
        },
      };
    }
    if (this.pendingToken !== undefined && this.pendingOwner !== undefined && opts.owner !== undefined && this.pendingOwner !== opts.owner) {
      const prompt = this.lastPartial?.trim();
      return {
        ...base, status: 'failed', exitCode: null,
        error: {
          code: ErrorCodes.SessionBusy,
          message: `${prompt ? `waiting at '${prompt}'` : 'still running'} for ${this.pendingOwner}'s command (${(this.pendingCommand ?? '').slice(0, 40)})`,
          hint: `answer or interrupt it from ${this.pendingOwner}; a line from here would be typed into it`,
        },
      };
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
      this.tokenBefore = this.shellToken;
      this.pendingToken = token;
      this.pendingCommand = command;
      this.pendingOwner = opts.owner;
      const typed = wrapCommand(command, token, opts.noInput ? { noInput: true } : {});
      this.echo.typed(typed, true);
      channel.write(typed);
    }
    this.state = 'running';
    this.running = { owner: opts.owner ?? 'this client', command, since: Date.now() };
    this.demux.quietMs = opts.quietMs;
    this.demux.idlePartialMs = opts.idlePartialMs;
    return new Promise<SessionRunResult>((resolve) => {
      const tail = new OutputTail(opts.maxOutputLines ?? OUTPUT_KEPT);
      const run: ActiveRun = {
        token: token!,
        output: tail,
        opts,
        interrupted: false,
        interruptNewlines: 0,
        outputAfterInterrupt: false,
        waitTimer: undefined,
        graceTimer: undefined,
        repeatTimer: undefined,
        timeoutTimer: undefined,
        notice,
        finish: (status, exitCode, extra = {}) => {
          if (this.run !== run) return;
          this.run = undefined;
          this.running = undefined;
          this.lastActivity = Date.now();
          clearTimeout(run.waitTimer);
          clearTimeout(run.graceTimer);
          clearTimeout(run.repeatTimer);
          clearTimeout(run.timeoutTimer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (this.state === 'running') this.state = this.pendingToken ? 'waiting' : 'idle';
          const output = tail.lines();
          // An interactive bash says `exit` as it leaves: that is the shell's, not the command's.
          if (extra.shellLeft && output.at(-1) === 'exit') output.pop();
          const result: SessionRunResult = { node: this.node, status, exitCode, output };
          if (tail.dropped > 0) result.truncated = { dropped: tail.dropped, totalLines: tail.totalLines, digest: tail.digest() };
          if (extra.error !== undefined) result.error = extra.error;
          if (extra.stillRunning) result.stillRunning = true;
          const notices = [run.notice, extra.notice].filter((n): n is string => n !== undefined);
          if (notices.length > 0) result.notice = notices.join('; ');
          resolve(result);
        },
      };
      const onAbort = (): void => this.interrupt(run, 'abort');
      this.run = run;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        run.timeoutTimer = setTimeout(() => this.interrupt(run, 'timeout'), opts.timeoutMs);
      }
    });
  }

  /**
   * ^C through the PTY: the line discipline sends SIGINT to the remote foreground job, as a local shell would, and
   * the shell's next prompt reports the command (rc 130). Nothing else is typed. `why` decides how the run is
   * reported: interrupted (Ctrl-C), timeout, or failed (script mode: a prompt nobody can answer).
   */
  private interrupt(run: ActiveRun, why: 'abort' | 'timeout' | 'unanswerable'): void {
    if (this.run !== run || run.interrupted) return;
    run.interrupted = why;
    clearTimeout(run.waitTimer);
    clearTimeout(run.timeoutTimer);
    const sendInterrupt = (): void => {
      run.interruptNewlines++;
      this.channel?.write(INTERRUPT);
    };
    const startGrace = (): void => {
      clearTimeout(run.graceTimer);
      // No marker within the grace: the program ignored ^C and still owns the terminal.
      run.graceTimer = setTimeout(() => run.finish(...this.interruptedOutcome(run, null), {
        stillRunning: true,
        error: this.interruptError(run, true) ?? { code: ErrorCodes.StillRunning, message: 'still running: ^C did not stop it' },
      }), run.opts.interruptGraceMs);
    };
    sendInterrupt();
    startGrace();
    // A SIGINT can be lost: bash swallows one that lands in a child between fork and exec, and the command
    // then runs on. When the node stays silent, send ^C once more, as a person at a terminal would. Only once,
    // and only after silence: a second ^C makes programs such as terraform or docker compose abandon a
    // graceful shutdown.
    run.repeatTimer = setTimeout(() => {
      if (this.run !== run || run.outputAfterInterrupt) return;
      sendInterrupt();
      startGrace();
    }, INTERRUPT_REPEAT_AFTER_MS);
  }

  /** Status and exit code of an interrupted run, by why it was interrupted. */
  private interruptedOutcome(run: ActiveRun, exitCode: number | null): [NodeRunResult['status'], number | null] {
    if (run.interrupted === 'timeout') return ['timeout', exitCode];
    if (run.interrupted === 'unanswerable') return ['failed', exitCode];
    return ['interrupted', exitCode];
  }

  /** `stillRunning`: ^C did not stop the program, which keeps the node's terminal (the next line there goes to it). */
  private interruptError(run: ActiveRun, stillRunning = false): NodeFailure | undefined {
    const how = stillRunning ? '; ^C did not stop it, it still runs' : ' (interrupted)';
    if (run.interrupted === 'timeout') {
      return { code: ErrorCodes.Timeout, message: `timed out after ${formatSeconds(run.opts.timeoutMs ?? 0)}${how}`, hint: 'raise it with --timeout, or 0 for none' };
    }
    if (run.interrupted === 'unanswerable') {
      return {
        code: ErrorCodes.WaitingForInput,
        message: `waiting for input at '${(run.waitedAt ?? '').trim()}' and nothing can answer it here${how}`,
        hint: 'give the program its input in the command (sudo -n, yes |, --assume-yes, a here-doc), or run it from an interactive dust',
      };
    }
    return undefined;
  }

  private onLine(raw: string): void {
    if (this.control.size > 0 && !this.run) return; // dust's own settings lines
    if (this.takingOver) return; // the replaced shell's last words and dust's bootstrap starting
    // busybox ash asks the terminal where the cursor is; nobody answers, and the question is not output.
    const text = raw.includes('\x1b[6n') ? raw.replaceAll('\x1b[6n', '') : raw;
    if (this.echo.isEcho(text)) return;
    this.lastPartial = undefined;
    const run = this.run;
    if (run) {
      if (run.interrupted) {
        // The shell answers ^C with a newline of its own, and a server that echoes shows the ^C itself (twice on
        // one line when the repeated ^C came before the shell's newline, as on a loaded machine).
        if (text === '' && run.interruptNewlines > 0) { run.interruptNewlines--; return; }
        if (/^(\^C)+$/.test(text)) return;
        run.outputAfterInterrupt = true;
      }
      if (run.waitTimer !== undefined) {
        clearTimeout(run.waitTimer);
        run.waitTimer = undefined;
      }
      run.output.push(text);
      run.opts.onLine?.(this.node, text);
    } else {
      this.deps.onBackgroundLine(this.node, text);
    }
  }

  private onPartial(text: string): void {
    const run = this.run;
    if (run && !run.interrupted && !this.takingOver && this.pendingToken !== undefined
      && switchesShell(this.pendingCommand) && looksLikeShellPrompt(text) && !isSecretPrompt(text)) {
      // A shell that did not inherit dust's prompt (`sudo -i`, `su -`) shows its own: take it over.
      this.takeOver(run, text);
      return;
    }
    this.onLine(text);
    this.lastPartial = text;
    if (!run || run.interrupted) return;
    // The demux delivers a partial only after quiet (short for a prompt, longer for anything else), so an
    // unfinished line that reached us means the program is waiting for input. With nobody to answer it (a
    // script), waiting would be forever: interrupt it and fail the line instead.
    if (run.opts.noInput) {
      run.waitedAt = text;
      run.waitTimer = setTimeout(() => this.interrupt(run, 'unanswerable'), 0);
      return;
    }
    run.waitTimer = setTimeout(() => run.finish('waiting', null), 0);
  }

  /**
   * Types dust's bootstrap into a foreign shell's prompt: it execs dust's own shell in place of it (same pid, user
   * and environment), which announces itself like a fresh session and becomes the top of the stack.
   */
  private takeOver(run: ActiveRun, prompt: string): void {
    const channel = this.channel;
    if (!channel) return;
    this.takingOver = true;
    const startedBy = this.pendingCommand;
    const boot = newToken();
    const ready = newToken();
    const timer = setTimeout(() => {
      this.takingOver = false;
      this.control.delete(ready);
      if (this.bootWait?.marker === bootMarker(boot)) this.bootWait = undefined;
      this.lastPartial = prompt;
      run.output.push(prompt);
      run.opts.onLine?.(this.node, prompt);
      run.finish('waiting', null, { notice: `a new shell took over (${prompt.trim()}) and did not answer dust's set-up; answer it with @${this.node.name} <text>, or leave it with @${this.node.name} exit` });
    }, TAKEOVER_TIMEOUT_MS);
    this.bootWait = { marker: bootMarker(boot), seen: '', done: () => undefined };
    this.control.set(ready, (m) => {
      clearTimeout(timer);
      this.takingOver = false;
      this.shells.push({ pid: m.pid, kind: m.kind, ...(startedBy ? { startedBy } : {}) });
      this.pendingToken = undefined;
      this.pendingCommand = undefined;
      this.lastPartial = undefined;
      // The shell it replaced may have left the terminal echoing (readline): settle line mode before the next command.
      this.needsLineModeReset = true;
      this.echo.reset();
      if (this.state === 'running' || this.state === 'waiting') this.state = 'idle';
      run.finish('ok', 0, { notice: this.nestedNotice(startedBy) });
    });
    channel.write(takeOverLine(boot, ready));
  }

  private nestedNotice(startedBy: string | undefined): string {
    const depth = this.shells.length;
    return `now in a nested shell${startedBy ? ` (${startedBy.trim().slice(0, 40)})` : ''}, ${depth - 1} level${depth === 2 ? '' : 's'} down: `
      + `commands run there; @${this.node.name} exit returns to the previous shell`;
  }

  private onMarker(m: ParsedMarker): boolean {
    const control = this.control.get(m.token);
    if (control) {
      this.control.delete(m.token);
      this.cwd = m.cwd || this.cwd;
      if (this.shells.length === 0) this.shells.push({ pid: m.pid, kind: m.kind });
      this.shellToken = m.token;
      control(m);
      return true;
    }
    const top = this.shells.at(-1);
    if (top && m.pid !== top.pid) {
      const at = this.shells.findIndex((s) => s.pid === m.pid);
      if (at >= 0) {
        // An outer shell is at its prompt again: the nested ones above it exited. Its marker reports the command
        // that started them, with the nested shell's exit status.
        this.shells.splice(at + 1);
        this.returnToOuterShell(m);
        return false;
      }
      if (m.token === this.pendingToken) {
        // A shell dust does not know answered for the pending command: a nested shell that inherited the prompt.
        this.shells.push({ pid: m.pid, kind: m.kind, ...(this.pendingCommand ? { startedBy: this.pendingCommand } : {}) });
        this.needsLineModeReset = true;
        this.completePending(m, this.nestedNotice(this.pendingCommand));
        return false;
      }
      return false; // a shell nobody asked about: not this command's marker
    }
    if (top) top.kind = m.kind; // `exec sh` keeps the pid and changes the shell
    this.shellToken = m.token;
    if (m.token !== this.pendingToken) {
      // ^C that reached the shell before it read the command line: the terminal flushed the line, so the prompt
      // reports the token from before it. The command never ran; without this the node waited forever.
      if (this.run?.interrupted && this.pendingToken !== undefined && m.token === this.tokenBefore) this.completePending(m, undefined);
      return false; // stale (a control marker that timed out): not this command's
    }
    this.completePending(m, undefined);
    return false;
  }

  private completePending(m: ParsedMarker, notice: string | undefined): void {
    this.pendingToken = undefined;
    this.pendingCommand = undefined;
    this.lastPartial = undefined;
    if (this.echo.settle()) this.needsLineModeReset = true;
    if (m.cwd) this.cwd = m.cwd;
    if (this.state === 'running' || this.state === 'waiting') this.state = 'idle';
    const run = this.run;
    if (!run) return;
    const extra = notice === undefined ? {} : { notice };
    if (run.interrupted) {
      const error = this.interruptError(run);
      run.finish(...this.interruptedOutcome(run, m.exitCode), error ? { ...extra, error } : extra);
    } else {
      run.finish(m.exitCode === 0 ? 'ok' : 'failed', m.exitCode, extra);
    }
  }

  private returnToOuterShell(m: ParsedMarker): void {
    this.pendingToken = undefined;
    this.pendingCommand = undefined;
    this.lastPartial = undefined;
    this.echo.reset();
    if (m.cwd) this.cwd = m.cwd;
    if (this.state === 'running' || this.state === 'waiting') this.state = 'idle';
    const depth = this.shells.length;
    const where = depth > 1 ? `a nested shell ${depth - 1} level${depth === 2 ? '' : 's'} down` : 'dust\'s own shell';
    const notice = `left the nested shell (it exited with rc ${m.exitCode}); back in ${where}, cwd ${m.cwd}`;
    const run = this.run;
    if (run) {
      run.finish(m.exitCode === 0 ? 'ok' : 'failed', m.exitCode, { notice, shellLeft: true });
    } else if (this.state !== 'raw') {
      this.deps.onEvent({ type: 'notice', node: this.node, reason: notice });
    }
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

  private async restoreLineMode(channel: ShellChannel): Promise<void> {
    this.needsLineModeReset = false;
    this.echo.turnedOff();
    await this.controlMarker((token) => channel.write(leaveRawModeLine(token)), 2000);
  }

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
    const ended = this.endedBy;
    // Taken now: the new shell's ready marker reports its own (home) directory.
    const restore = ended !== undefined ? this.cwd : undefined;
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
      this.pendingCommand = undefined;
      this.shells = [];
      this.control.clear();
      this.echo.reset();
      this.modes.reset();
      this.needsLineModeReset = false;
      // The shell's first prompt is its ready marker: listen for it before any data flows.
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
      this.endedBy = undefined;
      this.lostReported = false;
      this.deps.onEvent({ type: 'connected', node: this.node });
      if (ended === undefined) return undefined;
      const cwd = restore ? `restored cwd ${restore}` : 'cwd not known';
      const why = ended.kind === 'lost' ? `reconnected after ${ended.reason}` : `new shell (${ended.reason})`;
      return `${why}; ${cwd}; lost: shell variables, exports and functions, background jobs`;
    } catch (err) {
      this.teardown(ended);
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
    if (this.closing) {
      this.teardown(undefined);
      return;
    }
    if (end.kind === 'lost') {
      const reason = end.reason ?? 'connection closed';
      const running = this.run !== undefined;
      this.teardown({ kind: 'lost', reason });
      if (!this.lostReported) {
        this.lostReported = true;
        this.deps.onEvent({ type: 'lost', node: this.node, reason, ...(running ? { reportedByRun: true } : {}) });
      }
      return;
    }
    const rc = end.exitCode;
    this.teardown({ kind: 'exited', reason: rc === null || rc === undefined ? 'the previous one exited' : `the previous one exited with rc ${rc}` }, rc ?? null);
  }

  /**
   * Forgets the dead channel; an active run or raw attach learns about it here. A shell that exited ends the run
   * with its exit status (`exit 3` is a failure with rc 3, not an unreachable node).
   */
  private teardown(ended: { kind: 'lost' | 'exited'; reason: string } | undefined, exitCode: number | null = null): void {
    const wasState = this.state;
    this.generation++;
    this.state = 'closed';
    this.channel = undefined;
    this.bootWait = undefined;
    this.control.clear();
    this.pendingToken = undefined;
    this.pendingCommand = undefined;
    this.shells = [];
    this.rawSink = undefined;
    this.takingOver = false;
    this.demux.flush();
    this.demux.reset();
    if (ended !== undefined) this.endedBy = ended;
    const run = this.run;
    if (run) {
      if (ended?.kind === 'lost') {
        run.finish('unreachable', null, { error: { code: ErrorCodes.SshLost, message: ended.reason, hint: 'the next command reconnects' } });
      } else {
        const status = exitCode === 0 ? 'ok' : 'failed';
        run.finish(status, exitCode, {
          shellLeft: true,
          notice: `the shell exited${exitCode === null ? '' : ` (rc ${exitCode})`}; the next command starts a new one`,
          ...(exitCode === 0 ? {} : { error: { code: ErrorCodes.ShellExited, message: `the shell exited${exitCode === null ? '' : ` with rc ${exitCode}`}`, hint: 'the next command starts a new shell' } }),
        });
      }
    }
    const gone = this.onGone;
    this.onGone = undefined;
    if (gone) gone(ended?.kind === 'lost' ? 'lost' : 'exited');
    else if (wasState === 'raw') this.state = 'closed';
  }
}
