/**
 * The SSH transport: one ssh2 connection per node, opened on first use through a bounded handshake pool (with
 * retries when a server sheds load), kept alive, and shared by the node's persistent shell (a PTY exec channel),
 * its SFTP channel, one-off exec channels and port forwards — well under OpenSSH's MaxSessions of 10.
 * Everything about logins (ssh config, keys, agent, ProxyJump, ProxyCommand, known_hosts) arrives through `resolveLogin` and
 * `verifyHostKey`; src/ssh/ssh-transport-factory.ts composes them from dust's config.
 */
import net from 'node:net';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { DustNode } from '../inventory/node.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type {
  ChannelEnd, ExecProcess, ExecRequest, PortForward, RemoteFiles, ShellChannel, ShellRequest, Transport,
} from '../sessions/transport.js';
import { sshClaims } from './claims.js';
import { HandshakePool, handshakeBackoffMs, isRetryableHandshakeError } from './pool.js';
import { explainSshError } from './ssh-errors.js';
import { SftpFiles } from './sftp-files.js';

const { Client } = ssh2;

/** What the login layer (ssh-config, known hosts, keys, jump hosts) hands the transport for one node. */
export interface LoginInfo {
  host: string;
  port: number;
  username: string;
  privateKey?: Buffer;
  passphrase?: string;
  agent?: string;
  /** Keys and agent to offer in order (ssh2 authHandler); replaces privateKey/agent when set. */
  authHandler?: ConnectConfig['authHandler'];
  /** What the login offers (where the user came from, keys, agent): named when authentication fails. */
  authSummary?: string;
  /** This host's own host-key check (its known_hosts files and policy); the transport's verifyHostKey otherwise. */
  verifyHostKey?: (key: Buffer) => HostKeyVerdict;
  /** An already-open stream to the node (a ProxyJump tunnel, a ProxyCommand). Used once: no handshake retry with it. */
  sock?: NodeJS.ReadWriteStream;
}

export type HostKeyVerdict = { ok: true } | { ok: false; error: Error };

export interface SshTransportOptions {
  /** Login parameters for a node (login rules, ~/.ssh/config, keys, jump tunnel). May prompt once for a passphrase. */
  resolveLogin(node: DustNode): Promise<LoginInfo>;
  /** Host-key check (known_hosts policy). A refusal fails that node with the returned error's message. */
  verifyHostKey(host: string, port: number, key: Buffer): HostKeyVerdict;
  /** SSH handshake timeout (ssh2 readyTimeout). Default 15000; use ≥ 30000 when N ≥ 100. */
  connectTimeoutMs?: number;
  /** Handshakes in flight at once (MaxStartups-friendly). Default 32. */
  maxConcurrentHandshakes?: number;
  /**
   * Connections opened but not yet logged in, at once: those waiting for a server's first bytes plus those in or
   * queued for a handshake. Default 4 × maxConcurrentHandshakes. A node that accepts TCP and then says nothing
   * (hung sshd, black hole) holds one of these, never a handshake slot.
   */
  maxPendingConnections?: number;
  /** SSH keepalive interval; 3 unanswered keepalives mark the connection lost. Default 15000; 0 disables. */
  keepaliveIntervalMs?: number;
  /** Called by `close()` after every connection ended (a jump-host pool, for one). */
  onClose?(): void | Promise<void>;
}

/** Silence after a channel closed before deciding whether the connection went with it (ssh2 closes channels first). */
const LOSS_SETTLE_MS = 100;

/** One node's connection and the channels riding on it. */
class SshConnection {
  alive = true;
  lostReason: string | undefined;
  private sftp: Promise<SFTPWrapper> | undefined;
  private readonly goneListeners = new Set<(reason: string) => void>();

  constructor(readonly client: Ssh2Client, readonly login: LoginInfo, readonly key: string) {
    client.on('close', () => this.gone('connection closed'));
    client.on('error', (err: Error) => this.gone(`connection lost: ${err.message}`));
  }

