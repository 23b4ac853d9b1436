/**
 * A client's connection to `dust serve`: the socket, the JSON-RPC connection, the hello. Light on purpose: a
 * script client loads this, the protocol and vscode-jsonrpc, never the engine (ssh2, the AWS SDK, plugins).
 */
import net from 'node:net';
import { createMessageConnection, ErrorCodes, SocketMessageReader, SocketMessageWriter, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { ClientRequests, PROTOCOL_VERSION, ServerNotifications, type ClientHello, type ServerHello, type WriteParams } from '../server/protocol.js';

/** No server answers on the socket (none running, or a stale file): the caller may run without one. */
/** What a client says when its server's connection closed without a word (killed, crashed). */
export const SERVER_GONE = 'the server went away (stopped or killed); its sessions are gone';

export class NoServerError extends Error {}

/** vscode-jsonrpc's own codes for a connection that broke, as opposed to an answer the server gave. */
const CONNECTION_CODES: ReadonlySet<number> = new Set([
  ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive,
]);

/**
 * Whether a failed request failed because the server is gone. A request sent just as the server was killed
 * fails to write (EPIPE) and comes back as a ResponseError with a connection code, not as a server's answer.
 */
export function isConnectionFailure(err: unknown): boolean {
  return !(err instanceof ResponseError) || CONNECTION_CODES.has(err.code);
}

export interface ServerConnection {
  conn: MessageConnection;
  hello: ServerHello;
  socketPath: string;
  /** Called once if the server goes away (it stopped, or was killed) while we still talk to it. */
  onGone(listener: (reason: string) => void): void;
  close(): void;
}

export async function connectServer(socketPath: string, client: ClientHello['client']): Promise<ServerConnection> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new NoServerError(`no dust server at ${socketPath}`));
      else reject(new Error(`cannot connect to ${socketPath}: ${err.message}`));
    });
  });
  const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  let closing = false;
  let byeReason: string | undefined;
  const goneListeners: ((reason: string) => void)[] = [];
  let goneFired = false;
  let goneReason: string | undefined;
  // Until the hello is answered, a close fails the connect: the pending hello itself would wait forever.
  let failConnect: ((err: Error) => void) | undefined;
  const closedBeforeHello = new Promise<never>((_resolve, reject) => {
    failConnect = reject;
  });
  closedBeforeHello.catch(() => undefined);
  const gone = (): void => {
    if (closing || goneFired) return;
    goneFired = true;
    goneReason = byeReason ?? SERVER_GONE;
    failConnect?.(new Error(goneReason));
    for (const l of goneListeners) l(goneReason);
  };
  conn.onNotification(ServerNotifications.bye, ({ reason }: { reason: string }) => { byeReason = `the server stopped: ${reason}`; });
  conn.onClose(gone);
  socket.on('close', gone);
  socket.on('error', () => undefined);
  conn.listen();
  let hello: ServerHello;
  try {
    const helloSent = conn.sendRequest<ServerHello>(ClientRequests.hello, { protocol: PROTOCOL_VERSION, client });
    // bench/serve.ts: how long from this process's start to the first byte on the socket.
    if (process.env['DUST_CLIENT_TIMING']) process.stderr.write(`dust-client-first-byte-ms=${performance.now().toFixed(1)}\n`);
    hello = await Promise.race([helloSent, closedBeforeHello]);
    failConnect = undefined;
  } catch (err) {
    closing = true;
    socket.destroy();
    if (err instanceof ResponseError) throw new Error(err.message);
    throw err;
  }
  return {
    conn,
    hello,
    socketPath,
    // A server that died right after the hello, before the client listened, is still told to the listener.
    onGone: (l) => {
      if (goneReason !== undefined) l(goneReason);
      else goneListeners.push(l);
    },
    close: () => {
      closing = true;
      conn.dispose();
      socket.end();
    },
  };
}

/** Writes what the server rendered for us to our own stdout/stderr (scripts: nothing to redraw around). */
export function writeToStdio({ stream, data }: WriteParams): void {
  (stream === 'stdout' ? process.stdout : process.stderr).write(Buffer.from(data, 'base64'));
}

/** The hello fields every kind of client fills the same way. */
export function describeSelf(kind: ClientHello['client']['kind'], opts: { json: boolean; verbose: boolean; color: boolean | undefined; timeout: number | undefined }): ClientHello['client'] {
  const stdoutIsTTY = process.stdout.isTTY === true;
  const colorEnv = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '' ? false : undefined;
  return {
    kind,
    interactive: kind === 'attach',
    stdoutIsTTY,
    stderrIsTTY: process.stderr.isTTY === true,
    // Colour as a local dust would decide it for this terminal (chalk's detection stays on the client side).
    color: opts.color ?? colorEnv ?? ((opts.json ? process.stderr.isTTY : stdoutIsTTY) === true && process.env['TERM'] !== 'dumb'),
    json: opts.json,
    verbose: opts.verbose,
    columns: process.stdout.columns ?? 100,
    rows: process.stdout.rows ?? 30,
    cwd: process.cwd(),
    pid: process.pid,
    ...(opts.timeout === undefined ? {} : { timeout: opts.timeout }),
  };
}
