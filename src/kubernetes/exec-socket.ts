/**
 * One exec stream to a container: a WebSocket to `pods/<pod>/exec` speaking v5.channel.k8s.io (v4 when the
 * server is older), with TLS and credentials from the kubeconfig.
 *
 * Why `ws` directly and not client-node's `Exec`: `Exec.exec` resolves when the socket opens (not when the
 * command ends), drops the HTTP body of a refused upgrade (the Status that says *why*: pod not found, container
 * not running), sends resize only for stdout objects with rows/columns, and gives no close code, no
 * backpressure and no keepalive. client-node's `KubeConfig.applyToHTTPSOptions` still supplies the CA, client
 * certificates, bearer tokens and exec/OIDC credential plugins, so every kubeconfig kubectl accepts works here.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { Channel, closeFrame, EXEC_PROTOCOLS, type ExecProtocol, type ExecStatus, frame, resizeFrame, supportsClose } from './exec-protocol.js';
import { KubeHttpError } from './errors.js';

export interface ExecTarget {
  namespace: string;
  pod: string;
  /** Container name; omitted: the server picks (the default-container annotation, else the only one). */
  container?: string | undefined;
}

export interface ExecStreams {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** How the stream ended. */
export interface ExecSocketEnd {
  /** The status channel's message, when the server sent one (the command ended). */
  status: ExecStatus | undefined;
  /** WebSocket close code (1000 normal, 1006 abnormal: the connection dropped). */
  code: number;
  reason: string;
  /** The socket error that preceded the close, if any (ECONNRESET, keepalive timeout). */
  error: Error | undefined;
  /** dust ended the stream (`close()`), not the server or the network. */
  byUs: boolean;
}

export interface ExecSocketHandlers {
  onStdout?(data: Buffer): void;
  onStderr?(data: Buffer): void;
  onEnd?(end: ExecSocketEnd): void;
}

export interface ExecSocketOptions {
  /** Subprotocols to offer, in preference order. Default v5, then v4. */
  protocols?: readonly ExecProtocol[];
  /** Give up on a handshake after this long. Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Ping this often and drop the stream when a pong is missing (0 = off). Default 30 s. */
  keepaliveMs?: number;
}

/** `…/exec?command=a&command=b&container=c&stdin=true&…` on the cluster's server, as a ws(s) URL. */
export function execUrl(server: string, target: ExecTarget, argv: readonly string[], streams: ExecStreams): string {
  const base = server.replace(/\/+$/, '').replace(/^http/, 'ws');
  const q = new URLSearchParams();
  for (const arg of argv) q.append('command', arg);
  if (target.container) q.set('container', target.container);
  q.set('stdin', String(streams.stdin));
  q.set('stdout', String(streams.stdout));
  q.set('stderr', String(streams.stderr));
  q.set('tty', String(streams.tty));
  return `${base}/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${q.toString()}`;
}

function refusal(status: number, body: string): KubeHttpError {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; reason?: unknown };
    if (typeof parsed.message === 'string') return new KubeHttpError(status, parsed.message, typeof parsed.reason === 'string' ? parsed.reason : undefined);
  } catch {
    // not a Status
  }
  const text = body.trim().split('\n')[0] ?? '';
  return new KubeHttpError(status, text !== '' ? text : `the API server refused the exec upgrade (HTTP ${status})`, undefined);
}

export class ExecSocket {
  private statusMessage: ExecStatus | undefined;
  private lastError: Error | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private isEnded = false;
  private closedByUs = false;
  private resolveEnded!: () => void;
  /** Resolves when the stream is over, however it ended. */
  readonly ended: Promise<void> = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  private constructor(
    private readonly ws: WebSocket,
    readonly protocol: ExecProtocol,
    private readonly handlers: ExecSocketHandlers,
  ) {}