  onGone(listener: (reason: string) => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  private gone(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.lostReason = reason;
    for (const l of [...this.goneListeners]) l(reason);
    this.goneListeners.clear();
  }

  openShell(req: ShellRequest): Promise<ShellChannel> {
    return new Promise<ShellChannel>((resolve, reject) => {
      this.client.exec(req.command, {
        pty: { rows: req.size.rows, cols: req.size.cols, term: req.term, modes: req.echo ? {} : { ECHO: 0 } },
      }, (err, ch) => (err ? reject(channelError(err)) : resolve(new SshShellChannel(this, ch))));
    });
  }

  files(): Promise<SFTPWrapper> {
    if (!this.sftp) {
      const sftp = new Promise<SFTPWrapper>((resolve, reject) => {
        this.client.sftp((err, s) => {
          if (err) return reject(channelError(err, 'sftp'));
          s.on('close', () => { if (this.sftp === sftp) this.sftp = undefined; });
          resolve(s);
        });
      });
      this.sftp = sftp;
      sftp.catch(() => { if (this.sftp === sftp) this.sftp = undefined; });
    }
    return this.sftp;
  }

  end(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      t.unref?.();
      this.client.once('close', () => { clearTimeout(t); resolve(); });
      this.client.end();
    });
  }
}

function channelError(err: Error, what = 'shell'): DustError {
  return new DustError(ErrorCodes.SshChannel, `${what}: the server refused a channel: ${err.message}`, {
    hint: 'the server may limit sessions per connection (MaxSessions) or not offer this subsystem',
    cause: err,
  });
}

/** An ssh2 PTY exec channel as a ShellChannel: exit status from `exit`, a loss when the connection went too. */
class SshShellChannel implements ShellChannel {
  private ended = false;
  private exitCode: number | null | undefined;
  private readonly closeListeners: ((end: ChannelEnd) => void)[] = [];

  constructor(private readonly conn: SshConnection, private readonly ch: ClientChannel) {
    ch.on('exit', (code: number | null) => { this.exitCode = typeof code === 'number' ? code : null; });
    const unsubscribe = conn.onGone((reason) => this.end({ kind: 'lost', reason }));
    ch.on('close', () => {
      if (this.exitCode !== undefined) { unsubscribe(); this.end({ kind: 'exited', exitCode: this.exitCode }); return; }
      // On a network loss ssh2 closes the channels before the client: look again once the dust settles.
      setTimeout(() => {
        unsubscribe();
        this.end(conn.alive ? { kind: 'exited', exitCode: null } : { kind: 'lost', reason: conn.lostReason ?? 'connection closed' });
      }, LOSS_SETTLE_MS);
    });
  }

  write(data: string | Uint8Array): void {
    if (!this.ended) this.ch.write(data);
  }

  onData(listener: (data: Buffer) => void): void {
    this.ch.on('data', listener);
    this.ch.stderr.on('data', listener);
  }

  onClose(listener: (end: ChannelEnd) => void): void {
    this.closeListeners.push(listener);
  }

  resize(size: { rows: number; cols: number }): void {
    if (!this.ended) this.ch.setWindow(size.rows, size.cols, 0, 0);
  }

  close(): void {
    if (!this.ended) this.ch.close();
  }

  private end(end: ChannelEnd): void {
    if (this.ended) return;
    this.ended = true;
    for (const l of this.closeListeners) l(end);
  }
}

/** A readable kept flowing, its chunks held until the first listener arrives, then handed over in order. */
class HeldOutput {
  private held: Buffer[] | undefined = [];
  private readonly listeners: ((data: Buffer) => void)[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (data: Buffer) => {
      if (this.held) this.held.push(data);
      else for (const l of this.listeners) l(data);
    });
  }

  listen(listener: (data: Buffer) => void): void {
    this.listeners.push(listener);
    const held = this.held;
    this.held = undefined;
    for (const data of held ?? []) listener(data);
  }
}

/**
 * Opens TCP to a node and waits for the server's first bytes (its SSH version line), which are put back for ssh2 to
 * read. This part costs no CPU, so it runs outside the handshake pool: a node that accepts TCP and then hangs, or
 * drops SYNs, waits here for the connect timeout while the healthy nodes' handshakes go on. A server that closes
 * before saying anything (MaxStartups shedding load) fails the way ssh2 would say it, so the retry logic holds.
 */
