/**
 * The demo cluster behind the README's first command: SSH nodes embedded in the dust process (no sshd, no
 * AWS account needed), each with its own loopback address, persistent host key and sandbox home. Sessions are
 * local shells run as the user (node-pty), so every dust feature works on them for real.
 *
 * Cost, measured on a 2-core Linux VM (Node 20, ssh2 and node-pty already loaded): 6 idle nodes add < 1 MiB RSS
 * (~0.3 MiB heap) and no measurable CPU over 30 s — listeners only, no timers, no process per node until a
 * session opens; each open shell session is then one bash (~4 MiB RSS) in its own pty.
 */
import { rmSync } from 'node:fs';
import os from 'node:os';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import path from 'node:path';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import {
  DEFAULT_DEMO_BASE_PORT,
  defaultAddress,
  loopbackAliasesWork,
  readSavedAddresses,
  writeSavedAddresses,
  type NodeAddress,
} from './addresses.js';
import { loadOrCreateKey } from './keys.js';
import { demoNodePaths, ensurePrivateDir, writeDemoNodeFiles, writeHostname } from './node-files.js';
import { DemoNodeServer } from './node-server.js';
import { loadNodePty } from './node-pty.js';

/** A node to create. */
export interface DemoNodeSpec {
  name: string;
  /** What `hostname` prints and the prompt shows (default: name). */
  hostname?: string;
  cluster?: string;
  tags?: Record<string, string>;
  /** More public keys (OpenSSH lines) allowed to log in besides the demo's client key. */
  authorizedKeys?: readonly string[];
}

/** A running (or stopped) demo node, as an SSH client sees it. */
export interface DemoNode {
  name: string;
  /** 127.0.0.x */
  host: string;
  port: number;
  /** `ssh-ed25519 AAAA...` (no comment). */
  hostPublicKey: string;
  /** The sandbox home every session starts in. */
  homeDir: string;
  /** False between stopNode and startNode. */
  readonly running: boolean;
  /** What `hostname` prints on it. */
  readonly hostname: string;
  /** Copied from the spec. */
  cluster?: string;
  tags: Record<string, string>;
}

export interface DemoCluster {
  /** Where keys, node homes and nodes.json live. */
  dir: string;
  /** The local user sessions run as (any username is accepted on login). */
  user: string;
  /** OpenSSH-format private key (0600) that every node accepts; `.pub` next to it. */
  clientKeyPath: string;
  nodes: DemoNode[];
  /** `[127.0.0.x]:port ssh-ed25519 AAAA...`, one per node. */
  knownHostsLines(): string[];
  /** Closes the listener and every open connection of that node and kills its processes (an instance stopping). */
  stopNode(name: string): Promise<void>;
  /**
   * Listens again with the same host key, on the same address and port; no-op when running. `at`: listen there
   * instead (a launched instance that got a new address), else on another free port of that address, else on
   * 127.0.0.1; the node's host and port follow.
   */
  startNode(name: string, at?: NodeAddress): Promise<void>;
  /**
   * A node added while the demo runs (an instance launched in the emulator), under `<dir>/instances/<name>`:
   * created stopped (startNode brings it up), never remembered in nodes.json.
   */
  addNode(spec: DemoNodeSpec): DemoNode;
  /** Stops a node and forgets it; an added node's files are deleted (a terminated instance). */
  removeNode(name: string): Promise<void>;
  /** Changes what `hostname` prints on the node (a launched instance named after launch). */
  renameHost(name: string, hostname: string): void;
  /** Stops every node. Idempotent. */
  close(): Promise<void>;
}

