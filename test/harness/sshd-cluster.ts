/**
 * A real OpenSSH cluster on loopback for dust's SSH tests, benchmarks and demo.
 *
 * One `sshd -D` per node on 127.0.0.x with a common port (like a real cluster), each with its own host
 * key, sshd_config, pid file, log and empty HOME. One daemon per node because a single sshd can listen on
 * at most 16 sockets (MAX_LISTEN_SOCKS), and because per-node daemons give per-node host keys, MaxStartups
 * accounting and failure injection (stop / pause / new host key). See /work/shared/reference/test-cluster.md.
 *
 * Sessions: every session goes through a ForceCommand wrapper (`<baseDir>/session-shell.sh`) that cd's to
 * the node's HOME and then runs the cluster's login shell (`loginShell`, default: the user's passwd shell)
 * exactly as sshd would: `<shell> -c "$SSH_ORIGINAL_COMMAND"` for exec requests, a login shell
 * (`exec -a -<name> <shell>`) for shell requests. So `pwd` is the node home, `cd` state is per node, and
 * `echo $0` says `zsh` / `-zsh` with `loginShell: '/usr/bin/zsh'`. All nodes are this machine, so
 * `hostname` is the same everywhere; sessions get `DUST_TEST_NODE=<name>` (SetEnv) to tell them apart.
 * `plainSessions: true` drops the wrapper (benchmarks: a stock sshd starts sessions without it).
 *
 * Lifetime: sshds are children of this process (same process group, so a terminal Ctrl-C takes them
 * down too). `down()` kills exactly the recorded listener pids plus their descendants (per-connection
 * sshds and shells). A process 'exit' hook does the same synchronously for clusters never taken down, and
 * a tiny detached watchdog (`sh`, one per cluster) does it if this process is SIGKILLed. `persistent: true`
 * (used by cli.ts / cluster-up.sh) detaches the sshds instead and leaves them running.
 *
 * Measured here (2 cores, OpenSSH 9.2p1, load average 5-6 from other jobs; `npx tsx test/harness/cli.ts measure`),
 * time from the call to "every sshd listening", keys and files included:
 *   N=10: 0.10-0.19 s   N=50: 0.47-1.4 s   N=200: 2.2-4.8 s (spread = background load; ~2.3 ms of it per
 *   node is Node's own spawn(), the rest sshd start-up CPU). down(): 0.02-0.06 s (N=10), 0.2-0.6 s (N=200).
 *   200 idle listener sshds: 1784 MiB summed RSS (8.9 MiB each, mostly shared libcrypto pages) but only
 *   254 MiB PSS (1.27 MiB each), matching the reference's 246 MiB.
 *   N=1000 (127.B.x.y addresses, see largeClusterAddress): 22.6 s, down 1.7 s, 1239 MiB PSS (1.24 MiB each), load ~4.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  generateEd25519, renderEnvFile, renderKnownHosts, renderSessionWrapper, renderSshConfig, renderSshdConfig,
} from './cluster-files.js';
import { findFreePort, waitUntilListening } from './net-probe.js';
import { cmdlineOf, isAlive, killTreesNow, signal, waitForExit } from './processes.js';

export { startBlackholeNode } from './net-probe.js';
export type { BlackholeNode } from './net-probe.js';

/** sshd must be run by absolute path (it re-execs itself). Override with DUST_SSHD for unusual installs. */
export const SSHD_PATH = process.env['DUST_SSHD'] ?? '/usr/sbin/sshd';
const SFTP_SERVER_PATH = '/usr/lib/openssh/sftp-server';
/** Present in every baseDir this harness created; nothing is ever deleted without it. */
const MARKER_FILE = '.dust-sshd-cluster';
const NODES_JSON_VERSION = 1;

export type NodeState = 'running' | 'paused' | 'stopped';

export interface ClusterNode {
  /** node0, node1 ... or the names given. */
  name: string;
  /** 127.0.0.x */
  host: string;
  port: number;
  /** Current listener sshd pid (changes after restart; the last one while stopped). */
  pid: number;
  /** This node's own empty HOME (SetEnv HOME=...); every session starts there. */
  homeDir: string;
  /** Private host key file (ed25519, OpenSSH format, 0600). */
  hostKeyPath: string;
  /** 'ssh-ed25519 AAAA...' (the current key: after regenerateHostKey it no longer matches known_hosts). */
  hostPublicKey: string;
  /** sshd's own log (`-E`), LogLevel VERBOSE. */
  logFile: string;
  /** This node's sshd_config. */
  configPath: string;
  /** Pid file sshd writes. */
  pidFile: string;
  state: NodeState;
}