  /** Opens the stream; rejects with `KubeHttpError` for a refused upgrade, or the network/TLS error. */
  static open(kc: KubeConfig, target: ExecTarget, argv: readonly string[], streams: ExecStreams, handlers: ExecSocketHandlers, options: ExecSocketOptions = {}): Promise<ExecSocket> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) return Promise.reject(new Error('the kubeconfig has no current cluster'));
    const url = execUrl(cluster.server, target, argv, streams);
    const protocols = [...(options.protocols ?? EXEC_PROTOCOLS)];
    return (async () => {
      const wsOptions: WebSocket.ClientOptions = {};
      await kc.applyToHTTPSOptions(wsOptions);
      return new Promise<ExecSocket>((resolve, reject) => {
        const ws = new WebSocket(url, protocols, { ...wsOptions, perMessageDeflate: false, handshakeTimeout: options.handshakeTimeoutMs ?? 30_000 });
        let socket: ExecSocket | undefined;
        const early: Buffer[] = [];
        ws.on('unexpected-response', (req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            reject(refusal(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
            req.destroy();
          });
          res.on('error', (err) => reject(err));
        });
        ws.on('error', (err) => {
          if (socket) socket.lastError = err;
          else reject(err);
        });
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          const bytes = isBinary || Buffer.isBuffer(data) ? data : Buffer.from(String(data));
          if (socket) socket.receive(bytes);
          else early.push(bytes);
        });
        ws.on('open', () => {
          const protocol = ws.protocol as ExecProtocol;
          if (!(EXEC_PROTOCOLS as readonly string[]).includes(protocol)) {
            ws.terminate();
            reject(new KubeHttpError(400, `the API server offered exec subprotocol '${protocol || 'none'}'; dust speaks ${protocols.join(', ')} (Kubernetes 1.4+ with WebSockets)`, 'BadRequest'));
            return;
          }
          socket = new ExecSocket(ws, protocol, handlers);
          socket.startKeepalive(options.keepaliveMs ?? 30_000);
          for (const b of early.splice(0)) socket.receive(b);
          resolve(socket);
        });
        ws.on('close', (code: number, reason: Buffer) => {
          if (socket) socket.finish(code, reason.toString('utf8'));
          else reject(new Error(`the exec stream closed during the handshake (${code})`));
        });
      });
    })();
  }

  /** Whether stdin can be closed on its own (v5). */
  get canCloseStdin(): boolean {
    return supportsClose(this.protocol);
  }

  /** Bytes sent but not yet handed to the OS (for callers that pace themselves). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends stdin bytes; `done` runs once they are handed to the socket (backpressure for streams). */
  writeStdin(data: string | Uint8Array, done?: (err?: Error) => void): void {
    if (!this.isOpen) {
      done?.(new Error('the exec stream is closed'));
      return;
    }
    this.ws.send(frame(Channel.stdin, typeof data === 'string' ? data : Buffer.from(data)), done);
  }

  /** v5: half-closes stdin (the command reads EOF). Returns false on v4, where only closing everything can. */
  closeStdin(): boolean {
    if (!this.canCloseStdin || !this.isOpen) return false;
    this.ws.send(closeFrame(Channel.stdin));
    return true;
  }

  resize(size: { rows: number; cols: number }): void {
    if (this.isOpen) this.ws.send(resizeFrame(size));
  }

  /** Stops reading from the server (TCP backpressure: the kubelet stops sending); `resume` reads on. */
  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  /** Ends the stream from this side (the server hangs the command up). */
  close(): void {
    this.closedByUs = true;
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  private receive(data: Buffer): void {
    if (data.length === 0) return;
    const channel = data[0];
    const body = data.subarray(1);
    if (channel === Channel.stdout) {
      if (body.length > 0) this.handlers.onStdout?.(body);
    } else if (channel === Channel.stderr) {
      if (body.length > 0) this.handlers.onStderr?.(body);
    } else if (channel === Channel.status) {
      try {
        this.statusMessage = JSON.parse(body.toString('utf8')) as ExecStatus;
      } catch {
        this.statusMessage = { status: 'Failure', message: body.toString('utf8') };
      }
    }
    // Channel 255 (the server closing a stream) needs nothing: the status and the close follow.
  }

  private startKeepalive(ms: number): void {
    if (!(ms > 0)) return;
    let answered = true;
    this.ws.on('pong', () => {
      answered = true;
    });
    this.keepalive = setInterval(() => {
      // Closing: ws.ping would throw, and the end is on its way anyway.
      if (this.ws.readyState !== WebSocket.OPEN) return;
      if (!answered) {
        this.lastError = new Error(`no answer to a keepalive ping within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`);
        this.ws.terminate();
        return;
      }
      answered = false;
      this.ws.ping();
    }, ms);
    this.keepalive.unref();
  }

  private finish(code: number, reason: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.resolveEnded();
    if (this.keepalive) clearInterval(this.keepalive);
    this.handlers.onEnd?.({ status: this.statusMessage, code, reason, error: this.lastError, byUs: this.closedByUs });
  }
}
