/**
 * The public plugin API: the only module plugin authors import (`import { definePlugin } from 'dust-shell/plugin'`).
 * Built-in commands are written against exactly this surface (src/plugins/builtin), so a drop-in plugin
 * can do anything a built-in can.
 */
import type { DustNode } from '../inventory/node.js';
import type { InventoryProvider } from '../inventory/provider.js';
import type { NodeFailure } from '../sessions/node-failure.js';
import type { PortForward, RemoteFiles, Transport } from '../sessions/transport.js';
import type { ClusterProvider } from '../clusters/provider.js';

export type { DustNode } from '../inventory/node.js';
export type { InventoryProvider, NodeDraft } from '../inventory/provider.js';
export type { NodeFailure } from '../sessions/node-failure.js';
export type {
  Transport, ShellChannel, ShellRequest, ChannelEnd, TerminalSize, RemoteFiles, RemoteStat, RemoteEntry,
  ExecRequest, ExecProcess, PortForward,
} from '../sessions/transport.js';
export type {
  ClusterProvider, ClusterNodeReport, ClusterProgress, ClusterCallOptions, ClusterUpOptions, ClusterUpReport,
  ClusterStatusReport, ClusterDownReport, ClusterListEntry,
} from '../clusters/provider.js';
export type { ClusterSpec, Ec2ClusterSpec, K8sClusterSpec } from '../clusters/spec.js';

/**
 * Bumped only on a breaking change to anything in this file. 2: transports and inventory providers from plugins;
 * `sessions.files` (dust's RemoteFiles) instead of ssh2's SFTPWrapper; `NodeRunResult.error` is a NodeFailure
 * object and `stillRunning` a field. docs/plugins.md has the migration note.
 */
export const DUST_PLUGIN_API = 2 as const;

export interface DustPlugin {
  /** Unique, shown in `plugins` and in error messages. */
  readonly name: string;
  readonly apiVersion: typeof DUST_PLUGIN_API;
  /** Semver range of dust versions this plugin works with (`^0.1`), checked like fastify-plugin's `fastify` field. */
  readonly dust?: string;
  readonly description?: string;
  setup(api: PluginApi): void | Promise<void>;
}

/** Identity function that gives `.js` and `.ts` authors type inference. */
export function definePlugin(plugin: DustPlugin): DustPlugin {
  return plugin;
}

export interface PluginApi {
  readonly apiVersion: typeof DUST_PLUGIN_API;
  readonly dustVersion: string;
  /** The plugin's own name, as given in its definition. */
  readonly pluginName: string;
  /** The shared cluster state (the same object commands get as `ctx.state`), for event handlers. */
  readonly state: ClusterState;
  /** Checked at once: a malformed spec throws `DUST_PLUGIN_INVALID` naming the key (and fails the load in setup()). */
  registerCommand<F extends FlagSpecs>(spec: CommandSpec<F>): void;
  /**
   * The plugin's options from the config (`plugins: [{ name: ./x.mjs, options: { threshold: 90 } }]`), or `{}`.
   * Validate them yourself; throw from setup() with one line when they are wrong.
   */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * A scope `use <name>` can switch to, such as EC2's regions: `list()` names them, `current()` is shown in the
   * prompt when no working set is chosen, `use(name)` switches (the inventory is re-read afterwards).
   */
  registerScope(scope: ScopeProvider): void;
  /**
   * Where clusters of a spec's `provider:` come from (`cluster up/status/down/list`): EC2 registers `ec2`,
   * Kubernetes `k8s`. A later provider of the same kind replaces the earlier one. docs/clusters.md has the contract.
   */
  registerClusterProvider(provider: ClusterProvider): void;
  /**
   * Offers a value to other plugins and commands under `name` (`api.provide('ec2', access)`); they get it with
   * `api.use(name)` or `ctx.use(name)`. The newest provider of a name wins. EC2's client and SDK are `use('ec2')`.
   */
  provide(name: string, value: unknown): void;
  /** What another plugin provided under `name`, or undefined when nothing did. */
  use<T = unknown>(name: string): T | undefined;
  /** Called when this plugin goes away: on `plugins reload`, and when dust leaves. Close what setup() opened. */
  onClose(fn: () => void | Promise<void>): void;
  /**
   * A way of reaching nodes (SSM, a container runtime, ...). Transports are asked newest first whether they claim a
   * node; the built-in SSH transport is asked last and claims every node with an address.
   */
  registerTransport(transport: Transport): void;
  /** A source of nodes: its nodes join the inventory (sorted, indexed, login rules applied) like any other. */
  registerInventoryProvider(provider: InventoryProvider): void;
  on<E extends keyof DustEvents>(event: E, handler: EventHandler<E>): void;
  readonly log: PluginLog;
}