export function reachSshd(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    const sock = net.connect({ host, port });
    let connected = false;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(() => {
      const secs = `${Math.round(timeoutMs / 100) / 10} s`;
      fail(Object.assign(new Error(connected
        ? `TCP connected, but no SSH banner from ${host}:${port} within ${secs}`
        : `no TCP connection to ${host}:${port} within ${secs}`), { level: 'client-timeout' }));
    }, timeoutMs);
    timer.unref?.();
    sock.once('connect', () => { connected = true; });
    sock.on('error', (err: Error) => fail(Object.assign(err, { level: 'client-socket' })));
    sock.once('close', () => fail(Object.assign(new Error('Connection closed by remote host'), { level: 'client-socket' })));
    sock.once('data', (first: Buffer) => {
      clearTimeout(timer);
      sock.pause();
      sock.unshift(first);
      sock.removeAllListeners('error');
      sock.removeAllListeners('close');
      // ssh2 adds its own listeners once it takes the socket; an error in between must not go unhandled.
      sock.on('error', () => undefined);
      resolve(sock);
    });
  });
}

export class SshTransport implements Transport {
  readonly name = 'ssh';
  private readonly conns = new Map<string, SshConnection>();
  private readonly connecting = new Map<string, Promise<SshConnection>>();
  private readonly pool: HandshakePool;
  /** Bounds connections between TCP connect and `ready` (see maxPendingConnections). */
  private readonly pending: HandshakePool;
  private readonly connectTimeoutMs: number;
  private readonly keepaliveIntervalMs: number;

  constructor(private readonly opts: SshTransportOptions) {
    this.pool = new HandshakePool(opts.maxConcurrentHandshakes ?? 32);
    this.pending = new HandshakePool(Math.max(opts.maxPendingConnections ?? 4 * this.pool.maxConcurrent, this.pool.maxConcurrent));
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 15000;
    this.keepaliveIntervalMs = opts.keepaliveIntervalMs ?? 15000;
  }

  /** Every node with an address, unless it names another transport (`transport` property). */
  claims(node: DustNode): boolean {
    return sshClaims(node);
  }

  async openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel> {
    return (await this.connection(node)).openShell(request);
  }

  async files(node: DustNode): Promise<RemoteFiles> {
    return new SftpFiles(await (await this.connection(node)).files());
  }