export interface SshdCluster {
  baseDir: string;
  /** Login user (os.userInfo().username). */
  user: string;
  /** ed25519 client key (0600) authorised on every node. */
  clientKeyPath: string;
  /** known_hosts with every node's key as of start-up, `[host]:port` form when port != 22. */
  knownHostsPath: string;
  /** OpenSSH client config: `Host <name>` blocks with HostName/Port/User/IdentityFile/UserKnownHostsFile, strict checking. */
  sshConfigPath: string;
  /** nodes.json: the node list and the paths above, for tools outside this process. */
  nodesJsonPath: string;
  /** The login shell sessions run (`loginShell` or the user's passwd shell). */
  loginShell: string;
  nodes: ClusterNode[];
  /** Wall time startSshdCluster took, in ms (for the measurements; never assert on it). */
  startupMs: number;
  /** Throws for an unknown name. */
  node(name: string): ClusterNode;
  /** Kills that node's sshd and its session children (open connections drop); connects get ECONNREFUSED. */
  stopNode(name: string): Promise<void>;
  /** Starts it again on the same address, port and host key; no-op when running, resumes when paused. */
  startNode(name: string): Promise<void>;
  restartNode(name: string): Promise<void>;
  /** SIGSTOPs the listener: TCP connects still complete (kernel backlog) but no banner ever arrives. Open sessions keep working. */
  pauseNode(name: string): void;
  resumeNode(name: string): void;
  /** Writes a new host key and restarts the node; known_hosts keeps the old key (host-key-mismatch tests). */
  regenerateHostKey(name: string): Promise<void>;
  /** Rewrites known_hosts with every node's current key (undo for regenerateHostKey). */
  trustCurrentHostKeys(): void;
  /** `ssh` arguments up to and including the destination: ['-F', sshConfigPath, '-o', 'BatchMode=yes', name]. */
  sshArgs(name: string): string[];
  /** Stops exactly the processes it started (by recorded pid) and removes baseDir unless `keep`. Idempotent. */
  down(): Promise<void>;
}

export interface StartSshdClusterOptions {
  count: number;
  /** Node names (default node0..node<count-1>); length must equal count. Letters, digits, '.', '_', '-'. */
  names?: string[];
  /** Where everything goes (default: a fresh mkdtemp dir). Must be empty, new, or an old cluster dir. */
  baseDir?: string;
  /** Keep baseDir (logs, configs) after down() / exit. */
  keep?: boolean;
  /**
   * Node i listens on 127.0.0.<addressStart + i>. Default: derived from the pid, so parallel mocha processes spread
   * out. Clusters of more than 253 nodes do not fit there: they take 127.<B>.x.y (B = 10 + pid % 100, last octet
   * 1-254), away from the 127.0.0.x addresses small clusters use, and ignore this option.
   */
  addressStart?: number;
  /** Common port. Default: a random free port in 20000–31999 (checked on every address). */
  port?: number;
  /** sshd MaxSessions (channels per connection). Default 1000; pass 10 to emulate a stock server. */
  maxSessions?: number;
  /** sshd MaxStartups. Default '1000' so parallel connects aren't dropped; pass '10' or '10:30:100' for stock behaviour. */
  maxStartups?: string;
  /** Absolute path of the shell sessions run as the login shell (e.g. '/usr/bin/zsh'). Default: the user's passwd shell. */
  loginShell?: string;
  /**
   * Let sshd start sessions itself, as a stock server does: no ForceCommand wrapper, so the passwd shell runs
   * and sessions start in the passwd home (HOME is still the node's home). For benchmarks: the wrapper costs
   * two bash starts per session that a real server does not pay. Cannot be combined with `loginShell`.
   */
  plainSessions?: boolean;
  /** Detach the sshds and leave them running after this process exits (cli.ts up). Implies keep. */
  persistent?: boolean;
  /** Start-up timeout in ms (default 30 s + 100 ms per node). */
  timeoutMs?: number;
}

