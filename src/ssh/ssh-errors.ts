/**
 * ssh2's connect errors as DustErrors: one line naming the stage (`connect:`, `auth:`, `host key:`) and the
 * cause, a stable code, and what to do. A host-key refusal from known_hosts is already a DustError with the
 * file and line of the stale entry in its hint, and passes through untouched.
 */
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface SshErrorContext {
  host: string;
  port: number;
  username?: string;
  /** What the login offered (user source, keys, agent), named when authentication fails. */
  authSummary?: string;
}

export function explainSshError(err: unknown, login: SshErrorContext | undefined): DustError {
  const e = err as (Error & { code?: string; level?: string; address?: string; port?: number }) | undefined;
  const msg = e instanceof Error ? e.message : String(err);
  const where = login ? `${login.host}:${login.port}` : '';
  if (e?.level === 'host-key') {
    if (isDustError(err)) return new DustError(err.code, `host key: ${msg}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
    return new DustError(ErrorCodes.SshHostKeyChanged, `host key: ${msg}`, { hint: 'check the host key, then fix known_hosts', cause: err });
  }
  if (isDustError(err)) return err;
  if (e?.level === 'client-authentication') {
    return new DustError(ErrorCodes.SshAuth, `auth: ${msg} (${login?.authSummary ?? `user ${login?.username ?? '?'}`})`, {
      hint: 'check the login user and key (login rule, node fields or ~/.ssh/config), or load the key into ssh-agent',
      cause: err,
    });
  }
  if (e?.level === 'client-timeout' || /Timed out while waiting for handshake/.test(msg)) {
    // ssh2's own timeout covers the handshake; dust's reach stage says whether TCP or the banner never came.
    const detail = /Timed out while waiting for handshake/.test(msg) ? `no SSH handshake from ${where}` : msg;
    return new DustError(ErrorCodes.SshConnect, `connect: timed out (${detail})`, {
      hint: 'is the node up, and is its port reachable (security group, firewall, jump host)?',
      cause: err,
    });
  }
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) {
    const addr = e.address !== undefined ? `${e.address}:${e.port ?? login?.port ?? ''}` : where;
    return new DustError(ErrorCodes.SshConnect, `connect: ${e.code} ${addr}`, {
      hint: e.code === 'ECONNREFUSED' ? 'nothing listens on that port: is sshd running?' : 'check the address, port and network path',
      cause: err,
    });
  }
  return new DustError(ErrorCodes.SshConnect, `ssh: ${msg}${where ? ` (${where})` : ''}`, { cause: err });
}