  async exec(node: DustNode, request: ExecRequest): Promise<ExecProcess> {
    const conn = await this.connection(node);
    let exitCode: number | null = null;
    let signal: string | undefined;
    let exit!: Promise<{ exitCode: number | null; signal?: string; reason?: string }>;
    const ch = await new Promise<ClientChannel>((resolve, reject) => {
      conn.client.exec(request.command, (err, c) => {
        if (err) return reject(channelError(err, 'exec'));
        // Listen here, not after the await: a short command's exit status, EOF and close can arrive in the same
        // read as the channel's confirmation, and ssh2 emits them all before a promise continuation runs.
        c.on('exit', (code: number | null, sig?: string) => {
          exitCode = typeof code === 'number' ? code : null;
          if (sig) signal = sig;
        });
        exit = new Promise((done) => {
          const unsubscribe = conn.onGone((reason) => done({ exitCode: null, reason }));
          c.on('close', () => {
            unsubscribe();
            done(signal ? { exitCode, signal } : { exitCode });
          });
        });
        resolve(c);
      });
    });
    // The streams flow from the start (held until a listener comes): ssh2 emits `close` only after both have
    // ended, so a caller that never reads stdout (or reads it later) would otherwise never see the exit.
    const stdout = new HeldOutput(ch);
    const stderr = new HeldOutput(ch.stderr);
    const stdin = request.stdin;
    if (stdin === undefined) ch.end();
    else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) ch.end(stdin);
    else stdin.pipe(ch);
    const interrupt = (): void => {
      // OpenSSH honours the signal request since 7.9; closing the channel is the fallback everywhere else.
      try { ch.signal('INT'); } catch { /* not supported */ }
      setTimeout(() => ch.close(), 500).unref?.();
    };
    request.signal?.addEventListener('abort', interrupt, { once: true });
    void exit.then(() => request.signal?.removeEventListener('abort', interrupt));
    return {
      onStdout: (l) => stdout.listen(l),
      onStderr: (l) => stderr.listen(l),
      exit,
      interrupt,
    };
  }

  async forward(node: DustNode, remotePort: number, opts: { localPort?: number; remoteHost?: string } = {}): Promise<PortForward> {
    const conn = await this.connection(node);
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      conn.client.forwardOut('127.0.0.1', sock.localPort ?? 0, opts.remoteHost ?? '127.0.0.1', remotePort, (err, stream) => {
        if (err) { sock.destroy(); return; }
        sock.pipe(stream).pipe(sock);
        stream.on('close', () => sock.destroy());
        sock.on('error', () => stream.close());
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.localPort ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    const unsubscribe = conn.onGone(() => server.close());
    return {
      localPort: (server.address() as net.AddressInfo).port,
      close: () => new Promise<void>((resolve) => {
        unsubscribe();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    };
  }

  async disconnect(node: DustNode): Promise<void> {
    const conn = this.conns.get(node.name);
    this.conns.delete(node.name);
    await conn?.end();
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map((c) => c.end()));
    await this.opts.onClose?.();
  }

  /** The node's live connection, connecting first (concurrent callers share one attempt). */
  private connection(node: DustNode): Promise<SshConnection> {
    const key = `${node.host}:${node.port}`;
    const existing = this.conns.get(node.name);
    if (existing?.alive && existing.key === key) return Promise.resolve(existing);
    if (existing) {
      // The node moved (a new address after stop/start) or the connection died: start over.
      this.conns.delete(node.name);
      if (existing.alive) void existing.end();
    }
    let attempt = this.connecting.get(node.name);
    if (!attempt) {
      attempt = this.connect(node, key).finally(() => this.connecting.delete(node.name));
      this.connecting.set(node.name, attempt);
    }
    return attempt;
  }

  private async connect(node: DustNode, key: string): Promise<SshConnection> {
    let login: LoginInfo | undefined;
    try {
      login = await this.opts.resolveLogin(node);
      const client = await this.connectWithRetry(login);
      client.setNoDelay(true);
      const conn = new SshConnection(client, login, key);
      this.conns.set(node.name, conn);
      return conn;
    } catch (err) {
      throw explainSshError(err, login);
    }
  }

  private async connectWithRetry(login: LoginInfo): Promise<Ssh2Client> {
    const attempts = login.sock ? 1 : 5;
    for (let attempt = 0; ; attempt++) {
      try {
        // A tunnel (ProxyJump, ProxyCommand) is already a stream to sshd: straight to a handshake slot.
        if (login.sock) return await this.pool.run(() => this.connectOnce(login));
        return await this.pending.run(async () => {
          const sock = await reachSshd(login.host, login.port, this.connectTimeoutMs);
          return this.pool.run(() => this.connectOnce({ ...login, sock }));
        });
      } catch (err) {
        if (attempt + 1 >= attempts || !isRetryableHandshakeError(err)) throw err;
        await new Promise((r) => setTimeout(r, handshakeBackoffMs(attempt)));
      }
    }
  }

  private connectOnce(login: LoginInfo): Promise<Ssh2Client> {
    return new Promise<Ssh2Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyError: Error | undefined;
      const cfg: ConnectConfig = {
        host: login.host,
        port: login.port,
        username: login.username,
        readyTimeout: this.connectTimeoutMs,
        keepaliveInterval: this.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          const verdict = login.verifyHostKey ? login.verifyHostKey(key) : this.opts.verifyHostKey(login.host, login.port, key);
          if (!verdict.ok) hostKeyError = verdict.error;
          return verdict.ok;
        },
      };
      if (login.privateKey) cfg.privateKey = login.privateKey;
      if (login.passphrase !== undefined) cfg.passphrase = login.passphrase;
      if (login.agent) cfg.agent = login.agent;
      if (login.authHandler) cfg.authHandler = login.authHandler;
      if (login.sock) cfg.sock = login.sock as unknown as NonNullable<ConnectConfig['sock']>;
      // A reached socket the server closed while it queued for a handshake slot: as ssh2 would have seen it.
      if (login.sock instanceof net.Socket && login.sock.destroyed) {
        reject(Object.assign(new Error('Connection closed by remote host'), { level: 'client-socket' }));
        return;
      }
      let settled = false;
      client.once('ready', () => {
        settled = true;
        client.removeAllListeners('error');
        client.on('error', () => undefined); // replaced by the connection's own handler right away
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        client.end();
        if (hostKeyError) {
          const e = hostKeyError as Error & { level?: string };
          e.level = 'host-key';
          reject(e);
        } else {
          reject(err);
        }
      });
      client.once('close', () => {
        if (settled) return;
        settled = true;
        reject(hostKeyError ? Object.assign(hostKeyError, { level: 'host-key' }) : new Error('Connection closed by remote host'));
      });
      client.connect(cfg);
    });
  }
}
