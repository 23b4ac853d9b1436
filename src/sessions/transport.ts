/**
 * The seam between dust's persistent shells and the ways of reaching a node.
 *
 * `src/sessions` (the shell state machine: marker protocol, demux, typed echo, waiting prompts, interrupts,
 * reconnect, raw attach) talks only to these interfaces. A transport (SSH in `src/ssh`, Kubernetes exec in
 * `src/kubernetes`, an in-memory fake in tests) owns everything about connecting: logins, keys, host keys,
 * pools, keepalives, WebSockets. Like ssh2's `Protocol`, the shell engine owns no socket: it writes bytes into
 * a channel and is fed the bytes that come back.
 *
 * Transports are picked per node, first that claims it wins (Rollup's `hookFirst`), in registration order;
 * plugins add their own with `api.registerTransport` (plugin API v2).
 */
import type { DustNode } from '../inventory/node.js';

/** Rows and columns of a pseudo-terminal. */
export interface TerminalSize {
  rows: number;
  cols: number;
}

/** How a channel ended: the remote shell exited (with its status when known), or the transport lost it. */
export interface ChannelEnd {
  kind: 'exited' | 'lost';
  /** Exit status of the remote command, when the transport reports one. */
  exitCode?: number | null;
  /** Why it was lost (`connection closed`, `kubelet closed the stream`), for the per-node line. */
  reason?: string;
}

/**
 * One bidirectional byte stream to one remote pseudo-terminal running one command (dust's shell bootstrap).
 * stdout and stderr arrive merged, as a terminal shows them.
 */
export interface ShellChannel {
  /** Bytes typed into the remote terminal. */
  write(data: string | Uint8Array): void;
  /** Terminal output. Set before the first byte can arrive (the transport buffers until then). */
  onData(listener: (data: Buffer) => void): void;
  /** Called exactly once when the channel is over, whoever ended it. */
  onClose(listener: (end: ChannelEnd) => void): void;
  /** The remote terminal's new size (SIGWINCH on the far side). */
  resize(size: TerminalSize): void;
  /** Ends the channel from dust's side; `onClose` still fires. */
  close(): void;
}

/** What a shell channel is opened with. */
export interface ShellRequest {
  /**
   * The command the PTY runs: a one-line script for a POSIX `sh -c` (dust's bootstrap). SSH hands it to the
   * login shell as an exec request; Kubernetes runs `["/bin/sh", "-c", command]`.
   */
  command: string;
  size: TerminalSize;
  /** TERM for the remote side. */
  term: string;
  /** Ask the server to start with terminal echo off (honoured by OpenSSH; dust copes when it is not). */
  echo: boolean;
}

/** One remote file or directory, as `stat` reports it. */
export interface RemoteStat {
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  /** Permission bits (`0o644`). */
  mode: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** Access time, seconds since the epoch. */
  atime: number;
}

/** A directory entry. */
export interface RemoteEntry {
  name: string;
  stat: RemoteStat;
}

/**
 * File access on one node, over the node's existing connection (SFTP for SSH, exec of `cat`/`stat` for pods).
 * Paths are remote POSIX paths; a relative path is relative to the login directory. `put`/`get` (single
 * files, recursive copies, progress, preserving modes and times) are written once on top of these.
 */
export interface RemoteFiles {
  /** `undefined` when the path does not exist. Follows symlinks. */
  stat(path: string): Promise<RemoteStat | undefined>;
  list(dir: string): Promise<RemoteEntry[]>;
  /** Creates one directory (its parent must exist). Succeeds when it already exists as a directory. */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Streams a remote file's bytes. */
  read(path: string): NodeJS.ReadableStream;
  /**
   * A stream that writes a remote file (created or truncated; `mode` for a new file). Resolves `done` when every
   * byte is on the node, rejects it on any error. The remote file is only replaced once the write completes
   * when the transport can (temporary name + rename); otherwise a failed write may leave a partial file.
   */
  write(path: string, opts?: { mode?: number }): { stream: NodeJS.WritableStream; done: Promise<void> };
  /** Sets permission bits and/or times (`-p`). */
  setAttributes(path: string, attrs: { mode?: number; mtime?: number; atime?: number }): Promise<void>;
  /** The login directory, for resolving `~/x` and relative paths in messages. */
  home(): Promise<string>;
  /**
   * Optional fast paths for whole files (SFTP's pipelined fastPut/fastGet keep many requests in flight, where a
   * stream waits for each chunk's acknowledgement). Same contract as `write`/`read` otherwise.
   */
  upload?(localPath: string, remotePath: string, opts: { mode?: number; onBytes?: (n: number) => void }): Promise<void>;
  download?(remotePath: string, localPath: string, opts: { onBytes?: (n: number) => void }): Promise<void>;
}

/** A command run without a terminal (clush-style exec): stdout and stderr apart, stdin optional. */
export interface ExecRequest {
  command: string;
  /** Bytes for the command's stdin, closed after; omitted: stdin is closed at once. */
  stdin?: NodeJS.ReadableStream | Buffer | string;
  signal?: AbortSignal;
}

export interface ExecProcess {
  onStdout(listener: (data: Buffer) => void): void;
  onStderr(listener: (data: Buffer) => void): void;
  /** Resolves with the exit status (null when killed by a signal or lost; `reason` then says why). */
  readonly exit: Promise<{ exitCode: number | null; signal?: string; reason?: string }>;
  /** Interrupt (SIGINT where the transport can send it, else close). */
  interrupt(): void;
}

/** A local TCP port forwarded to a port on (or reachable from) the node, over the existing connection. */
export interface PortForward {
  readonly localPort: number;
  close(): Promise<void>;
}

/**
 * Everything dust needs from one way of reaching nodes. Errors thrown by these methods should be `DustError`s
 * (stable code, one-line message, hint): they become the node's per-node failure line as they are.
 */
export interface Transport {
  /** Short name shown in `status` and errors (`ssh`, `kubernetes`). */
  readonly name: string;
  /** Whether this transport reaches `node` (first transport that claims a node wins). */
  claims(node: DustNode): boolean;
  /** Opens a persistent PTY shell on the node (connecting first if needed). */
  openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel>;
  /** File access over the node's connection. */
  files(node: DustNode): Promise<RemoteFiles>;
  /** One command without a PTY (optional: transports that cannot say so, and callers fall back to the shell). */
  exec?(node: DustNode, request: ExecRequest): Promise<ExecProcess>;
  /** A local port forwarded to `remoteHost:remotePort` as seen from the node (optional). */
  forward?(node: DustNode, remotePort: number, opts?: { localPort?: number; remoteHost?: string }): Promise<PortForward>;
  /** Drops whatever the transport holds for one node (its connection); the next use reconnects. */
  disconnect(node: DustNode): Promise<void>;
  /** Ends every connection (dust is leaving). */
  close(): Promise<void>;
}
