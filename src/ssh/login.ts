/**
 * Decides how to log in to a node: address, port, user, key, agent and jump hosts, merging the
 * node's own fields (already shaped by login rules), the user's ~/.ssh/config and defaults.
 * First source that supplies a field wins, as in OpenSSH.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DustNode } from '../inventory/node.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { HostKeyPolicy } from './known-hosts.js';
import type { PrivateKeyStore } from './private-key.js';
import { expandTilde, lookupHost } from './ssh-config.js';
import type { SshConfigFile, SshHostConfig } from './ssh-config.js';

/** Everything needed to open one SSH connection (a jump host is itself a LoginSpec). */
export interface LoginSpec {
  host: string;
  port: number;
  username: string;
  /** Unencrypted key text for ssh2's `privateKey`. */
  privateKey?: Buffer;
  /** Path of the key in `privateKey`, for messages. */
  identityFile?: string;
  /** ssh-agent socket (SSH_AUTH_SOCK) for ssh2's `agent`. */
  agent?: string;
  /** The host to tunnel through (its own `jump` continues the chain toward the client). */
  jump?: LoginSpec;
  /** Where the user name came from: 'login rule', 'node', 'ssh config', 'default'. */
  source: string;
  /** One line saying where each part came from, for authentication error messages. */
  explain: string;
  /** From ssh config StrictHostKeyChecking, when set: overrides dust's policy for this host. */
  hostKeyPolicy?: HostKeyPolicy;
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

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** A ProxyJump chain longer than this is almost certainly a config loop (`Host *` with ProxyJump). */
const MAX_JUMP_DEPTH = 8;

/** Resolves the login for a node. Throws DustError (DUST_SSH_KEY) when a configured key is unusable. */
export async function resolveLogin(node: DustNode, opts: ResolveLoginOptions): Promise<LoginSpec> {
  const cfg = opts.sshConfig;
  const nodeLabel = opts.nodeLabel ?? 'node';
  // node.host acts like the word after `ssh`: a Host alias whose HostName names the real address.
  const byHost = lookupHost(cfg, node.host);
  const host = byHost.hostName ?? node.host;
  // Other settings come from blocks matching the node's name or its host, in file order, so a
  // specific block beats a later `Host *` whichever name it uses.
  // DustNode.port is always set; 22 is treated as "not chosen", so ssh config Port can apply.
  const nodePort = node.port !== 22 ? node.port : undefined;
  const merged = lookupHost(cfg, node.name, {
    alsoMatch: node.host !== node.name ? [node.host] : [],
    hostName: host,
    ...(node.user !== undefined ? { user: node.user } : {}),
    ...(nodePort !== undefined ? { port: nodePort } : {}),
  });

  const ctx: ResolveContext = { cfg, keys: opts.keys, env: opts.env ?? process.env, defaultUser: opts.defaultUser };
  const parts: string[] = [];

  const [username, userSource] = pick([node.user, nodeLabel], [merged.user, 'ssh config'], [opts.defaultUser ?? cfg.localUser, 'default']);
  parts.push(`user ${username} (${userSource})`);
  const [port, portSource] = pick([nodePort, nodeLabel], [merged.port, 'ssh config'], [22, 'default']);
  if (portSource !== 'default') parts.push(`port ${port} (${portSource})`);
  if (host !== node.host) parts.push(`HostName ${host} (ssh config)`);

  const explicitKey = node.identityFile !== undefined ? expandTilde(node.identityFile, cfg.home) : undefined;
  const auth = await chooseAuth(ctx, explicitKey, nodeLabel, merged);
  parts.push(auth.explain);

  const spec: LoginSpec = { host, port, username, source: userSource, explain: '', ...auth.fields };
  const jumpText = node.proxyJump ?? merged.proxyJump;
  if (jumpText !== undefined && jumpText.toLowerCase() !== 'none') {
    const jump = await resolveJumpChain(jumpText, ctx, 0, new Set([aliasKey(node.host, port)]));
    if (jump) {
      spec.jump = jump;
      parts.push(`via ${describeChain(jump)} (${node.proxyJump !== undefined ? nodeLabel : 'ssh config'})`);
    }
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
  const c = lookupHost(ctx.cfg, hop.host, {
    ...(hop.user !== undefined ? { user: hop.user } : {}),
    ...(hop.port !== undefined ? { port: hop.port } : {}),
  });
  const host = c.hostName ?? hop.host;
  const port = hop.port ?? c.port ?? 22;
  const [username, source] = pick([hop.user, 'jump host'], [c.user, 'ssh config'], [ctx.defaultUser ?? ctx.cfg.localUser, 'default']);
  const auth = await chooseAuth(ctx, undefined, 'jump host', c);
  const spec: LoginSpec = { host, port, username, source, explain: '', ...auth.fields };
  const key = aliasKey(hop.host, port);
  if (jump) {
    spec.jump = jump;
  } else if (useOwnProxyJump && c.proxyJump !== undefined && !seen.has(key)) {
    // A jump host that would jump through itself (a `Host *` ProxyJump) connects directly instead.
    const selfLoop = c.proxyJump.split(',').some((h) => sameHop(h, hop.host, ctx.cfg));
    if (!selfLoop) {
      const inner = await resolveJumpChain(c.proxyJump, ctx, depth + 1, new Set([...seen, key]));
      if (inner) spec.jump = inner;
    }
  }
  applyTuning(spec, c);
  spec.explain = `user ${username} (${source}), ${auth.explain}`;
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

interface AuthChoice { fields: { privateKey?: Buffer; identityFile?: string; agent?: string }; explain: string }

/**
 * Key choice. An explicit key (node/login rule) must load; missing ssh-config IdentityFiles are skipped
 * (OpenSSH does too) and, as in OpenSSH, configured files replace the defaults. An encrypted default key
 * is not prompted for when an agent is available: the agent most likely holds it.
 */
async function chooseAuth(ctx: ResolveContext, explicitKey: string | undefined, explicitLabel: string, c: SshHostConfig): Promise<AuthChoice> {
  const sock = ctx.env['SSH_AUTH_SOCK'];
  const agent = sock !== undefined && sock !== '' ? sock : undefined;
  const fields: AuthChoice['fields'] = {};
  let keyNote: string;
  if (explicitKey !== undefined) {
    const k = await ctx.keys.load(explicitKey);
    fields.privateKey = k.material;
    fields.identityFile = k.file;
    keyNote = `key ${explicitKey} (${explicitLabel})`;
  } else if (c.identityFiles.length > 0) {
    const file = c.identityFiles.find(exists);
    if (file !== undefined) {
      const k = await ctx.keys.load(file);
      fields.privateKey = k.material;
      fields.identityFile = k.file;
      keyNote = `key ${file} (ssh config)`;
    } else {
      keyNote = `no key (ssh config IdentityFile ${c.identityFiles.join(', ')} not found)`;
    }
  } else {
    keyNote = 'no key (none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa usable)';
    for (const name of DEFAULT_KEYS) {
      const file = path.join(ctx.cfg.home, '.ssh', name);
      if (!exists(file)) continue;
      if (agent !== undefined && (await ctx.keys.isEncrypted(file))) continue;
      const k = await ctx.keys.load(file);
      fields.privateKey = k.material;
      fields.identityFile = k.file;
      keyNote = `key ${file} (default)`;
      break;
    }
  }
  // IdentitiesOnly: only the configured key is offered, so the agent is left out when we have one.
  if (agent !== undefined && !(c.identitiesOnly === true && fields.privateKey !== undefined)) {
    fields.agent = agent;
    keyNote += ', ssh-agent';
  }
  return { fields, explain: keyNote };
}

function applyTuning(spec: LoginSpec, c: SshHostConfig): void {
  const policy = policyFromStrictHostKeyChecking(c.strictHostKeyChecking);
  if (policy !== undefined) spec.hostKeyPolicy = policy;
  if (c.connectTimeout !== undefined) spec.connectTimeout = c.connectTimeout;
  if (c.serverAliveInterval !== undefined) spec.serverAliveInterval = c.serverAliveInterval;
}

/** `ask` has no equivalent (dust never blocks on a host-key prompt), so it leaves dust's policy alone. */
export function policyFromStrictHostKeyChecking(v: string | undefined): HostKeyPolicy | undefined {
  switch (v) {
    case 'yes': return 'strict';
    case 'accept-new': return 'accept-new';
    case 'no': case 'off': return 'off';
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