/** What a cluster is made of: recorded in nodes.json, and all an attached cluster needs besides its nodes. */
interface ClusterLayout {
  baseDir: string;
  user: string;
  clientKeyPath: string;
  knownHostsPath: string;
  sshConfigPath: string;
  loginShell: string;
  plainSessions: boolean;
  maxSessions: number;
  maxStartups: string;
}

/** The JSON written to <baseDir>/nodes.json. */
export interface NodesJson extends Omit<ClusterLayout, 'plainSessions'> {
  version: number;
  /** Absent in files written before the option existed (= false). */
  plainSessions?: boolean;
  nodes: ClusterNode[];
}

/** Why sshd can't be used here, or undefined when it can. */
export function sshdUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `the sshd test cluster needs Linux (this is ${process.platform})`;
  for (const [file, what] of [[SSHD_PATH, 'sshd (apt-get install openssh-server)'], ['/bin/bash', 'bash']] as const) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      return `${what} not found or not executable at ${file}`;
    }
  }
  return undefined;
}

/** True when a loopback sshd cluster can be started on this machine. */
export function sshdAvailable(): boolean {
  return sshdUnavailableReason() === undefined;
}

/**
 * Mocha helper for `before`: in CI (process.env.CI set) a missing sshd is a failure (throws); locally the
 * suite is skipped with a message saying why.
 */
export function requireSshd(ctx: Mocha.Context): void {
  const reason = sshdUnavailableReason();
  if (reason === undefined) return;
  if (process.env['CI']) throw new Error(`sshd test cluster required in CI: ${reason}`);
  console.warn(`      (skipping: ${reason})`);
  ctx.skip();
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup of clusters never taken down: a synchronous 'exit' hook plus a watchdog for SIGKILL of this process.

const liveClusters = new Set<Cluster>();
let exitHookInstalled = false;

function track(cluster: Cluster): void {
  liveClusters.add(cluster);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of liveClusters) c.destroyNow();
  });
}

/**
 * Runs detached, polls once a second whether its parent (this process) is still its parent, and when not,
 * SIGKILLs the listener pids in the pid files (only if their command line names this baseDir) and removes
 * the baseDir (only if it carries the marker and keep was not asked for).
 */
const WATCHDOG_SCRIPT = `
parent=$1 base=$2 keep=$3
while read -r _ _ _ pp _ < /proc/$$/stat && [ "$pp" = "$parent" ]; do sleep 1; done
for f in "$base"/nodes/*/sshd.pid; do
  [ -f "$f" ] && read -r p < "$f" || continue
  grep -qaF -- "$base/" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null
done
[ "$keep" = keep ] || { [ -e "$base/${MARKER_FILE}" ] && rm -rf -- "$base"; }
`;

function startWatchdog(baseDir: string, keep: boolean): ChildProcess {
  const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'dust-cluster-watchdog', String(process.pid), baseDir, keep ? 'keep' : 'remove'], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
  return child;
}

// ---------------------------------------------------------------------------------------------------------

interface Launch {
  node: ClusterNode;
  child: ChildProcess;
  logOffset: number;
  /** Set when the sshd died or could not be spawned. */
  failure: string | undefined;
}

interface ClusterSettings extends ClusterLayout {
  keep: boolean;
  persistent: boolean;
  /** False for clusters attached from nodes.json: they verify pids against the command line before killing. */
  ownsProcesses: boolean;
}

class Cluster implements SshdCluster {
  readonly baseDir: string;
  readonly user: string;
  readonly clientKeyPath: string;
  readonly knownHostsPath: string;
  readonly sshConfigPath: string;
  readonly nodesJsonPath: string;
  readonly loginShell: string;
  startupMs = 0;
  private closed = false;
  private watchdog: ChildProcess | undefined;

  constructor(
    readonly nodes: ClusterNode[],
    private readonly settings: ClusterSettings,
  ) {
    this.baseDir = settings.baseDir;
    this.user = settings.user;
    this.clientKeyPath = settings.clientKeyPath;
    this.knownHostsPath = settings.knownHostsPath;
    this.sshConfigPath = settings.sshConfigPath;
    this.nodesJsonPath = path.join(settings.baseDir, 'nodes.json');
    this.loginShell = settings.loginShell;
  }

