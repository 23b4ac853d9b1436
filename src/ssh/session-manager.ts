import type { DustNode } from '../inventory/node.js';
import type { RunOptions, SessionsApi } from '../plugins/api.js';
import type { SFTPWrapper } from 'ssh2';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { HandshakePool } from './pool.js';
import { isSecretPrompt } from './secret-prompt.js';
import {
  NodeSession, describeSshError,
  type AttachOutcome, type HostKeyVerdict, type LoginInfo, type RawTerminal, type SessionEvent, type SessionRunResult,
  type SessionState,
} from './session.js';

export interface SessionManagerOptions {
  /** Login parameters for a node (login rules, ~/.ssh/config, keys, jump tunnel). May prompt once for a passphrase. */
  resolveLogin(node: DustNode): Promise<LoginInfo>;
  /** Host-key check (known_hosts policy). A refusal fails that node with the returned error's message. */
  verifyHostKey(host: string, port: number, key: Buffer): HostKeyVerdict;
  /** SSH handshake timeout (ssh2 readyTimeout), also the limit for the remote shell to start. Default 15000; use ≥ 30000 when N ≥ 100. */
  connectTimeoutMs?: number;
  /** Handshakes in flight at once (MaxStartups-friendly). Default 32. */
  maxConcurrentHandshakes?: number;
  /** SSH keepalive interval; 3 unanswered keepalives mark the connection lost. Default 15000; 0 disables. */
  keepaliveIntervalMs?: number;
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
 * The session layer: one persistent shell per node over one ssh2 connection, opened on first use (in
 * parallel, through a bounded handshake pool), shared by line mode (`run`) and the raw shell (`attach`).
 *
 * Login environment: the shell dust starts sources /etc/profile and ~/.profile (so PATH and friends are what
 * a login gives), but not the login shell's interactive rc files (.bashrc, .zshrc, config.fish): those print
 * prompts and noise and may be written for a shell other than the one dust runs.
 */
export class SessionManager implements SessionsApi {
  private readonly sessions = new Map<string, NodeSession>();
  private readonly pool: HandshakePool;
  private readonly opts: SessionManagerOptions;

  constructor(opts: SessionManagerOptions) {
    this.opts = opts;
    this.pool = new HandshakePool(opts.maxConcurrentHandshakes ?? 32);
  }

  /**
   * Runs one line on every node in parallel. Resolves when each node has finished (exit status known), is
   * unreachable (reason in `error`), is waiting for input (a prompt followed by quiet), or was interrupted
   * (`signal` aborted: ^C is sent to the remote foreground job; sessions stay open). A node that is
   * `waiting` from an earlier run gets this line as typed input instead of a new command.
   */
  async run(nodes: readonly DustNode[], command: string, opts: RunOptions = {}): Promise<SessionRunResult[]> {
    const quietMs = opts.quietMs ?? this.opts.quietMs ?? 300;
    return Promise.all(nodes.map((node) => this.session(node).exec(command, {
      quietMs,
      idlePartialMs: Math.max(quietMs, this.opts.idlePartialMs ?? 2000),
      interruptGraceMs: this.opts.interruptGraceMs ?? 1500,
      ...(opts.onLine ? { onLine: opts.onLine } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })));
  }

  /** Opens sessions ahead of use (all in parallel); returns a per-node error string for those that failed. */
  async connect(nodes: readonly DustNode[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    await Promise.all(nodes.map(async (node) => {
      try {
        await this.session(node).ensureOpen();
      } catch (err) {
        failures.set(node.name, describeSshError(err, undefined));
      }
    }));
    return failures;
  }

  /**
   * Raw shell on `node`'s session using this process's terminal. The caller (the REPL) must stop reading
   * stdin itself for the duration (pause its readline and detach its keypress handling) and redraw its prompt
   * afterwards; raw mode is set and restored here on every path.
   */
  attach(node: DustNode): Promise<AttachOutcome> {
    return this.attachRaw(node, { input: process.stdin, output: process.stdout });
  }

  /** Raw shell on `node`'s session using the given terminal streams. */
  async attachRaw(node: DustNode, term: RawTerminal): Promise<AttachOutcome> {
    const session = this.session(node);
    try {
      return await session.attachRaw(term);
    } catch (err) {
      if (session.isOpen) throw err;
      throw new DustError(ErrorCodes.SshConnect, `${node.name}: ${describeSshError(err, undefined)}`, {
        hint: 'check that the node is up and reachable; `@node true` shows the reason per node',
        cause: err,
      });
    }
  }

  /** SFTP over the node's persistent connection (connecting first if needed). */
  async sftp(node: DustNode): Promise<SFTPWrapper> {
    const session = this.session(node);
    try {
      return await session.sftp();
    } catch (err) {
      throw new DustError(ErrorCodes.SshChannel, `${node.name}: sftp: ${describeSshError(err, undefined)}`, {
        hint: 'the server may not offer the sftp subsystem (Subsystem sftp in sshd_config)',
        cause: err,
      });
    }
  }

  /** Names of nodes with an open session. */
  connected(): readonly string[] {
    return [...this.sessions.values()].filter((s) => s.isOpen).map((s) => s.node.name);
  }

  /** Per-node session state (idle, running, waiting, ...), for prompts and status displays. */
  stateOf(node: DustNode): SessionState {
    return this.sessions.get(node.name)?.state ?? 'closed';
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

  async close(node: DustNode): Promise<void> {
    const s = this.sessions.get(node.name);
    if (!s) return;
    this.sessions.delete(node.name);
    await s.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  private session(node: DustNode): NodeSession {
    let s = this.sessions.get(node.name);
    if (!s) {
      s = new NodeSession(node, {
        resolveLogin: (n) => this.opts.resolveLogin(n),
        verifyHostKey: (h, p, k) => this.opts.verifyHostKey(h, p, k),
        connectTimeoutMs: this.opts.connectTimeoutMs ?? 15000,
        keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15000,
        pool: this.pool,
        onBackgroundLine: (n, line) => this.opts.onBackgroundLine?.(n, line),
        onEvent: (e) => this.opts.onEvent?.(e),
      });
      this.sessions.set(node.name, s);
    }
    return s;
  }
}
