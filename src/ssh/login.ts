/**
 * Decides how to log in to a node: address, port, user, keys, agent, jump hosts or ProxyCommand, and which
 * known_hosts files vouch for it, merging the node's own fields (already shaped by login rules), ssh config
 * (the user's file, then the system one) and defaults. First source that supplies a field wins, as in OpenSSH.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DustNode } from '../inventory/node.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { agentPublicKeys, agentSocketFor, describeIdentities, publicKeyOfFile } from './auth.js';
import type { LoginIdentity } from './auth.js';
import type { HostKeyPolicy, HostKeyScope } from './known-hosts.js';
import type { PrivateKeyStore } from './private-key.js';
import { expandProxyCommand } from './proxy-command.js';
import { expandTilde, lookupHost, resolveHostConfig } from './ssh-config.js';
import type { SshConfigFile, SshHostConfig } from './ssh-config.js';

/** Everything needed to open one SSH connection (a jump host is itself a LoginSpec). */
export interface LoginSpec {
  host: string;
  port: number;
  username: string;
  /** Keys and agent, in the order they are offered (ssh2 authHandler). */
  identities: LoginIdentity[];
  /** ssh-agent socket the agent entries of `identities` use. */
  agent?: string;
  /** The host to tunnel through (its own `jump` continues the chain toward the client). */
  jump?: LoginSpec;
  /** ProxyCommand with its tokens expanded: its stdio is the connection (never together with `jump`). */
  proxyCommand?: string;
  /** Where the user name came from: 'login rule', 'node', 'ssh config', 'default'. */
  source: string;
  /** One line saying where each part came from, for authentication error messages. */
  explain: string;
  /** What ssh config says about this host's keys: policy (StrictHostKeyChecking), files, hashing, alias. */
  hostKeys?: HostKeyScope;
  /** Seconds, from ssh config ConnectTimeout. */
  connectTimeout?: number;
  /** Seconds, from ssh config ServerAliveInterval. */
  serverAliveInterval?: number;
}

export interface ResolveLoginOptions {
  sshConfig: SshConfigFile;
  keys: PrivateKeyStore;
  env?: NodeJS.ProcessEnv;
  /** Dust's configured default user; falls back to the local user name. */
  defaultUser?: string;
  /** Label for values taken from the node's fields: 'login rule' when the inventory applied one. Default 'node'. */
  nodeLabel?: string;
}