  node(name: string): ClusterNode {
    const found = this.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`test cluster: no node named ${name} (have ${this.nodes.map((n) => n.name).join(', ')})`);
    return found;
  }

  sshArgs(name: string): string[] {
    return ['-F', this.sshConfigPath, '-o', 'BatchMode=yes', this.node(name).name];
  }

  /** Writes every per-node and client file for the given port (rewritten on a port retry). */
  writeFiles(port: number): void {
    const authorizedKeysPath = path.join(this.baseDir, 'authorized_keys');
    const sessionWrapperPath = path.join(this.baseDir, 'session-shell.sh');
    const sftp = existsSync(SFTP_SERVER_PATH) ? SFTP_SERVER_PATH : undefined;
    for (const node of this.nodes) {
      node.port = port;
      writeFileSync(
        node.configPath,
        renderSshdConfig({
          nodeName: node.name,
          host: node.host,
          port,
          hostKeyPath: node.hostKeyPath,
          pidFile: node.pidFile,
          authorizedKeysPath,
          homeDir: node.homeDir,
          ...(this.settings.plainSessions ? {} : { sessionWrapperPath }),
          maxSessions: this.settings.maxSessions,
          maxStartups: this.settings.maxStartups,
          sftpServerPath: sftp,
        }),
      );
    }
    writeFileSync(
      this.sshConfigPath,
      renderSshConfig(this.nodes, { user: this.user, clientKeyPath: this.clientKeyPath, knownHostsPath: this.knownHostsPath }),
      { mode: 0o644 },
    );
    this.trustCurrentHostKeys();
    writeFileSync(
      path.join(this.baseDir, 'cluster.env'),
      renderEnvFile({
        CLUSTER_BASEDIR: this.baseDir,
        CLUSTER_SSH_CONFIG: this.sshConfigPath,
        CLUSTER_KNOWN_HOSTS: this.knownHostsPath,
        CLUSTER_CLIENT_KEY: this.clientKeyPath,
        CLUSTER_NODES_JSON: this.nodesJsonPath,
        CLUSTER_USER: this.user,
        CLUSTER_PORT: port,
        CLUSTER_SIZE: this.nodes.length,
        CLUSTER_NODES: this.nodes.map((n) => n.name).join(' '),
      }),
    );
    this.writeNodesJson();
  }

  trustCurrentHostKeys(): void {
    writeFileSync(this.knownHostsPath, renderKnownHosts(this.nodes), { mode: 0o644 });
  }

  writeNodesJson(): void {
    if (!existsSync(this.baseDir)) return;
    const { keep: _keep, persistent: _persistent, ownsProcesses: _owns, ...layout } = this.settings;
    const doc: NodesJson = { version: NODES_JSON_VERSION, ...layout, nodes: this.nodes };
    writeFileSync(this.nodesJsonPath, `${JSON.stringify(doc, null, 2)}\n`);
  }

  /** Spawns the sshds of the given nodes and waits until all listen; on failure kills what it started. */
  async launch(nodes: readonly ClusterNode[], timeoutMs: number): Promise<void> {
    const launches = nodes.map((node) => this.spawnSshd(node));
    try {
      await waitUntilListening(nodes, {
        timeoutMs,
        failure: () => {
          const failed = launches.find((l) => l.failure !== undefined);
          return failed && launchFailureMessage(failed);
        },
      });
    } catch (err) {
      killTreesNow(launches.map((l) => l.node.pid));
      for (const l of launches) l.node.state = 'stopped';
      await waitForExit(launches.map((l) => l.node.pid));
      throw err;
    }
    for (const node of nodes) node.state = 'running';
    this.writeNodesJson();
  }

  private spawnSshd(node: ClusterNode): Launch {
    const logOffset = existsSync(node.logFile) ? statSync(node.logFile).size : 0;
    const child = spawn(SSHD_PATH, ['-D', '-f', node.configPath, '-E', node.logFile], {
      stdio: 'ignore',
      detached: this.settings.persistent,
    });
    child.unref();
    const launch: Launch = { node, child, logOffset, failure: undefined };
    child.once('error', (err) => (launch.failure ??= `could not run ${SSHD_PATH}: ${err.message}`));
    child.once('exit', (code, sig) => (launch.failure ??= `sshd exited (${code ?? sig})`));
    node.pid = child.pid ?? 0;
    node.state = 'running';
    return launch;
  }

  /** The node's listener pid, if that process is alive and really is this node's sshd. */
  private livePid(node: ClusterNode): number | undefined {
    const candidates = [node.pid];
    if (!this.settings.ownsProcesses) {
      try {
        candidates.unshift(Number(readFileSync(node.pidFile, 'utf8').trim()));
      } catch {
        // no pid file: sshd never started or was SIGKILLed before writing it
      }
    }
    return candidates.find((pid) => isAlive(pid) && (cmdlineOf(pid) ?? '').includes(node.configPath));
  }

  async stopNode(name: string): Promise<void> {
    const node = this.node(name);
    const pid = this.livePid(node);
    if (pid !== undefined) {
      killTreesNow([pid]);
      if (!(await waitForExit([pid]))) throw new Error(`test cluster: sshd ${pid} of ${name} did not exit`);
    }
    node.state = 'stopped';
    this.writeNodesJson();
  }

  async startNode(name: string): Promise<void> {
    const node = this.node(name);
    if (node.state === 'paused') this.resumeNode(name);
    if (this.livePid(node) !== undefined) return;
    await this.launch([node], 30_000);
  }

  async restartNode(name: string): Promise<void> {
    await this.stopNode(name);
    await this.startNode(name);
  }

  pauseNode(name: string): void {
    const node = this.node(name);
    const pid = this.livePid(node);
    if (pid === undefined) throw new Error(`test cluster: ${name} is not running`);
    signal(pid, 'SIGSTOP');
    node.state = 'paused';
  }

  resumeNode(name: string): void {
    const node = this.node(name);
    const pid = this.livePid(node);
    if (pid === undefined) throw new Error(`test cluster: ${name} is not running`);
    signal(pid, 'SIGCONT');
    node.state = 'running';
  }

  async regenerateHostKey(name: string): Promise<void> {
    const node = this.node(name);
    const key = generateEd25519(`dust-test-host-${name}`);
    writeFileSync(node.hostKeyPath, key.privateKey, { mode: 0o600 });
    writeFileSync(`${node.hostKeyPath}.pub`, `${key.publicKey}\n`);
    node.hostPublicKey = key.publicKey;
    await this.restartNode(name);
  }

  /** Synchronous teardown for the 'exit' hook: kill everything recorded, remove baseDir unless keep. */
  destroyNow(): void {
    if (this.closed) return;
    this.closed = true;
    liveClusters.delete(this);
    killTreesNow(this.nodes.flatMap((n) => this.livePid(n) ?? []));
    this.stopWatchdog();
    if (!this.settings.keep) removeClusterDir(this.baseDir);
  }

  async down(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    liveClusters.delete(this);
    const pids = this.nodes.flatMap((n) => this.livePid(n) ?? []);
    killTreesNow(pids);
    this.stopWatchdog();
    const exited = await waitForExit(pids);
    for (const node of this.nodes) node.state = 'stopped';
    if (this.settings.keep) this.writeNodesJson();
    else removeClusterDir(this.baseDir);
    if (!exited) throw new Error(`test cluster: some sshds did not exit: ${pids.filter(isAlive).join(' ')}`);
  }

  armCleanup(): void {
    if (this.settings.persistent) return;
    track(this);
    this.watchdog = startWatchdog(this.baseDir, this.settings.keep);
  }

  private stopWatchdog(): void {
    const pid = this.watchdog?.pid;
    if (pid !== undefined) signal(-pid, 'SIGKILL'); // its own process group: the sh and its sleep
    this.watchdog = undefined;
  }
}