export interface PluginLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export type EventHandler<E extends keyof DustEvents> = (payload: DustEvents[E]) => void | Promise<void>;

/**
 * Events any plugin can subscribe to. Handlers run after the fact; a slow or throwing handler never blocks the
 * shell. The one exception is `pod:spec`, a hook: its handlers run before the pod is created, one after another,
 * and may change it.
 */
export interface DustEvents {
  'command:before': { line: string; command: string; nodes: readonly DustNode[] };
  'command:after': { line: string; command: string; ok: boolean; durationMs: number; error?: unknown };
  'node:finished': { node: DustNode; command: string; exitCode: number | null; status: string; outputTail: string };
  'node:connected': { node: DustNode };
  'node:lost': { node: DustNode; reason: string };
  'inventory:refreshed': { nodes: readonly DustNode[] };
  'pod:spec': PodSpecEvent;
}

/**
 * A worker pod about to be created (`cluster up NAME --k8s`; K8sClusterManagers.jl's `configure`). Handlers run in
 * plugin order, each awaited, before the pod is created; change `manifest` in place (add a GPU limit, a toleration,
 * a volume) or assign a new object to it. The name, namespace and `dust/` labels are put back afterwards: they are
 * how dust finds its workers. A handler that throws (or takes longer than 30 s) fails this pod, with the plugin's
 * name in the reason; the other pods are still created.
 */
export interface PodSpecEvent {
  /** The dust cluster (`dust/cluster` label). */
  readonly cluster: string;
  readonly namespace: string;
  /** `worker`, `head`, ... (`dust/role` label). */
  readonly role: string;
  /** The pod's number within its role (`dust/index` label). */
  readonly index: number;
  /** The pod's name (`NAME-<role>-<index>`). */
  readonly pod: string;
  /** The Pod manifest (`apiVersion`, `kind`, `metadata`, `spec`) as it will be sent to the API server. */
  manifest: Record<string, unknown>;
}

/** How a command takes its target expression. */
export type TargetMode = 'none' | 'optional' | 'required';

export interface TargetSpec {
  mode: TargetMode;
  /** Node states the command acts on (`['running']`); other targeted nodes are named and skipped. Omit for any state. */
  states?: readonly string[];
  /** Which positional argument is the target (default 0). Ignored for prefix commands, whose target is glued to the prefix. */
  position?: number;
  /** The command handles a target that matches nothing itself (e.g. `show` falls back to free-text search). */
  emptyOk?: boolean;
}

/** `number` arrives parsed (`--disk 80` → 80); a value that is not a number is the user's usage error. */
export type FlagType = 'boolean' | 'string' | 'number';

