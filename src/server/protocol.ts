/**
 * The wire protocol between `dust serve` and its clients (`dust attach`, `dust run`, `dust -c`, `dust status`):
 * JSON-RPC 2.0 over a unix socket, framed by vscode-jsonrpc (Content-Length headers, as LSP). docs/protocol.md is
 * the prose version of this file. Kept free of imports so a client that loads it loads nothing else.
 *
 * Principle: the server renders, the client writes. The server runs each client's commands with an Output that
 * renders exactly as a local dust would for that client's terminal (colour, width, --json), and sends the bytes;
 * the client writes them to its stdout/stderr (redrawing its prompt around them when one is showing).
 */

/** Bumped on any incompatible change; a client and a server that differ say so in one line and stop. */
export const PROTOCOL_VERSION = 1;

/** JSON-RPC error codes of this protocol (application range). */
export const ProtocolErrors = {
  /** The two sides speak different protocol versions. */
  VersionMismatch: -32010,
  /** A request before `dust/hello`. */
  NoHello: -32011,
  /** The client asked for something it cannot have (a terminal it does not have, a prompt in a script). */
  Refused: -32012,
} as const;

export interface ClientHello {
  protocol: number;
  client: {
    /** `attach` (a person at a terminal), `script` (`dust -c`, `dust run`), `status`. */
    kind: 'attach' | 'script' | 'status';
    /** A person types the lines (prompts can be asked, remote prompts answered). */
    interactive: boolean;
    stdoutIsTTY: boolean;
    stderrIsTTY: boolean;
    color: boolean;
    json: boolean;
    verbose: boolean;
    columns: number;
    rows: number;
    cwd: string;
    pid: number;
    /** `--timeout` of this client (seconds): the server applies it to this client's lines. */
    timeout?: number;
  };
}

export interface ServerHello {
  protocol: number;
  server: { version: string; pid: number; socket: string; startedAt: number };
  /** How other clients and `dust status` name this client (`attach#2`). */
  label: string;
  /** The prompt this client shows (`[slurm1 @serve]$ `). */
  prompt: string;
}

export interface RunParams { line: string }
export interface RunResult {
  ok: boolean;
  /** The prompt after the line (`use` changes it). */
  prompt: string;
  /** The line asked this client to leave (`exit`). */
  exit: boolean;
  /** Some node waits at a password prompt: the next typed line is kept out of history. */
  secretPending: boolean;
  /** A failed line whose command returned an exit status of its own (`cluster submit`: the job's). */
  status?: number;
}

export interface CompleteParams { line: string }
export interface CompleteResult { candidates: string[]; replaced: string }

export interface StatusResult {
  server: { version: string; pid: number; socket: string; startedAt: number; config?: string };
  clients: { label: string; kind: string; since: number; busy: string | undefined }[];
  sessions: { node: string; state: string; idleMs: number | undefined; holder: { owner: string; command: string; since: number } | undefined }[];
}

/** Bytes for the client's stdout or stderr (base64: rendered output may hold any byte). */
export interface WriteParams { stream: 'stdout' | 'stderr'; data: string }
export interface PromptParams { kind: 'confirm' | 'ask' | 'secret'; question: string; default?: string | boolean }
export interface PromptResult { answer: string | boolean }
export interface TerminalOpenResult { columns: number; rows: number }
export interface TerminalDataParams { data: string }
export interface ResizeParams { columns: number; rows: number }
export interface LocalRunParams { command: string; cwd: string; captureStdout: boolean }
export interface LocalRunResult { exitCode: number; stdout?: string }
export interface ContextParams { prompt: string }

/** Client → server. */
export const ClientRequests = {
  hello: 'dust/hello',
  run: 'dust/run',
  complete: 'dust/complete',
  status: 'dust/status',
} as const;

export const ClientNotifications = {
  /** Ctrl-C: aborts this client's running line only. */
  interrupt: 'dust/interrupt',
  /** The client's terminal changed size. */
  resize: 'dust/resize',
  /** Keys for the raw terminal the server opened (`@node`). */
  terminalInput: 'dust/terminal.input',
} as const;

/** Server → client. */
export const ServerRequests = {
  prompt: 'dust/prompt',
  /** Hand the terminal over (raw mode) for a raw shell; resolves with its size once the client is ready. */
  terminalOpen: 'dust/terminal.open',
  terminalClose: 'dust/terminal.close',
  /** Run a line in the client's own local shell (`!cmd`). */
  localRun: 'dust/local.run',
} as const;

export const ServerNotifications = {
  write: 'dust/write',
  terminalData: 'dust/terminal.data',
  /** This client's prompt changed (another client switched the region). */
  context: 'dust/context',
  /** The server is going away (SIGTERM, SIGINT); a reason for the client's one line. */
  bye: 'dust/bye',
} as const;