function launchFailureMessage(launch: Launch): string {
  let log = '';
  try {
    log = readFileSync(launch.node.logFile, 'utf8').slice(launch.logOffset).trim();
  } catch {
    // no log written
  }
  const { name, host, port } = launch.node;
  return `test cluster: sshd for ${name} (${host}:${port}) failed to start: ${launch.failure}${log ? `\n${log}` : ''}`;
}

function isAddressInUse(err: unknown): boolean {
  return err instanceof Error && /Address already in use|Cannot bind any address/.test(err.message);
}

/** Removes a cluster directory, but only one this harness created (it carries the marker file). */
function removeClusterDir(baseDir: string): void {
  if (existsSync(path.join(baseDir, MARKER_FILE))) rmSync(baseDir, { recursive: true, force: true });
}

/** Creates or reclaims baseDir: it must be new, empty, or a previous cluster dir with no live sshd. */
function prepareBaseDir(requested: string | undefined): string {
  if (requested === undefined) return mkdtempSync(path.join(os.tmpdir(), 'dust-sshd-'));
  const baseDir = path.resolve(requested);
  if (/[\s'"\\]/.test(baseDir)) throw new Error(`test cluster: baseDir must not contain spaces or quotes: ${baseDir}`);
  if (existsSync(baseDir) && readdirSync(baseDir).length > 0) {
    if (!existsSync(path.join(baseDir, MARKER_FILE))) {
      throw new Error(`test cluster: ${baseDir} is not empty and not a test cluster directory; refusing to use it`);
    }
    const old = attachSshdCluster(baseDir);
    const running = old.nodes.filter((n) => n.state !== 'stopped' && isAlive(n.pid) && (cmdlineOf(n.pid) ?? '').includes(n.configPath));
    if (running.length > 0) throw new Error(`test cluster: ${baseDir} still has ${running.length} running sshd(s); run cluster-down first`);
    rmSync(baseDir, { recursive: true, force: true });
  }
  mkdirSync(baseDir, { recursive: true, mode: 0o755 });
  return baseDir;
}

/** 127.0.0.<start>... with a start derived from the pid, so concurrent test processes use different addresses. */
function chooseAddressStart(count: number, requested: number | undefined): number {
  if (count > SMALL_CLUSTER_MAX) return 0; // large clusters: see largeClusterAddress
  const maxStart = 255 - count; // the last node must be <= 127.0.0.254
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > maxStart) {
      throw new Error(`test cluster: addressStart ${requested} with ${count} nodes leaves 127.0.0.1-254`);
    }
    return requested;
  }
  return 2 + (process.pid % (maxStart - 1)); // 2..maxStart; 127.0.0.1 is left to everything else
}

