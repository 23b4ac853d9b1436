/**
 * Jump hosts (bastions): ONE ssh2 connection per distinct bastion, shared by every node behind it,
 * each node getting its own direct-tcpip channel. This keeps the bastion far from MaxStartups (one
 * handshake instead of N) and direct-tcpip channels are not sessions, so MaxSessions does not apply.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel } from 'ssh2';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { planConnect } from './connect-plan.js';
import type { KnownHosts } from './known-hosts.js';
import { describeChain } from './login.js';
import type { LoginSpec } from './login.js';

const { Client } = ssh2;

export interface JumpHostPoolOptions {
  knownHosts: KnownHosts;
  readyTimeoutMs?: number;
  /** Keepalive for bastion connections; default 15 s so a dead bastion is noticed. */
  keepaliveIntervalMs?: number;
}

interface Bastion {
  key: string;
  label: string;
  client: Ssh2Client;
  ready: Promise<Ssh2Client>;
  alive: boolean;
  tunnels: Set<ClientChannel>;
  /** Rejecters of forwardOut calls still waiting for the server. */
  pending: Set<(err: DustError) => void>;
  lastError: Error | undefined;
}

/** Shares bastion connections; `openTunnel` returns a stream for ssh2's `ConnectConfig.sock`. */
export class JumpHostPool {
  private readonly bastions = new Map<string, Bastion>();
  private readonly opts: JumpHostPoolOptions;
  private closed = false;
  /** Bastion connections opened so far (for tests and `:status`). */
  connectionsOpened = 0;

  constructor(opts: JumpHostPoolOptions) {
    this.opts = opts;
  }

  /**
   * Opens a direct-tcpip channel through `jump` to host:port, connecting to the bastion first if
   * needed (concurrent callers share that connection attempt). A failed connect is not cached.
   */
  async openTunnel(jump: LoginSpec, host: string, port: number): Promise<Duplex> {
    if (this.closed) throw new DustError(ErrorCodes.SshConnect, 'Jump host pool is closed');
    const b = this.bastionFor(jump);
    const client = await b.ready;
    return new Promise<Duplex>((resolve, reject) => {
      if (!b.alive) {
        reject(lostError(b));
        return;
      }
      b.pending.add(reject);
      const done = (err: Error | undefined, stream: ClientChannel | undefined): void => {
        b.pending.delete(reject);
        if (err || !stream) {
          reject(new DustError(ErrorCodes.SshConnect, `Jump host ${b.label} could not open a tunnel to ${host}:${port}: ${err?.message ?? 'no channel'}`, {
            hint: 'the jump host must allow TCP forwarding (AllowTcpForwarding) and reach the node',
          }));
          return;
        }
        if (!b.alive) {
          stream.destroy();
          reject(lostError(b));
          return;
        }
        b.tunnels.add(stream);
        stream.once('close', () => b.tunnels.delete(stream));
        resolve(stream);
      };
      try {
        client.forwardOut('127.0.0.1', 0, host, port, done);
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  }

  /** Number of live or connecting bastion connections. */
  get size(): number {
    return this.bastions.size;
  }

  /** Closes every bastion connection (their tunnels fail with DUST_SSH_LOST). */
  close(): void {
    this.closed = true;
    for (const b of [...this.bastions.values()]) {
      this.bastions.delete(b.key);
      b.client.end();
    }
  }

  private bastionFor(spec: LoginSpec): Bastion {
    const key = bastionKey(spec);
    const existing = this.bastions.get(key);
    if (existing && existing.alive) return existing;
    const client = new Client();
    const b: Bastion = {
      key, label: describeChain(spec), client, alive: true, tunnels: new Set(), pending: new Set(),
      lastError: undefined, ready: undefined as unknown as Promise<Ssh2Client>,
    };
    this.bastions.set(key, b);
    this.connectionsOpened++;
    b.ready = this.connect(b, spec);
    // Callers await b.ready themselves; this only stops an unhandled rejection when all of them left.
    b.ready.catch(() => undefined);
    return b;
  }

  private async connect(b: Bastion, spec: LoginSpec): Promise<Ssh2Client> {
    let plan;
    try {
      // A bastion behind another bastion is tunnelled through this same pool.
      plan = await planConnect(spec, {
        knownHosts: this.opts.knownHosts,
        jumps: this,
        ...(this.opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: this.opts.readyTimeoutMs } : {}),
        keepaliveIntervalMs: this.opts.keepaliveIntervalMs ?? 15_000,
      });
    } catch (err) {
      this.drop(b);
      throw err;
    }
    const { client } = b;
    return new Promise<Ssh2Client>((resolve, reject) => {
      let ready = false;
      client.on('error', (err: Error) => {
        b.lastError = err;
        if (!ready) {
          this.drop(b);
          reject(plan.explainError(err));
        }
      });
      client.once('ready', () => {
        ready = true;
        resolve(client);
      });
      client.once('close', () => {
        this.drop(b);
        if (!ready) reject(plan.explainError(b.lastError ?? new Error('connection closed during handshake')));
      });
      client.connect(plan.config);
    });
  }

  /** Forgets a bastion and fails everything that depends on it; the next use reconnects. */
  private drop(b: Bastion): void {
    if (!b.alive) return;
    b.alive = false;
    if (this.bastions.get(b.key) === b) this.bastions.delete(b.key);
    const err = lostError(b);
    for (const rej of b.pending) rej(err);
    b.pending.clear();
    for (const t of b.tunnels) {
      // ssh2 only ends the channels; make the loss visible to the node connection reading from it.
      if (t.listenerCount('error') > 0) t.emit('error', err);
      t.destroy();
    }
    b.tunnels.clear();
    b.client.end();
  }
}

function lostError(b: Bastion): DustError {
  return new DustError(ErrorCodes.SshLost, `Lost the connection to jump host ${b.label}${b.lastError ? `: ${b.lastError.message}` : ''}`, {
    hint: 'the next command reconnects through it',
  });
}

/** Distinct bastion = same user, address, port and the same path to it. */
function bastionKey(spec: LoginSpec): string {
  const me = `${spec.username}@${spec.host.toLowerCase()}:${spec.port}`;
  return spec.jump ? `${bastionKey(spec.jump)} > ${me}` : me;
}