export interface StartDemoClusterOptions {
  /** e.g. `$DUST_HOME/demo`; created 0700. */
  dir: string;
  nodes: DemoNodeSpec[];
  /** First node's preferred port (then +1 per node). Default 12220. */
  basePort?: number;
  /** One loopback address per node (127.0.0.2, .3 ...). Default: when the OS allows it (Linux), else all on 127.0.0.1. */
  loopbackAliases?: boolean;
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** An OpenSSH public key line as ssh2 parses it; undefined when it is not one. */
function parsePublicKey(line: string): ParsedKey | undefined {
  const parsed = ssh2.utils.parseKey(line);
  return parsed instanceof Error || Array.isArray(parsed) ? undefined : parsed;
}

function demoError(message: string, cause: unknown): DustError {
  return new DustError(ErrorCodes.DemoFailed, message, {
    hint: 'free the port or delete the demo directory and try again',
    cause,
  });
}

/** Listens on `preferred`, else on another free port of the same address, else on 127.0.0.1. */
async function listenSomewhere(server: DemoNodeServer, preferred: NodeAddress): Promise<void> {
  const attempts: NodeAddress[] = [preferred, { host: preferred.host, port: 0 }];
  if (preferred.host !== '127.0.0.1') attempts.push({ host: '127.0.0.1', port: preferred.port }, { host: '127.0.0.1', port: 0 });
  let lastError: unknown;
  for (const attempt of attempts) {
    try {
      await server.listen(attempt.host, attempt.port);
      return;
    } catch (err) {
      lastError = err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') break;
    }
  }
  throw demoError(`demo node ${server.name} cannot listen on ${preferred.host}: ${String(lastError)}`, lastError);
}

/**
 * Starts one embedded SSH server per node. Keys are created on the first run and reused afterwards, as are
 * the nodes' addresses when still free.
 */
export async function startDemoCluster(opts: StartDemoClusterOptions): Promise<DemoCluster> {
  await loadNodePty(); // first: without it no node could open a terminal, so say so before anything starts
  const dir = path.resolve(opts.dir);
  const basePort = opts.basePort ?? DEFAULT_DEMO_BASE_PORT;
  const seen = new Set<string>();
  for (const spec of opts.nodes) {
    if (!NODE_NAME.test(spec.name)) throw new Error(`invalid demo node name: ${JSON.stringify(spec.name)}`);
    if (seen.has(spec.name)) throw new Error(`duplicate demo node name: ${spec.name}`);
    seen.add(spec.name);
  }

  let clientKeyPath: string;
  let clientKey: ReturnType<typeof loadOrCreateKey>;
  try {
    ensurePrivateDir(dir);
    ensurePrivateDir(path.join(dir, 'nodes'));
    clientKeyPath = path.join(dir, 'client_ed25519');
    clientKey = loadOrCreateKey(clientKeyPath, 'dust-demo-client');
  } catch (err) {
    throw demoError(`cannot prepare the demo directory ${dir}: ${String(err)}`, err);
  }

  const user = os.userInfo().username;
  const statePath = path.join(dir, 'nodes.json');
  const saved = readSavedAddresses(statePath);
  const aliases = opts.loopbackAliases ?? (await loopbackAliasesWork());

  const servers = new Map<string, DemoNodeServer>();
  const nodes: DemoNode[] = [];
  const close = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    // Launched instances live as long as the in-process emulator that launched them.
    rmSync(path.join(dir, 'instances'), { recursive: true, force: true });
  };