/** Most nodes that fit in 127.0.0.2-254. */
const SMALL_CLUSTER_MAX = 253;
/** Most nodes of one cluster: 254 addresses per /24, 64 of them in one 127.<B>.0.0/16. */
export const MAX_CLUSTER_SIZE = 254 * 64;

/**
 * Address of node i in a cluster of more than 253 nodes: 127.<B>.<i / 254>.<i % 254 + 1>. The whole of 127.0.0.0/8
 * is loopback on Linux, so these need no interface set-up; B moves with the pid so two large clusters of different
 * processes do not meet, and never is 0, where the small clusters live.
 */
export function largeClusterAddress(i: number): string {
  const block = 10 + (process.pid % 100);
  return `127.${block}.${Math.floor(i / 254)}.${(i % 254) + 1}`;
}

function nodeNames(count: number, names: string[] | undefined): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTER_SIZE) throw new Error(`test cluster: count must be 1..${MAX_CLUSTER_SIZE}, got ${count}`);
  const list = names ?? Array.from({ length: count }, (_, i) => `node${i}`);
  if (list.length !== count) throw new Error(`test cluster: ${list.length} names given for count ${count}`);
  for (const name of list) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`test cluster: bad node name ${JSON.stringify(name)}`);
  }
  if (new Set(list).size !== list.length) throw new Error('test cluster: node names must be unique');
  return list;
}

function resolveLoginShell(requested: string | undefined): string {
  const shell = requested ?? os.userInfo().shell ?? '/bin/sh';
  if (!path.isAbsolute(shell)) throw new Error(`test cluster: loginShell must be an absolute path, got ${shell}`);
  try {
    accessSync(shell, constants.X_OK);
  } catch {
    throw new Error(`test cluster: loginShell ${shell} is not installed or not executable`);
  }
  return shell;
}

