/** Shared wiring for the session tests: harness nodes as DustNodes, logins with the cluster key, host keys from the harness. */
import { existsSync, readFileSync } from 'node:fs';
import type { DustNode } from '../../src/inventory/node.js';
import { SessionManager, type SessionManagerOptions } from '../../src/sessions/index.js';
import { SshTransport, type SshTransportOptions } from '../../src/ssh/index.js';

/** Options of the manager and of its SSH transport, as one bag (what the tests tune). */
export type ManagerExtras = Partial<Omit<SessionManagerOptions, 'transports'>> & Partial<SshTransportOptions>;
import { requireSshd, startSshdCluster, type SshdCluster, type StartSshdClusterOptions } from '../harness/sshd-cluster.js';

export function dustNode(name: string, host: string, port: number, index = 1): DustNode {
  return {
    index, name, source: 'static', cluster: undefined, state: 'running', host, port, user: undefined,
    identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props: {},
  };
}

export function clusterNodes(cluster: SshdCluster): DustNode[] {
  return cluster.nodes.map((n, i) => dustNode(n.name, n.host, n.port, i + 1));
}

export interface Collected {
  background: { node: string; line: string }[];
  events: { type: string; node: string; reason?: string }[];
}

/** A SessionManager that logs in with the cluster's key and trusts exactly the harness's host keys. */
export function managerFor(cluster: SshdCluster, extra: ManagerExtras = {}): { sm: SessionManager; seen: Collected; transport: SshTransport } {
  const key = readFileSync(cluster.clientKeyPath);
  const seen: Collected = { background: [], events: [] };
  const { resolveLogin, verifyHostKey, connectTimeoutMs, maxConcurrentHandshakes, maxPendingConnections, keepaliveIntervalMs, onClose, ...managerOpts } = extra;
  const transport = new SshTransport({
    resolveLogin: resolveLogin ?? ((node) => Promise.resolve({ host: node.host, port: node.port, username: cluster.user, privateKey: key })),
    verifyHostKey: verifyHostKey ?? ((host, port, k) => {
      const n = cluster.nodes.find((c) => c.host === host && c.port === port);
      const expected = n ? Buffer.from(n.hostPublicKey.split(/\s+/)[1] ?? '', 'base64') : undefined;
      return expected && expected.equals(k) ? { ok: true } : { ok: false, error: new Error(`host key mismatch for ${host}:${port}`) };
    }),
    connectTimeoutMs: connectTimeoutMs ?? 20000,
    ...(maxConcurrentHandshakes === undefined ? {} : { maxConcurrentHandshakes }),
    ...(maxPendingConnections === undefined ? {} : { maxPendingConnections }),
    ...(keepaliveIntervalMs === undefined ? {} : { keepaliveIntervalMs }),
    ...(onClose === undefined ? {} : { onClose }),
  });
  const sm = new SessionManager({
    transports: [transport],
    shellStartTimeoutMs: connectTimeoutMs ?? 20000,
    onBackgroundLine: (node, line) => seen.background.push({ node: node.name, line }),
    onEvent: (e) => seen.events.push({ type: e.type, node: e.node.name, ...(e.reason ? { reason: e.reason } : {}) }),
    ...managerOpts,
  });
  return { sm, seen, transport };
}

/** Resolves once `check` holds (polling), or rejects after `timeoutMs` with `what`. */
export { eventually } from '../helpers/eventually.js';

export interface SessionFixture {
  cluster: SshdCluster;
  sm: SessionManager;
  seen: Collected;
  nodes: DustNode[];
}

/**
 * Registers before/after hooks on the enclosing suite: a harness cluster and a SessionManager on it (closed
 * after). `prepare` runs on the started cluster before the manager exists (e.g. to rewrite the session wrapper).
 */
export function useSessionCluster(
  opts: StartSshdClusterOptions,
  extra: ManagerExtras = {},
  prepare?: (cluster: SshdCluster) => void,
): SessionFixture {
  const fixture = {} as SessionFixture;
  before(async function () {
    requireSshd(this);
    fixture.cluster = await startSshdCluster(opts);
    prepare?.(fixture.cluster);
    Object.assign(fixture, managerFor(fixture.cluster, extra));
    fixture.nodes = clusterNodes(fixture.cluster);
  });
  after(async () => {
    await fixture.sm?.closeAll();
    await fixture.cluster?.down();
  });
  return fixture;
}

/**
 * Types `keys` until `done` holds (each try waits `everyMs`). For programs that may drop keys typed while they
 * handle an earlier interrupt (vim flushes its typeahead on ^C, as on any terminal).
 */
export async function typeUntil(type: (s: string) => void, keys: string, done: () => boolean, what: string, tries = 6, everyMs = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    type(keys);
    const end = Date.now() + everyMs;
    while (Date.now() < end) {
      if (done()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * One sshd node whose login shell is `shell`, and a session manager for it, for the life of the enclosing
 * describe. Skipped where the shell is not installed; in CI (which installs every one) a missing shell fails.
 */
export function useLoginShellNode(shell: string): { readonly cluster: SshdCluster; readonly sm: SessionManager } {
  const f = {} as { cluster: SshdCluster; sm: SessionManager };
  before(async function () {
    requireSshd(this);
    if (!existsSync(shell)) {
      if (process.env['CI']) throw new Error(`${shell} is missing; .ci/run should have installed it`);
      this.skip();
    }
    f.cluster = await startSshdCluster({ count: 1, loginShell: shell });
    ({ sm: f.sm } = managerFor(f.cluster));
  });
  after(async () => {
    await f.sm?.closeAll();
    await f.cluster?.down();
  });
  return f;
}