  const paths = new Map<string, ReturnType<typeof demoNodePaths>>();
  const added = new Set<string>();
  /** Creates a node's files, keys and server (not listening yet). */
  const createNode = (spec: DemoNodeSpec, group: 'nodes' | 'instances'): { node: DemoNode; server: DemoNodeServer } => {
    if (!NODE_NAME.test(spec.name)) throw new Error(`invalid demo node name: ${JSON.stringify(spec.name)}`);
    if (servers.has(spec.name)) throw new Error(`duplicate demo node name: ${spec.name}`);
    const nodePaths = demoNodePaths(dir, spec.name, group);
    const hostname = spec.hostname ?? spec.name;
    writeDemoNodeFiles(nodePaths, hostname);
    const hostKey = loadOrCreateKey(nodePaths.hostKeyPath, `dust-demo-${spec.name}`);
    const server = new DemoNodeServer({
      name: spec.name,
      hostname,
      hostKey: hostKey.privateKey,
      clientKey: clientKey.parsed,
      extraClientKeys: (spec.authorizedKeys ?? []).map(parsePublicKey).filter((k): k is ParsedKey => k !== undefined),
      homeDir: nodePaths.homeDir,
      binDir: nodePaths.binDir,
      user,
    });
    servers.set(spec.name, server);
    paths.set(spec.name, nodePaths);
    const node: DemoNode = {
      name: spec.name,
      host: '127.0.0.1',
      port: 0,
      hostPublicKey: hostKey.publicKey,
      homeDir: nodePaths.homeDir,
      get running() {
        return server.running;
      },
      get hostname() {
        return server.hostname;
      },
      tags: { ...spec.tags },
      ...(spec.cluster !== undefined ? { cluster: spec.cluster } : {}),
    };
    nodes.push(node);
    return { node, server };
  };

  try {
    for (const [index, spec] of opts.nodes.entries()) {
      const { node, server } = createNode(spec, 'nodes');
      const remembered = saved.get(spec.name);
      const usable = remembered && (aliases || remembered.host === '127.0.0.1') ? remembered : undefined;
      await listenSomewhere(server, usable ?? defaultAddress(index, basePort, aliases));
      const address = server.address as NodeAddress;
      node.host = address.host;
      node.port = address.port;
    }
    writeSavedAddresses(statePath, new Map(nodes.map((n) => [n.name, { host: n.host, port: n.port }])));
  } catch (err) {
    await close();
    throw err instanceof DustError ? err : demoError(`cannot start the demo cluster: ${String(err)}`, err);
  }

  // Instances of an earlier run: that emulator and its instances are gone.
  rmSync(path.join(dir, 'instances'), { recursive: true, force: true });

  const serverOf = (name: string): DemoNodeServer => {
    const server = servers.get(name);
    if (!server) throw new Error(`no demo node named ${name}`);
    return server;
  };

  return {
    dir,
    user,
    clientKeyPath,
    nodes,
    knownHostsLines: () => nodes.filter((n) => n.port > 0).map((n) => `[${n.host}]:${n.port} ${n.hostPublicKey}`),
    stopNode: (name) => serverOf(name).stop(),
    async startNode(name, at) {
      const server = serverOf(name);
      if (server.running) return;
      const node = nodes.find((n) => n.name === name) as DemoNode;
      if (at) {
        await listenSomewhere(server, at);
        const address = server.address as NodeAddress;
        node.host = address.host;
        node.port = address.port;
        return;
      }
      try {
        await server.listen(node.host, node.port);
      } catch (err) {
        throw demoError(`demo node ${name} cannot listen on ${node.host}:${node.port} again: ${String(err)}`, err);
      }
    },
    addNode(spec) {
      try {
        ensurePrivateDir(path.join(dir, 'instances'));
        const { node } = createNode(spec, 'instances');
        added.add(spec.name);
        return node;
      } catch (err) {
        throw err instanceof DustError ? err : demoError(`cannot add demo node ${spec.name}: ${String(err)}`, err);
      }
    },
    async removeNode(name) {
      const server = servers.get(name);
      if (!server) return;
      await server.stop();
      servers.delete(name);
      const index = nodes.findIndex((n) => n.name === name);
      if (index >= 0) nodes.splice(index, 1);
      const nodePaths = paths.get(name);
      paths.delete(name);
      if (added.delete(name) && nodePaths) rmSync(nodePaths.nodeDir, { recursive: true, force: true });
    },
    renameHost(name, hostname) {
      const server = serverOf(name);
      const nodePaths = paths.get(name);
      if (server.hostname === hostname || !nodePaths) return;
      server.hostname = hostname;
      writeHostname(nodePaths, hostname);
    },
    close,
  };
}
