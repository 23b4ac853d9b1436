/**
 * Turns a LoginSpec into an ssh2 ConnectConfig (host-key check, keys and agent in order, jump tunnel or
 * ProxyCommand) and turns ssh2's connect errors into DustErrors that say which part failed. Sessions and the
 * jump pool both connect through this, so every connection gets the same host-key policy.
 */
import type { Duplex } from 'node:stream';
import type { ConnectConfig } from 'ssh2';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { authMethods } from './auth.js';
import { hostKeyCheck } from './known-hosts.js';
import type { HostKeyVerdict, KnownHosts } from './known-hosts.js';
import { openProxyCommand } from './proxy-command.js';
import type { JumpHostPool } from './jump.js';
import { describeChain } from './login.js';
import type { LoginSpec } from './login.js';

export interface ConnectDeps {
  knownHosts: KnownHosts;
  /** Needed when the spec has a jump host. */
  jumps?: JumpHostPool;
  /** Handshake + authentication limit when ssh config sets no ConnectTimeout. Default 20 s. */
  readyTimeoutMs?: number;
  /** Keepalive when ssh config sets no ServerAliveInterval. Default: ssh2's (off). */
  keepaliveIntervalMs?: number;
}

export interface ConnectPlan {
  config: ConnectConfig;
  /** Maps an ssh2 'error' (or a thrown error) from this connection attempt to a DustError. */
  explainError(err: unknown): DustError;
  /** True when this connection's host key was newly recorded (accept-new). */
  recordedHostKey(): boolean;
}

/** Builds the ssh2 config; opens the jump tunnel first when there is one (errors are DustErrors). */
export async function planConnect(spec: LoginSpec, deps: ConnectDeps): Promise<ConnectPlan> {
  const check = hostKeyCheck(deps.knownHosts, spec.host, spec.port, spec.hostKeys);
  const readyTimeout = spec.connectTimeout !== undefined && spec.connectTimeout > 0
    ? spec.connectTimeout * 1000
    : deps.readyTimeoutMs ?? 20_000;
  const config: ConnectConfig = {
    host: spec.host,
    port: spec.port,
    username: spec.username,
    readyTimeout,
    hostVerifier: check.hostVerifier,
  };
  config.authHandler = authMethods(spec.username, spec.agent, spec.identities);
  const keepalive = spec.serverAliveInterval !== undefined && spec.serverAliveInterval > 0
    ? spec.serverAliveInterval * 1000
    : deps.keepaliveIntervalMs;
  if (keepalive !== undefined) config.keepaliveInterval = keepalive;
  if (spec.jump) {
    if (!deps.jumps) {
      throw new DustError(ErrorCodes.SshConnect, `${spec.host} needs jump host ${describeChain(spec.jump)} but no jump pool was given`);
    }
    config.sock = await deps.jumps.openTunnel(spec.jump, spec.host, spec.port);
  } else if (spec.proxyCommand !== undefined) {
    config.sock = openProxyCommand(spec.proxyCommand);
  }
  return {
    config,
    explainError: (err) => check.rejection() ?? explainConnectError(spec, readyTimeout, err),
    recordedHostKey: check.recorded,
  };
}

/** ssh2 tags errors with `level`; map them to stable codes with hints. */
export function explainConnectError(spec: LoginSpec, readyTimeoutMs: number, err: unknown): DustError {
  if (isDustError(err)) return err;
  const e = err as (Error & { level?: string; code?: string }) | undefined;
  const target = `${spec.username}@${spec.host}:${spec.port}${spec.jump ? ` via ${describeChain(spec.jump)}` : ''}` +
    (spec.proxyCommand !== undefined ? ' via ProxyCommand' : '');
  const msg = e?.message ?? String(err);
  if (e?.level === 'client-authentication') {
    return new DustError(ErrorCodes.SshAuth, `Authentication failed for ${target} (${spec.explain})`, {
      hint: 'check the login user and key (login rule, node fields or ~/.ssh/config), or load the key into ssh-agent',
    });
  }
  if (e?.level === 'client-timeout') {
    return new DustError(ErrorCodes.SshConnect, `Timed out after ${Math.round(readyTimeoutMs / 1000)}s connecting to ${target}`, {
      hint: 'is the node up and is port reachable (security group, firewall, jump host)?',
      cause: err,
    });
  }
  return new DustError(ErrorCodes.SshConnect, `Cannot connect to ${target}: ${msg}`, {
    hint: e?.code === 'ECONNREFUSED' ? 'nothing listens on that port: is sshd running?' : 'check the address, port and network path',
    cause: err,
  });
}

/** What the session layer's `LoginInfo` takes (its own type lives in session.ts, which imports no login code). */
export interface FlatLogin {
  host: string;
  port: number;
  username: string;
  /** Keys then agent, in order (ssh2 authHandler). */
  authHandler: NonNullable<ConnectConfig['authHandler']>;
  /** What was offered, for an authentication failure: `key ~/.ssh/a (ssh config), ssh-agent (2 keys)`. */
  authSummary: string;
  /** An open tunnel through the jump host, or the ProxyCommand's stdio. */
  sock?: Duplex;
  /** This host's known_hosts check (its own files, policy and HostKeyAlias from ssh config). */
  verifyHostKey: (key: Buffer) => HostKeyVerdict;
}

/**
 * The flat shape the session layer takes (its `LoginInfo`): the jump chain becomes an already-open tunnel
 * (or the ProxyCommand a running process) in `sock`, and the host-key check is bound to this host's scope.
 */
export async function flattenLogin(spec: LoginSpec, jumps: JumpHostPool, knownHosts: KnownHosts): Promise<FlatLogin> {
  const out: FlatLogin = {
    host: spec.host,
    port: spec.port,
    username: spec.username,
    authHandler: authMethods(spec.username, spec.agent, spec.identities),
    authSummary: spec.explain,
    verifyHostKey: (key) => knownHosts.verify(spec.host, spec.port, key, spec.hostKeys),
  };
  if (spec.jump) out.sock = await jumps.openTunnel(spec.jump, spec.host, spec.port);
  else if (spec.proxyCommand !== undefined) out.sock = openProxyCommand(spec.proxyCommand);
  return out;
}
