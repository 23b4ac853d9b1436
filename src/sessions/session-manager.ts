import type { DustNode } from '../inventory/node.js';
import type { RunOptions } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { isSecretPrompt } from './secret-prompt.js';
import { describeFailure, toNodeFailure } from './node-failure.js';
import type { RemoteFiles, Transport } from './transport.js';
import { fanOut } from './fan-out.js';
import { execOnNode } from './exec-run.js';
import {
  NodeSession, OUTPUT_KEPT,
  type AttachOutcome, type RawTerminal, type SessionEvent, type SessionRunResult, type SessionState,
} from './node-session.js';

export interface SessionManagerOptions {
  /**
   * The ways of reaching nodes. Asked newest first: the first that claims a node serves it, so a plugin's
   * transport registered after the built-in SSH one (which claims every node with an address) can take over.
   */
  transports: readonly Transport[] | (() => readonly Transport[]);
  /** How long a remote shell may take to start and answer once its channel is open. Default 15000. */
  shellStartTimeoutMs?: number;
  /** Output that arrives while no run is waiting on that node (background jobs, a program that was `waiting`). */
  onBackgroundLine?(node: DustNode, line: string): void;
  onEvent?(e: SessionEvent): void;
  /** Default quiet period for partial lines. Default 300. */
  quietMs?: number;
  /** Silence after a partial line that does not end like a prompt before the node counts as waiting. Default 2000. */
  idlePartialMs?: number;
  /** After Ctrl-C, how long to wait for the interrupted commands to report. Default 1500. */
  interruptGraceMs?: number;
}

/**
 * The session layer: one persistent shell per node, opened on first use over the node's transport (all nodes in
 * parallel; the transport bounds its own handshakes), shared by line mode (`run`) and the raw shell (`attachRaw`).
 *
 * Login environment: the shell dust starts sources /etc/profile and ~/.profile (so PATH and friends are what
 * a login gives), but not the login shell's interactive rc files (.bashrc, .zshrc, config.fish): those print
 * prompts and noise and may be written for a shell other than the one dust runs.
 */
export class SessionManager {
  private readonly sessions = new Map<string, NodeSession>();
  private readonly opts: SessionManagerOptions;

  constructor(opts: SessionManagerOptions) {
    this.opts = opts;
  }