/** Starts a loopback OpenSSH cluster and resolves once every sshd listens. */
export async function startSshdCluster(opts: StartSshdClusterOptions): Promise<SshdCluster> {
  const started = Date.now();
  const reason = sshdUnavailableReason();
  if (reason !== undefined) throw new Error(`test cluster: ${reason}`);
  const names = nodeNames(opts.count, opts.names);
  const addressStart = chooseAddressStart(names.length, opts.addressStart);
  if (opts.plainSessions && opts.loginShell !== undefined) {
    throw new Error('test cluster: plainSessions runs the passwd shell; loginShell needs the session wrapper');
  }
  const loginShell = resolveLoginShell(opts.loginShell);
  const plainSessions = opts.plainSessions ?? false;
  const persistent = opts.persistent ?? false;
  const keep = persistent || (opts.keep ?? false);
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port > 0 && opts.port < 65536)) {
    throw new Error(`test cluster: bad port ${opts.port}`);
  }

  const baseDir = prepareBaseDir(opts.baseDir);
  writeFileSync(path.join(baseDir, MARKER_FILE), 'created by dust test/harness/sshd-cluster.ts\n');
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privsep chroot

  const clientKeyPath = path.join(baseDir, 'client_ed25519');
  const clientKey = generateEd25519('dust-test-client');
  writeFileSync(clientKeyPath, clientKey.privateKey, { mode: 0o600 });
  chmodSync(clientKeyPath, 0o600); // mode is ignored when the file already existed
  writeFileSync(`${clientKeyPath}.pub`, `${clientKey.publicKey}\n`);
  writeFileSync(path.join(baseDir, 'authorized_keys'), `${clientKey.publicKey}\n`, { mode: 0o600 });
  writeFileSync(path.join(baseDir, 'session-shell.sh'), renderSessionWrapper(loginShell), { mode: 0o755 });

  const nodes: ClusterNode[] = names.map((name, i) => {
    const dir = path.join(baseDir, 'nodes', name);
    const homeDir = path.join(dir, 'home');
    mkdirSync(homeDir, { recursive: true, mode: 0o755 });
    const hostKeyPath = path.join(dir, 'ssh_host_ed25519_key');
    const key = generateEd25519(`dust-test-host-${name}`);
    writeFileSync(hostKeyPath, key.privateKey, { mode: 0o600 });
    writeFileSync(`${hostKeyPath}.pub`, `${key.publicKey}\n`);
    return {
      name,
      host: names.length > SMALL_CLUSTER_MAX ? largeClusterAddress(i) : `127.0.0.${addressStart + i}`,
      port: 0,
      pid: 0,
      homeDir,
      hostKeyPath,
      hostPublicKey: key.publicKey,
      logFile: path.join(dir, 'sshd.log'),
      configPath: path.join(dir, 'sshd_config'),
      pidFile: path.join(dir, 'sshd.pid'),
      state: 'stopped',
    };
  });

  const cluster = new Cluster(nodes, {
    baseDir,
    user: os.userInfo().username,
    clientKeyPath,
    knownHostsPath: path.join(baseDir, 'known_hosts'),
    sshConfigPath: path.join(baseDir, 'ssh_config'),
    loginShell,
    plainSessions,
    maxSessions: opts.maxSessions ?? 1000,
    maxStartups: opts.maxStartups ?? '1000',
    keep,
    persistent,
    ownsProcesses: true,
  });
  const timeoutMs = opts.timeoutMs ?? 30_000 + 100 * nodes.length;
  const hosts = nodes.map((n) => n.host);
  // Another process can grab a port between our probe and sshd's bind: pick another and retry.
  for (let attempt = 1; ; attempt++) {
    try {
      cluster.writeFiles(opts.port ?? (await findFreePort(hosts)));
      await cluster.launch(nodes, timeoutMs);
      break;
    } catch (err) {
      if (opts.port === undefined && attempt < 5 && isAddressInUse(err)) continue;
      if (!keep) removeClusterDir(baseDir);
      throw err;
    }
  }
  cluster.armCleanup();
  cluster.startupMs = Date.now() - started;
  return cluster;
}

/**
 * Takes control of a cluster started elsewhere (cluster-up.sh / cli.ts up) from its nodes.json. Pids are
 * checked against the sshd command line before anything is signalled; restarted nodes are detached.
 * `down()` removes baseDir only with `keep: false`.
 */
export function attachSshdCluster(baseDir: string, opts: { keep?: boolean } = {}): SshdCluster {
  const dir = path.resolve(baseDir);
  const doc = JSON.parse(readFileSync(path.join(dir, 'nodes.json'), 'utf8')) as NodesJson;
  if (doc.version !== NODES_JSON_VERSION) throw new Error(`test cluster: ${dir}/nodes.json has version ${doc.version}, expected ${NODES_JSON_VERSION}`);
  const { version: _version, nodes, ...layout } = doc;
  return new Cluster(nodes, {
    ...layout,
    baseDir: dir,
    plainSessions: doc.plainSessions ?? false,
    keep: opts.keep ?? true,
    persistent: true,
    ownsProcesses: false,
  });
}

