/**
 * One demo node: an ssh2 `Server` fed by our own TCP listener. Owning the listener and its sockets is what
 * lets `stop()` behave like an instance going down — new connections are refused and open ones drop at once —
 * and `listen()` bring it back on the same address with the same host key.
 */
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, Session } from 'ssh2';
import { DemoProcessTable, serveSession } from './session.js';
import { ForwardTable } from './forwarding.js';

const { Server } = ssh2;

/** Session channels one connection may have open at once (sshd's MaxSessions default). */
export const MAX_SESSIONS_PER_CONNECTION = 10;

export interface DemoNodeServerOptions {
  name: string;
  /** Default: name. */
  hostname?: string;
  /** OpenSSH private key text of the node's host key. */
  hostKey: string;
  /** The demo's client key: always allowed to log in. */
  clientKey: ParsedKey;
  /** More keys allowed to log in (a launched instance's EC2 key pair, as EC2 puts it in authorized_keys). */
  extraClientKeys?: readonly ParsedKey[];
  homeDir: string;
  binDir: string;
  /** The local user sessions run as. */
  user: string;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Public-key authentication for the allowed keys only, as ssh2's documentation does it: same algorithm and key
 * blob, and when the client sends a signature (not just a "would this key do?" query), a valid one.
 */
function authenticate(ctx: AuthContext, allowed: readonly ParsedKey[]): void {
  if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
  const { key } = ctx;
  const clientKey = allowed.find((k) => key.algo === k.type && sameBytes(key.data, k.getPublicSSH()));
  if (!clientKey) return ctx.reject(['publickey']);
  if (ctx.signature) {
    if (!ctx.blob || clientKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
  }
  ctx.accept();
}

export class DemoNodeServer {
  readonly name: string;
  /** What the node calls itself in sessions (DUST_DEMO_NODE, the prompt); a launched instance's Name tag. */
  hostname: string;
  readonly processes = new DemoProcessTable();
  /** Connections forwarded through this node (`ssh -L`, `cluster dashboard`). */
  readonly forwards = new ForwardTable();
  readonly #options: DemoNodeServerOptions;
  readonly #ssh: InstanceType<typeof Server>;
  readonly #sockets = new Set<net.Socket>();
  #listener: net.Server | undefined;
  #address: { host: string; port: number } | undefined;

  constructor(options: DemoNodeServerOptions) {
    this.name = options.name;
    this.hostname = options.hostname ?? options.name;
    this.#options = options;
    // Never listens itself: sockets come from #listener through injectSocket.
    this.#ssh = new Server({ hostKeys: [options.hostKey], ident: 'dust-demo' }, (conn, info) =>
      this.#onConnection(conn, info.ip, info.port),
    );
  }

  get running(): boolean {
    return this.#listener !== undefined;
  }

  /** Where it listens (or last listened). */
  get address(): { host: string; port: number } | undefined {
    return this.#address;
  }

  /**
   * Listens on host:port (port 0: any free port). Rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL...)
   * and stays stopped in that case.
   */
  async listen(host: string, port: number): Promise<void> {
    if (this.#listener) throw new Error(`demo node ${this.name} is already running`);
    const listener = net.createServer((socket) => this.#onSocket(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host, port, exclusive: true }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    listener.on('error', () => {}); // after listening, errors are per connection and handled there
    const bound = listener.address() as net.AddressInfo;
    this.#listener = listener;
    this.#address = { host, port: bound.port };
  }

  /** Refuses new connections, drops the open ones, and ends every process the node's sessions started. */
  async stop(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    const closed = listener ? new Promise<void>((resolve) => listener.close(() => resolve())) : Promise.resolve();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.forwards.closeAll();
    await Promise.all([closed, this.processes.killAll()]);
  }

  #onSocket(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.setNoDelay(true);
    this.#ssh.injectSocket(socket);
  }

  #onConnection(conn: Connection, clientIp: string, clientPort: number): void {
    const openSessions = new Set<Session>();
    conn.on('error', () => {}); // resets and protocol errors end this connection only
    const allowed = [this.#options.clientKey, ...(this.#options.extraClientKeys ?? [])];
    conn.on('authentication', (ctx) => authenticate(ctx, allowed));
    conn.on('ready', () => {
      // Local forwards to loopback, like sshd's AllowTcpForwarding local (forwarding.ts).
      conn.on('tcpip', (accept, reject, info) => this.forwards.serve(accept, reject, info));
      conn.on('session', (accept, reject) => {
        if (openSessions.size >= MAX_SESSIONS_PER_CONNECTION) return reject();
        const session = accept();
        openSessions.add(session);
        const address = this.#address;
        serveSession(
          session,
          {
            nodeName: this.hostname,
            homeDir: this.#options.homeDir,
            binDir: this.#options.binDir,
            user: this.#options.user,
            sshConnection: `${clientIp} ${clientPort} ${address?.host ?? ''} ${address?.port ?? ''}`,
            processes: this.processes,
          },
          () => openSessions.delete(session),
        );
      });
    });
  }
}