  /** The transport serving `node` (newest registered first). Throws a DustError when none claims it. */
  transportFor(node: DustNode): Transport {
    const list = typeof this.opts.transports === 'function' ? this.opts.transports() : this.opts.transports;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.claims(node)) return list[i]!;
    throw new DustError(ErrorCodes.NoTransport, `${node.name}: no transport reaches this node (source ${node.source})`, {
      hint: 'give it an SSH address (host), or load the plugin that provides its kind of connection',
    });
  }

  /**
   * Runs one line on every node in parallel (under `opts.fanout` and `opts.maxErrors`; results in `nodes` order).
   * In the persistent shell (default) each resolves when the node has finished (exit status known), is unreachable
   * (reason in `error`), is waiting for input (a prompt followed by quiet), or was interrupted (`signal` aborted: ^C
   * is sent to the remote foreground job; sessions stay open). A node that is `waiting` from an earlier run gets
   * this line as typed input instead of a new command. With `pty: false` see `exec`.
   */
  async run(nodes: readonly DustNode[], command: string, opts: RunOptions & { owner?: string } = {}): Promise<SessionRunResult[]> {
    return fanOut(nodes, opts, async (node) => {
      const started = Date.now();
      const r = opts.pty === false ? await this.execOne(node, command, opts) : await this.shellOne(node, command, opts);
      return { ...r, durationMs: Date.now() - started };
    });
  }

  /**
   * The command without a terminal on every node: one exec channel per command over the node's connection (no new
   * login), stdout and stderr apart, `opts.stdin` streamed in, no state kept. A node whose transport has no exec
   * runs it in its persistent shell instead (said in `notice`), unless stdin was given (then it fails: DUST_NO_EXEC).
   */
  async exec(nodes: readonly DustNode[], command: string, opts: RunOptions & { owner?: string } = {}): Promise<SessionRunResult[]> {
    return this.run(nodes, command, { ...opts, pty: false });
  }

  private async shellOne(node: DustNode, command: string, opts: RunOptions & { owner?: string }): Promise<SessionRunResult> {
    const quietMs = opts.quietMs ?? this.opts.quietMs ?? 300;
    let session: NodeSession;
    try {
      session = this.session(node);
    } catch (err) {
      return { node, status: 'unreachable' as const, exitCode: null, output: [], error: toNodeFailure(err) };
    }
    return session.exec(command, {
      quietMs,
      idlePartialMs: Math.max(quietMs, this.opts.idlePartialMs ?? 2000),
      interruptGraceMs: this.opts.interruptGraceMs ?? 1500,
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.maxOutputLines !== undefined ? { maxOutputLines: opts.maxOutputLines } : {}),
      ...(opts.noInput ? { noInput: true } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.owner !== undefined ? { owner: opts.owner } : {}),
    });
  }

  private async execOne(node: DustNode, command: string, opts: RunOptions & { owner?: string }): Promise<SessionRunResult> {
    let transport: Transport;
    try {
      transport = this.transportFor(node);
    } catch (err) {
      return { node, status: 'unreachable', exitCode: null, output: [], stderr: [], error: toNodeFailure(err) };
    }
    if (!transport.exec) {
      if (opts.stdin !== undefined) {
        return {
          node, status: 'failed', exitCode: null, output: [], stderr: [],
          error: { code: ErrorCodes.NoExec, message: `the ${transport.name} transport cannot run a command without a terminal, so local stdin cannot reach it`, hint: 'leave this node out, or copy the data with put and read it from the file' },
        };
      }
      const r = await this.shellOne(node, command, opts);
      const notice = `ran in the persistent shell: the ${transport.name} transport has no exec (stdout and stderr merged)`;
      return { ...r, notice: r.notice ? `${r.notice}; ${notice}` : notice };
    }
    return execOnNode(transport, node, command, {
      maxOutputLines: opts.maxOutputLines ?? OUTPUT_KEPT,
      interruptGraceMs: this.opts.interruptGraceMs ?? 1500,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
      ...(opts.onStderr ? { onStderr: opts.onStderr } : {}),
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    });
  }

  /** Opens sessions ahead of use (all in parallel); returns a per-node error line for those that failed. */
  async connect(nodes: readonly DustNode[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    await Promise.all(nodes.map(async (node) => {
      try {
        await this.session(node).ensureOpen();
      } catch (err) {
        failures.set(node.name, describeFailure(toNodeFailure(err)));
      }
    }));
    return failures;
  }

  /**
   * Raw shell on `node`'s session using the given terminal streams. The caller (the REPL) must stop reading
   * its input for the duration and redraw its prompt afterwards; raw mode is set and restored here on every path.
   */
  async attachRaw(node: DustNode, term: RawTerminal, owner?: string): Promise<AttachOutcome> {
    const session = this.session(node);
    try {
      return await session.attachRaw(term, owner);
    } catch (err) {
      if (session.isOpen) throw err;
      const f = toNodeFailure(err);
      throw new DustError(ErrorCodes.SshConnect, `${node.name}: ${f.message}`, {
        hint: f.hint ?? 'check that the node is up and reachable; `@node true` shows the reason per node',
        cause: err,
      });
    }
  }

  /** File access over the node's connection (connecting first if needed). */
  async files(node: DustNode): Promise<RemoteFiles> {
    const transport = this.transportFor(node);
    try {
      return await transport.files(node);
    } catch (err) {
      const f = toNodeFailure(err, ErrorCodes.SshChannel);
      throw new DustError(f.code as typeof ErrorCodes.SshChannel, `${node.name}: ${f.message}`, {
        hint: f.hint ?? 'the server may not offer file transfer (for SSH: Subsystem sftp in sshd_config)',
        cause: err,
      });
    }
  }

  /** Names of nodes with an open session. */
  connected(): readonly string[] {
    return [...this.sessions.values()].filter((s) => s.isOpen).map((s) => s.node.name);
  }

  /** Per-node session state (idle, running, waiting, ...), for prompts and status displays. */
  stateOf(node: DustNode | string): SessionState {
    return this.sessions.get(typeof node === 'string' ? node : node.name)?.state ?? 'closed';
  }

  /** Who runs what on the node now (another client's command, a raw shell), or undefined. */
  holder(node: DustNode): { owner: string; command: string; since: number } | undefined {
    return this.sessions.get(node.name)?.holder;
  }

  /** Every session, for `dust status`. */
  list(): { node: DustNode; state: SessionState; holder: { owner: string; command: string; since: number } | undefined; idleSince: number | undefined }[] {
    return [...this.sessions.values()].map((s) => ({ node: s.node, state: s.state, holder: s.holder, idleSince: s.idleSince }));
  }

  /** Same as stateOf (the SessionsApi name). */
  state(node: DustNode): SessionState {
    return this.stateOf(node);
  }

  /** The prompt a node's program is waiting at (`[sudo] password for ann: `); undefined unless it waits for input. */
  waitingPrompt(node: DustNode): string | undefined {
    return this.sessions.get(node.name)?.waitingPrompt;
  }

  /** True while some node waits at a prompt that asks for a secret (history then keeps no `@… answer` line). */
  anyWaitingForSecret(): boolean {
    for (const s of this.sessions.values()) {
      const prompt = s.waitingPrompt;
      if (prompt !== undefined && isSecretPrompt(prompt)) return true;
    }
    return false;
  }

  /** Last known working directory of a node's shell. */
  cwdOf(node: DustNode): string | undefined {
    return this.sessions.get(node.name)?.cwd;
  }

  /** Closes the node's shell and drops its connection. */
  async close(node: DustNode): Promise<void> {
    const s = this.sessions.get(node.name);
    this.sessions.delete(node.name);
    await s?.close();
    try {
      await this.transportFor(node).disconnect(node);
    } catch {
      // no transport: nothing held
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
    const list = typeof this.opts.transports === 'function' ? this.opts.transports() : this.opts.transports;
    await Promise.all(list.map((t) => t.close()));
  }

  private session(node: DustNode): NodeSession {
    let s = this.sessions.get(node.name);
    if (!s) {
      s = new NodeSession(node, {
        transport: this.transportFor(node),
        shellStartTimeoutMs: this.opts.shellStartTimeoutMs ?? 15000,
        onBackgroundLine: (n, line) => this.opts.onBackgroundLine?.(n, line),
        onEvent: (e) => this.opts.onEvent?.(e),
      });
      this.sessions.set(node.name, s);
    } else {
      // Results carry the node as the inventory sees it now (its state, tags, address may have changed).
      s.node = node;
    }
    return s;
  }
}
