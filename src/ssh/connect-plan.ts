/**
 * Turns a LoginSpec into an ssh2 ConnectConfig (host-key check, key, agent, jump tunnel) and turns
 * ssh2's connect errors into DustErrors that say which part failed. Sessions and the jump pool both
 * connect through this, so every connection gets the same host-key policy.
 */
import type { Duplex } from 'node:stream';
import type { ConnectConfig } from 'ssh2';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { hostKeyCheck } from './known-hosts.js';
import type { KnownHosts } from './known-hosts.js';
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
  const check = hostKeyCheck(deps.knownHosts, spec.host, spec.port, spec.hostKeyPolicy);
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
  if (spec.privateKey !== undefined) config.privateKey = spec.privateKey;
  if (spec.agent !== undefined) config.agent = spec.agent;
  const keepalive = spec.serverAliveInterval !== undefined && spec.serverAliveInterval > 0
    ? spec.serverAliveInterval * 1000
    : deps.keepaliveIntervalMs;
  if (keepalive !== undefined) config.keepaliveInterval = keepalive;
  if (spec.jump) {
    if (!deps.jumps) {
      throw new DustError(ErrorCodes.SshConnect, `${spec.host} needs jump host ${describeChain(spec.jump)} but no jump pool was given`);
    }
    config.sock = await deps.jumps.openTunnel(spec.jump, spec.host, spec.port);
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
  const target = `${spec.username}@${spec.host}:${spec.port}${spec.jump ? ` via ${describeChain(spec.jump)}` : ''}`;
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

/**
 * The flat shape the session layer takes (its `LoginInfo`): the jump chain becomes an already-open
 * tunnel in `sock`, so the session only needs `KnownHosts.verify` for the node's own host key.
 */
export async function flattenLogin(spec: LoginSpec, jumps: JumpHostPool): Promise<{
  host: string; port: number; username: string; privateKey?: Buffer; agent?: string; sock?: Duplex;
}> {
  const out: { host: string; port: number; username: string; privateKey?: Buffer; agent?: string; sock?: Duplex } = {
    host: spec.host, port: spec.port, username: spec.username,
  };
  if (spec.privateKey !== undefined) out.privateKey = spec.privateKey;
  if (spec.agent !== undefined) out.agent = spec.agent;
  if (spec.jump) out.sock = await jumps.openTunnel(spec.jump, spec.host, spec.port);
  return out;
}