/** Where a node is and how its host key is looked up, without touching any key (no passphrase prompt). */
export interface LoginEndpoint {
  host: string;
  port: number;
  username: string;
  /** Where the user name came from. */
  userSource: string;
  hostKeys: HostKeyScope;
  /** The ssh config settings that apply to the node. */
  config: SshHostConfig;
  /** `user x (ssh config)`, `port 2200 (node)`, ... */
  parts: string[];
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** A ProxyJump chain longer than this is almost certainly a config loop (`Host *` with ProxyJump). */
const MAX_JUMP_DEPTH = 8;

/** Address, port, user and host-key scope of a node (ssh config's Match exec commands run here, once each). */
export async function resolveEndpoint(node: DustNode, opts: Omit<ResolveLoginOptions, 'keys' | 'env'>): Promise<LoginEndpoint> {
  const cfg = opts.sshConfig;
  const nodeLabel = opts.nodeLabel ?? 'node';
  // node.host acts like the word after `ssh`: a Host alias whose HostName names the real address.
  const byHost = await resolveHostConfig(cfg, node.host);
  const host = byHost.hostName ?? node.host;
  // Other settings come from blocks matching the node's name or its host, in file order, so a
  // specific block beats a later `Host *` whichever name it uses.
  // DustNode.port is always set; 22 is treated as "not chosen", so ssh config Port can apply.
  const nodePort = node.port !== 22 ? node.port : undefined;
  const merged = await resolveHostConfig(cfg, node.name, {
    alsoMatch: node.host !== node.name ? [node.host] : [],
    hostName: host,
    ...(node.user !== undefined ? { user: node.user } : {}),
    ...(nodePort !== undefined ? { port: nodePort } : {}),
  });
  const parts: string[] = [];
  const [username, userSource] = pick([node.user, nodeLabel], [merged.user, 'ssh config'], [opts.defaultUser ?? cfg.localUser, 'default']);
  parts.push(`user ${username} (${userSource})`);
  const [port, portSource] = pick([nodePort, nodeLabel], [merged.port, 'ssh config'], [22, 'default']);
  if (portSource !== 'default') parts.push(`port ${port} (${portSource})`);
  if (host !== node.host) parts.push(`HostName ${host} (ssh config)`);
  return { host, port, username, userSource, hostKeys: hostKeyScope(merged), config: merged, parts };
}

/** Resolves the login for a node. Throws DustError (DUST_SSH_KEY) when a configured key is unusable. */
export async function resolveLogin(node: DustNode, opts: ResolveLoginOptions): Promise<LoginSpec> {
  const cfg = opts.sshConfig;
  const nodeLabel = opts.nodeLabel ?? 'node';
  const ep = await resolveEndpoint(node, opts);
  const merged = ep.config;
  const ctx: ResolveContext = { cfg, keys: opts.keys, env: opts.env ?? process.env, defaultUser: opts.defaultUser };
  const parts = [...ep.parts];

  const explicitKey = node.identityFile !== undefined ? expandTilde(node.identityFile, cfg.home) : undefined;
  const auth = await chooseAuth(ctx, explicitKey, nodeLabel, merged);
  parts.push(auth.explain);

  const spec: LoginSpec = {
    host: ep.host, port: ep.port, username: ep.username, source: ep.userSource, explain: '', ...auth.fields, hostKeys: ep.hostKeys,
  };
  // The node's own proxyJump is like `ssh -J`: it comes before anything in ssh config, ProxyCommand included.
  const jumpText = node.proxyJump ?? (merged.proxyCommand === undefined ? merged.proxyJump : undefined);
  if (jumpText !== undefined && jumpText.toLowerCase() !== 'none') {
    const jump = await resolveJumpChain(jumpText, ctx, 0, new Set([aliasKey(node.host, ep.port)]));
    if (jump) {
      spec.jump = jump;
      parts.push(`via ${describeChain(jump)} (${node.proxyJump !== undefined ? nodeLabel : 'ssh config'})`);
    }
  } else if (node.proxyJump === undefined && merged.proxyCommand !== undefined) {
    spec.proxyCommand = expandProxyCommand(merged.proxyCommand, { h: ep.host, p: ep.port, r: ep.username, n: node.name });
    parts.push('via ProxyCommand (ssh config)');
  }
  applyTuning(spec, merged);
  spec.explain = parts.join(', ');
  return spec;
}

/** `[ssh://][user@]host[:port]`, IPv6 in brackets. */
export function parseJumpHop(text: string): { user?: string; host: string; port?: number } {
  let t = text.trim().replace(/^ssh:\/\//, '');
  const out: { user?: string; host: string; port?: number } = { host: '' };
  const at = t.lastIndexOf('@');
  if (at >= 0) {
    out.user = t.slice(0, at);
    t = t.slice(at + 1);
  }
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    out.host = bracket[1]!;
    if (bracket[2] !== undefined) out.port = Number(bracket[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(t);
    if (m) {
      out.host = m[1]!;
      out.port = Number(m[2]);
    } else {
      out.host = t;
    }
  }
  if (out.host === '' || (out.port !== undefined && (out.port < 1 || out.port > 65535))) {
    throw new DustError(ErrorCodes.ConfigInvalid, `Invalid jump host "${text}"`, {
      hint: 'ProxyJump takes [user@]host[:port], comma-separated for a chain',
    });
  }
  return out;
}

interface ResolveContext {
  cfg: SshConfigFile;
  keys: PrivateKeyStore;
  env: NodeJS.ProcessEnv;
  defaultUser: string | undefined;
}

/**
 * `a,b` means: connect to a, through it to b, through b to the target. So the target's jump is b,
 * and b's jump is a. Only the first hop's own ssh-config ProxyJump applies (as with `ssh -J`).
 */
async function resolveJumpChain(text: string, ctx: ResolveContext, depth: number, seen: Set<string>): Promise<LoginSpec | undefined> {
  const hops = text.split(',').map((h) => h.trim()).filter((h) => h !== '');
  let previous: LoginSpec | undefined;
  for (let i = 0; i < hops.length; i++) {
    previous = await resolveHop(hops[i]!, ctx, i === 0 ? undefined : previous, i === 0, depth, seen);
  }
  return previous;
}

async function resolveHop(
  text: string, ctx: ResolveContext, jump: LoginSpec | undefined, useOwnProxyJump: boolean, depth: number, seen: Set<string>,
): Promise<LoginSpec> {
  if (depth >= MAX_JUMP_DEPTH) {
    throw new DustError(ErrorCodes.ConfigInvalid, `ProxyJump chain is more than ${MAX_JUMP_DEPTH} hops deep at "${text}"`, {
      hint: 'a `Host *` block with ProxyJump also matches the jump host itself; add `ProxyJump none` to the jump host\'s block',
    });
  }
  const hop = parseJumpHop(text);
  const c = await resolveHostConfig(ctx.cfg, hop.host, {
    ...(hop.user !== undefined ? { user: hop.user } : {}),
    ...(hop.port !== undefined ? { port: hop.port } : {}),
  });
  const host = c.hostName ?? hop.host;
  const port = hop.port ?? c.port ?? 22;
  const [username, source] = pick([hop.user, 'jump host'], [c.user, 'ssh config'], [ctx.defaultUser ?? ctx.cfg.localUser, 'default']);
  const auth = await chooseAuth(ctx, undefined, 'jump host', c);
  const spec: LoginSpec = { host, port, username, source, explain: '', ...auth.fields, hostKeys: hostKeyScope(c) };
  const key = aliasKey(hop.host, port);
  let via = '';
  if (jump) {
    spec.jump = jump;
  } else if (useOwnProxyJump && c.proxyCommand !== undefined) {
    // The first hop is reached as `ssh hop` would reach it, ProxyCommand included (AWS SSM to a bastion).
    spec.proxyCommand = expandProxyCommand(c.proxyCommand, { h: host, p: port, r: username, n: hop.host });
    via = ', via ProxyCommand (ssh config)';
  } else if (useOwnProxyJump && c.proxyJump !== undefined && !seen.has(key)) {
    // A jump host that would jump through itself (a `Host *` ProxyJump) connects directly instead.
    const selfLoop = c.proxyJump.split(',').some((h) => sameHop(h, hop.host, ctx.cfg));
    if (!selfLoop) {
      const inner = await resolveJumpChain(c.proxyJump, ctx, depth + 1, new Set([...seen, key]));
      if (inner) spec.jump = inner;
    }
  }
  applyTuning(spec, c);
  spec.explain = `user ${username} (${source}), ${auth.explain}${via}`;
  return spec;
}

function sameHop(text: string, alias: string, cfg: SshConfigFile): boolean {
  try {
    const h = parseJumpHop(text).host;
    return h === alias || (lookupHost(cfg, h).hostName ?? h) === (lookupHost(cfg, alias).hostName ?? alias);
  } catch {
    return false;
  }
}

interface AuthChoice { fields: { identities: LoginIdentity[]; agent?: string }; explain: string }

/**
 * The keys to offer, in order, as OpenSSH orders them: the explicit key (node/login rule, like `ssh -i`), then
 * ssh config IdentityFiles (missing ones skipped; configured files replace the defaults), then the agent's
 * other keys unless IdentitiesOnly. A passphrase-protected key the agent holds is used through the agent, so
 * it is never prompted for; an encrypted default key is not prompted for when an agent is there (it most
 * likely holds it), nor an encrypted ssh-config key when an explicit key was given (that one is meant).
 */
async function chooseAuth(ctx: ResolveContext, explicitKey: string | undefined, explicitLabel: string, c: SshHostConfig): Promise<AuthChoice> {
  const socket = agentSocketFor(c.identityAgent, ctx.env);
  const agentKeys = socket !== undefined ? await agentPublicKeys(socket) : undefined;
  const agent = agentKeys !== undefined ? socket : undefined;
  const notes: string[] = [];
  if (socket !== undefined && agent === undefined) notes.push(`ssh-agent at ${socket} not reachable`);

  const candidates: Array<{ file: string; label: string; optionalIfEncrypted: boolean }> = [];
  if (explicitKey !== undefined) candidates.push({ file: explicitKey, label: explicitLabel, optionalIfEncrypted: false });
  const missing = c.identityFiles.filter((f) => !exists(f));
  for (const f of c.identityFiles) {
    if (exists(f) && f !== explicitKey) candidates.push({ file: f, label: 'ssh config', optionalIfEncrypted: explicitKey !== undefined });
  }
  if (missing.length > 0) notes.push(`ssh config IdentityFile ${missing.join(', ')} not found`);
  if (explicitKey === undefined && c.identityFiles.length === 0) {
    for (const name of DEFAULT_KEYS) {
      const file = path.join(ctx.cfg.home, '.ssh', name);
      if (exists(file)) candidates.push({ file, label: 'default', optionalIfEncrypted: agent !== undefined });
    }
  }

  const identities: LoginIdentity[] = [];
  const offered: Buffer[] = [];
  for (const cand of candidates) {
    // isEncrypted is false for a missing file, so a missing explicit key fails in load() with its own message.
    if (await ctx.keys.isEncrypted(cand.file)) {
      const pub = publicKeyOfFile(cand.file);
      if (agent !== undefined && pub !== undefined && agentKeys!.some((k) => k.equals(pub))) {
        identities.push({ kind: 'agent-key', file: cand.file, publicKey: pub, label: cand.label });
        offered.push(pub);
        continue;
      }
      if (cand.optionalIfEncrypted) continue;
    }
    const k = await ctx.keys.load(cand.file);
    identities.push({ kind: 'key', file: k.file, privateKey: k.material, signer: k.signer, label: cand.label });
    offered.push(k.publicKey);
  }
  if (agent !== undefined && c.identitiesOnly !== true) {
    const others = agentKeys!.filter((k) => !offered.some((o) => o.equals(k))).length;
    if (others > 0) identities.push({ kind: 'agent', exclude: offered, count: others });
  }
  const fields: AuthChoice['fields'] = { identities };
  if (agent !== undefined && identities.some((i) => i.kind !== 'key')) fields.agent = agent;
  const offeredText = identities.length > 0
    ? describeIdentities(identities, ctx.cfg.home)
    : candidates.length === 0 && c.identityFiles.length === 0 && explicitKey === undefined
      ? 'no key (none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa usable)'
      : 'no key';
  return { fields, explain: [offeredText, ...notes].join('; ') };
}

/** The host-key settings ssh config gives a host. */
function hostKeyScope(c: SshHostConfig): HostKeyScope {
  const scope: HostKeyScope = {};
  const policy = policyFromStrictHostKeyChecking(c.strictHostKeyChecking);
  if (policy !== undefined) scope.policy = policy;
  if (c.userKnownHostsFiles !== undefined) scope.userKnownHostsFiles = c.userKnownHostsFiles;
  if (c.globalKnownHostsFiles !== undefined) scope.globalKnownHostsFiles = c.globalKnownHostsFiles;
  if (c.hashKnownHosts !== undefined) scope.hashNewEntries = c.hashKnownHosts;
  if (c.hostKeyAlias !== undefined) scope.hostKeyAlias = c.hostKeyAlias;
  return scope;
}

function applyTuning(spec: LoginSpec, c: SshHostConfig): void {
  if (c.connectTimeout !== undefined) spec.connectTimeout = c.connectTimeout;
  if (c.serverAliveInterval !== undefined) spec.serverAliveInterval = c.serverAliveInterval;
}

/** `ask` has no equivalent (dust never blocks on a host-key prompt), so it leaves dust's policy alone. */
export function policyFromStrictHostKeyChecking(v: string | undefined): HostKeyPolicy | undefined {
  switch (v) {
    case 'yes': case 'true': return 'strict';
    case 'accept-new': return 'accept-new';
    case 'no': case 'off': case 'false': return 'off';
    default: return undefined;
  }
}

/** `user@host:port → user@host:port → ...` from the client outward. */
export function describeChain(spec: LoginSpec): string {
  const me = `${spec.username}@${spec.host}${spec.port === 22 ? '' : `:${spec.port}`}`;
  return spec.jump ? `${describeChain(spec.jump)} → ${me}` : me;
}

function pick<T, L extends string>(...options: Array<[T | undefined, L]>): [T, L] {
  for (const [v, label] of options) if (v !== undefined) return [v, label];
  const last = options[options.length - 1]!;
  return last as [T, L];
}

function aliasKey(host: string, port: number): string {
  return `${host.toLowerCase()}:${port}`;
}

function exists(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