export interface FlagSpec {
  type: FlagType;
  /** One letter or digit: `-s` for `--shout`. */
  short?: string;
  description: string;
  /** The flag may be repeated: values collect in an array (`-vv` on a boolean gives the count, `'2'`). */
  multiple?: boolean;
  /** The value is a local path: Tab completes local file names (`'file'`) or only directories (`'directory'`). */
  path?: 'file' | 'directory';
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** What one flag holds in `ctx.flags` (besides `undefined` when it was not given), from its spec. */
export type FlagValue<F extends FlagSpec> = FlagValueOf<F['type'], F['multiple']>;
type FlagValueOf<T extends FlagType, M> = T extends 'number' ? (M extends true ? readonly number[] : number)
  : T extends 'string' ? (M extends true ? readonly string[] : string)
    : M extends true ? string : boolean;

/** `ctx.flags`: each declared flag's parsed value, `undefined` when not given. Typed from the spec's `flags`. */
export type FlagValues<F extends FlagSpecs> = { readonly [K in keyof F]: FlagValue<F[K]> | undefined };

/**
 * Identity function that types `ctx.flags` from `flags` for a command defined on its own
 * (`registerCommand({...})` infers the same by itself).
 */
export function defineCommand<F extends FlagSpecs>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

export interface CommandSpec<F extends FlagSpecs = FlagSpecs> {
  name: string;
  aliases?: readonly string[];
  /**
   * A one-character prefix that invokes this command glued to its first token: `@` makes `@worker* uptime`
   * mean target `worker*`, raw `uptime`; `!` makes `!ls -l` mean raw `ls -l`.
   */
  prefix?: string;
  /** Receives every line whose first word is no command (dust's local-shell fallback). At most one wins. */
  fallback?: boolean;
  /**
   * The first word is the target and the rest is a command line for the nodes, passed on untouched:
   * no flags are parsed, `ctx.target` is that word and `ctx.raw` the text after it (`gather web* ls -l`).
   */
  remoteCommand?: boolean;
  /** One line: `show [-v|-vv] [target]`. */
  usage: string;
  /** One line, shown by `help`. */
  summary: string;
  /** Longer help for `help <command>`. */
  help?: string;
  examples?: readonly string[];
  target?: TargetSpec;
  flags?: F;
  /** Completes the word under the cursor; target words and `--flags` are completed by dust itself. */
  complete?(ctx: CompletionContext): readonly string[] | Promise<readonly string[]>;
  run(ctx: CommandContext<F>): CommandResult | Promise<CommandResult>;
}

/** `false` or a non-zero number marks the command failed (exit status of `dust -c`); anything else is success. */
export type CommandResult = void | boolean | number;

export interface CompletionContext {
  /** Arguments before the word being completed. */
  args: readonly string[];
  /** The partial word (quotes removed; dust quotes what you return as the user began to). */
  word: string;
  state: ClusterState;
  /**
   * Local file names completing `word` (folders end in `/`, `~/` kept), for arguments that are local paths;
   * `'directory'` lists folders only. A flag's value is completed this way by declaring `path` on the flag.
   */
  localPaths(word: string, kind?: 'file' | 'directory'): string[];
  /** What a plugin provided under `name` (`ctx.use<Ec2Access>('ec2')`), or undefined: completions from a cloud. */
  use<T = unknown>(name: string): T | undefined;
}

export interface CommandContext<F extends FlagSpecs = FlagSpecs> {
  /** Command name as registered. */
  readonly command: string;
  /** The whole input line. */
  readonly line: string;
  /** Text after the command word; for prefix commands, the text after the glued target. Quoting untouched. */
  readonly raw: string;
  /** `raw` split like a shell would (quotes honoured), flags included. */
  readonly args: readonly string[];
  /** Parsed flags, typed from the command's `flags` (`number` flags arrive as numbers). */
  readonly flags: FlagValues<F>;
  /** Positional arguments, without flags and without the target. */
  readonly positionals: readonly string[];
  /** The target expression as typed, or undefined when none was given. */
  readonly target: string | undefined;
  /** The targeted nodes, resolved and filtered by the command's accepted states. Empty for `target.mode: 'none'`. */
  readonly nodes: readonly DustNode[];
  /** Targeted nodes left out because their state is not accepted. */
  readonly skipped: readonly DustNode[];
  readonly state: ClusterState;
  readonly out: Output;
  readonly prompt: Prompter;
  /** Aborted when the user presses Ctrl-C while the command runs. */
  readonly signal: AbortSignal;
  /** What a plugin provided under `name` (`ctx.use<Ec2Access>('ec2')`), or undefined. */
  use<T = unknown>(name: string): T | undefined;
  /**
   * Ends the command with one line: `message — hint [code]`. `code` is the plugin's own stable code (upper case,
   * letters, digits and `_`, e.g. `OPENPORT_NO_GROUP`); default `DUST_PLUGIN_FAILED`. The command counts as failed.
   */
  fail(message: string, opts?: { hint?: string; code?: string }): never;
  /**
   * A person at a terminal runs this line (the interactive shell, an attached client): questions can be asked
   * and remote prompts answered. False in scripts (`dust -c`, stdin): commands get no stdin there.
   */
  readonly interactive: boolean;
  /**
   * The client's working directory: relative local paths (put's file, get's folder) are relative to it. With
   * `dust serve` it is the attached client's, not the server's.
   */
  readonly cwd: string;
  /**
   * Nodes whose output lines this client hides (`mute worker3`); results, summaries and `last=` still count them.
   * A command may add or delete names (that is what `mute`, `unmute` and `solo` do).
   */
  readonly muted: Set<string>;
  /** The session layer (persistent SSH shells). */
  readonly sessions: SessionsApi;
  /** Runs another command line as if typed; resolves to success. */
  runLine(line: string): Promise<boolean>;
  /**
   * Hands the real terminal to `fn`: dust's line editor is paused and the terminal is in its normal mode
   * until `fn` settles (local programs such as vim, raw remote shells). Restored on every path.
   */
  withTerminal<T>(fn: (io: { input: NodeJS.ReadStream; output: NodeJS.WriteStream }) => Promise<T>): Promise<T>;
  /**
   * Runs a line in the local shell of the client (its machine, its working directory), with its terminal handed
   * over (vim works), or with stdout captured. Resolves to the exit status (and the output when captured).
   */
  runLocal(command: string, opts?: { captureStdout?: boolean }): Promise<{ exitCode: number; stdout?: string }>;
  /** Ends the shell once this command returns (sessions are closed cleanly). */
  requestExit(): void;
}

/** Shared cluster state, the same object for every command and plugin. */
export interface ClusterState {
  readonly dustHome: string;
  readonly version: string;
  /** The validated config (read-only view). */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * The current region of a region scope (EC2's), or undefined without one. Kept for messages and records; the
   * general form is `scope`.
   */
  readonly region: string | undefined;
  /** The current scope an integration registered (`{ kind: 'region', name: 'us-east-1' }`), or undefined. */
  readonly scope: { kind: string; name: string } | undefined;
  /** Cluster selected by `use`, or undefined for all nodes. */
  readonly workingCluster: string | undefined;
  /** The whole inventory, sorted and indexed (cached; see invalidate). */
  nodes(): Promise<readonly DustNode[]>;
  /** Nodes of the working set. */
  workingSet(): Promise<readonly DustNode[]>;
  /** Known cluster names. */
  clusters(): Promise<readonly string[]>;
  resolveTarget(expr: string | undefined): Promise<DustNode[]>;
  /**
   * What the node did in the most recent command that ran on nodes (`@`, `gather`, a plugin's
   * `sessions.run`); undefined when it was not part of that command. Targets see it as `last=` and `rc=`.
   */
  lastRun(node: DustNode): LastRun | undefined;
  /** Drops cached inventory so the next read asks the providers again. */
  invalidate(): void;
  useCluster(name: string | undefined): void;
  /** The cluster providers integrations registered (`ec2`, `k8s`), for the `cluster` commands. */
  clusterProviders(): readonly ClusterProvider[];
  /** Every scope name `use` can switch to (regions of an integration), with its kind; empty without one. */
  scopeNames(): Promise<readonly { kind: string; name: string }[]>;
  /**
   * Switches to a scope name (a region): clears the working set and the inventory cache. Refused with one line when
   * no registered scope knows the name.
   */
  useScope(name: string): Promise<void>;
  /** Sets or clears (value undefined) a persistent annotation on a node; usable as `annotation=key`. */
  annotate(node: DustNode, key: string, value: string | undefined): Promise<void>;
  /** Registered commands (for `help`). */
  commands(): readonly RegisteredCommand[];
  /** Per-plugin persistent key/value store in $DUST_HOME. */
  store(namespace: string): KeyValueStore;
}

export interface RegisteredCommand {
  readonly spec: CommandSpec;
  /** Plugin that registered it (`builtin:show` for built-ins). */
  readonly plugin: string;
  readonly source: string;
}

/**
 * A persistent key/value store shared by every dust process on this machine. Reads see other processes'
 * writes; each write changes only its own key in the file as it is on disk, so concurrent writers never
 * undo each other.
 */
export interface KeyValueStore {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Read-modify-write of one key, atomic across processes: `fn` receives the value currently on disk and
   * returns the new one (undefined deletes the key). Use it for counters and for merging into records.
   */
  update<T = unknown>(key: string, fn: (current: T | undefined) => T | undefined): Promise<void>;
  keys(): string[];
}

/** Output that is safe to call while the user is typing: it prints above the prompt and redraws the line. */
export interface Output {
  readonly isTTY: boolean;
  readonly colorEnabled: boolean;
  /**
   * `dust --json`: stdout carries only NDJSON records (`record`); everything `print`, `info` and `table` write
   * goes to stderr instead. Commands with results or effects (`@`, `gather`, `show`, `use`, `!`, `put`,
   * `get`, `tag`) emit records in this mode.
   */
  readonly json: boolean;
  /** One JSON object as one line on stdout (only when `json` is set; ignored otherwise); escape sequences are stripped from its strings. */
  record(obj: Record<string, unknown>): void;
  print(text: string): void;
  /** Like `print`, but always to stderr (a remote command's stderr in no-PTY mode). */
  printErr(text: string): void;
  info(text: string): void;
  success(text: string): void;
  warn(text: string): void;
  error(textOrError: unknown): void;
  table(head: readonly string[], rows: readonly (readonly string[])[]): void;
  progress(text: string): Progress;
}

export interface Progress {
  update(text: string): void;
  done(finalText?: string): void;
}

export interface Prompter {
  confirm(question: string, defaultYes?: boolean): Promise<boolean>;
  ask(question: string, opts?: { default?: string; validate?: (answer: string) => string | undefined }): Promise<string>;
  /** Never echoed, never logged, never stored in history. */
  secret(question: string): Promise<string>;
}

/** A node's outcome in the last command that ran on nodes (`ClusterState.lastRun`). */
export interface LastRun {
  status: NodeRunResult['status'];
  exitCode: number | null;
}

/** Result of running one command line on one node. */
export interface NodeRunResult {
  node: DustNode;
  /**
   * ok: exit 0; failed: non-zero (or a prompt nothing could answer, in a script); unreachable: could not connect;
   * waiting: still running (e.g. waiting for input) when the command returned; interrupted: Ctrl-C; timeout: ran past
   * `RunOptions.timeoutMs` and was interrupted; skipped: the command was never sent to the node (`RunOptions.maxErrors`
   * was reached, or Ctrl-C came before its turn under `fanout`); `error` says which.
   */
  status: 'ok' | 'failed' | 'unreachable' | 'waiting' | 'interrupted' | 'timeout' | 'skipped';
  /** The command's exit status; a command killed by a signal reports 128 + the signal's number, as shells do. */
  exitCode: number | null;
  /**
   * Output lines: the last 10,000; `onLine` sees them all. In the persistent shell stdout and stderr arrive merged,
   * as a terminal shows them; in no-PTY mode (`pty: false`) this is stdout only and stderr is in `stderr`.
   */
  output: string[];
  /** No-PTY mode only: the command's stderr lines (the last `maxOutputLines`), kept apart from `output`. */
  stderr?: string[];
  /** Wall-clock milliseconds from sending the command (connecting included) to its outcome. */
  durationMs?: number;
  /** Why the node did not run the command (unreachable, shell gone, still running after ^C): code, message, hint. */
  error?: NodeFailure;
  /** Interrupted, but the program ignored ^C and still owns the node's terminal (the next line is typed into it). */
  stillRunning?: boolean;
  /**
   * Set when `output` is only the tail of what the node printed (`RunOptions.maxOutputLines`, default 10,000):
   * how many lines were dropped from the front, and a fingerprint of the whole output (equal fingerprints:
   * equal outputs), so a cut is never silent and never makes two different outputs look alike.
   */
  truncated?: { dropped: number; totalLines: number; digest: string };
  /** Something the user should know about this node's session, e.g. what was lost in a reconnect. */
  notice?: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called for each complete output line as it arrives (stdout only in no-PTY mode). */
  onLine?: (node: DustNode, line: string) => void;
  /**
   * `true` (default): the node's persistent PTY shell (state kept between commands, stdout and stderr merged).
   * `false`: one exec channel per command on the node's connection, without a terminal (clush/pdsh-style): stdout
   * and stderr apart, no colours, no state kept, `stdin` can be given. See SessionsApi.exec.
   */
  pty?: boolean;
  /**
   * No-PTY mode: bytes for every node's stdin (the same bytes to each), closed after. A function is called once per
   * node for a fresh stream (large inputs spooled to a file). Without it stdin is closed at once.
   */
  stdin?: Buffer | string | (() => NodeJS.ReadableStream);
  /** No-PTY mode: called for each complete stderr line as it arrives. */
  onStderr?: (node: DustNode, line: string) => void;
  /** No-PTY mode: the raw bytes of stdout and stderr as they arrive (byte-exact, e.g. to write them to files). */
  onOutput?: (node: DustNode, data: Buffer, stream: 'stdout' | 'stderr') => void;
  /** Called once per node with its outcome as soon as it is known (results are also returned all together). */
  onResult?: (result: NodeRunResult) => void;
  /** At most this many nodes run the command at once; the next starts as one finishes (rolling). Default: all at once. */
  fanout?: number;
  /**
   * Once more than this many nodes failed (failed, unreachable, timeout), the command is sent to no further node:
   * the nodes not yet started report `skipped`. Only matters with `fanout` (otherwise every node starts at once).
   */
  maxErrors?: number;
  /** Quiet period after which a partial line (a prompt) is delivered and a silent command counts as waiting. */
  quietMs?: number;
  /** Lines of output each result keeps (the last ones; `onLine` still sees all). Default 10,000. */
  maxOutputLines?: number;
  /**
   * Nothing can answer the command's input (a script, no terminal): its stdin is /dev/null, so `cat` or `read`
   * end at once instead of waiting forever, and a prompt that reads the terminal itself (sudo's password) is
   * interrupted and fails the node with `DUST_WAITING_FOR_INPUT` instead of leaving it waiting.
   */
  noInput?: boolean;
  /** Interrupt the command on nodes where it runs longer than this (^C, as after Ctrl-C); they report `timeout`. */
  timeoutMs?: number;
  /**
   * The line is a secret (a password typed for nodes waiting at a password prompt): it is sent as typed and
   * appears nowhere else; `node:finished` reports its command as `(secret)`.
   */
  secret?: boolean;
}

/** What a node's persistent shell is doing (`SessionsApi.state`). */
export type SessionStateName = 'closed' | 'connecting' | 'idle' | 'running' | 'waiting' | 'raw' | 'program';

export interface SessionsApi {
  /** Runs a line in every node's persistent shell, in parallel (or without a PTY with `pty: false`). Results in `nodes` order. */
  run(nodes: readonly DustNode[], command: string, opts?: RunOptions): Promise<NodeRunResult[]>;
  /**
   * Runs a command without a terminal on every node (`run` with `pty: false`): one exec channel per command on the
   * node's existing connection, stdout and stderr apart (`output`, `stderr`), stdin from `opts.stdin`, nothing kept
   * between commands (cwd, exports). The command runs in the environment dust's shell has (profile sourced, bash where
   * there is one). A transport without exec runs it in the persistent shell instead, and says so in `notice`.
   */
  exec(nodes: readonly DustNode[], command: string, opts?: RunOptions): Promise<NodeRunResult[]>;
  /**
   * The unfinished line a node's program is waiting at (`[sudo] password for ann: `), or undefined when the
   * node is not waiting for input. The next `run` on that node is typed into that program.
   */
  waitingPrompt(node: DustNode): string | undefined;
  /** Hands the terminal to one node's session (raw PTY); resolves when the user detaches or the shell exits. */
  attach(node: DustNode): Promise<'detached' | 'exited' | 'lost'>;
  /** File access over the node's connection (SFTP for SSH nodes, exec for pods), opened once and reused. */
  files(node: DustNode): Promise<RemoteFiles>;
  /**
   * Port forwarding to the node over its existing connection: the transport's name, and `forward` when that
   * transport can forward (SSH can; pods cannot yet). The forward listens on 127.0.0.1 only.
   */
  forwarding(node: DustNode): { transport: string; forward?: (remotePort: number, opts?: { localPort?: number; remoteHost?: string }) => Promise<PortForward> };
  /**
   * The node's session right now: closed, connecting, idle, running, waiting (for input), raw (someone is in
   * `@node`), or program (a program left running in the terminal when a raw shell was left owns it).
   */
  state(node: DustNode): SessionStateName;
  /**
   * Who runs what on the node right now: another client of `dust serve`, or a raw shell (`command` is then
   * `(raw shell)`); undefined when the node is free. Commands on a node run one after another.
   */
  holder(node: DustNode): { owner: string; command: string; since: number; self: boolean } | undefined;
  /** Nodes with an open session. */
  connected(): readonly string[];
  close(node: DustNode): Promise<void>;
}

/** A scope `use` can switch to (EC2 registers its regions as one). See `PluginApi.registerScope`. */
export interface ScopeProvider {
  /** What a name is (`region`), shown in messages. */
  readonly kind: string;
  current(): string | undefined;
  list(): Promise<readonly string[]>;
  use(name: string): Promise<void>;
}
