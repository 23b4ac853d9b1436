import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { DustNode } from '../inventory/node.js';
import type { ExecProcess, ExecRequest, RemoteFiles, ShellChannel, ShellRequest, Transport } from '../sessions/transport.js';
import { isDustError } from '../errors/dust-error.js';
import { httpFailure, KubeHttpError } from './errors.js';
import type { ExecProtocol } from './exec-protocol.js';
import type { ExecSocket } from './exec-socket.js';
import { type PodLookup, type PodRef, startCommand, type StartedCommand, type StartRequest } from './exec-start.js';
import { KubeExecProcess } from './exec-process.js';
import { StartLimiter } from './limiter.js';
import type { PodLike } from './pod-node.js';
import { KubeRemoteFiles } from './remote-files.js';
import { KubeShellChannel } from './shell-channel.js';

export interface KubernetesTransportOptions {
  kc: KubeConfig;
  api: CoreV1Api;
  /** The kubeconfig context this transport serves: it claims the nodes listed from it (`props.context`). */
  context: string;
  /** Exec subprotocols to offer (default v5, then v4). */
  protocols?: readonly ExecProtocol[];
  /** WebSocket ping interval; a missing pong drops the stream (0 = off). Default 30 s. */
  keepaliveMs?: number;
  /** How long a pod lookup that explains a failure may take. Default 5 s. */
  lookupTimeoutMs?: number;
  /** How long a command may take to start once its stream is open (a wedged runtime never starts it). Default 30 s. */
  startTimeoutMs?: number;
  /** Exec streams being opened at once (open ones do not count). Default 32. */
  maxConcurrentStarts?: number;
  /** Waits before retrying a start the API server throttled (429/503); their count is the number of retries. */
  throttleBackoffMs?: readonly number[];
}

/** The API server shedding load (API Priority and Fairness): worth a retry after a pause. */
function throttled(err: unknown): boolean {
  const cause = isDustError(err) ? err.cause : err;
  return cause instanceof KubeHttpError && (cause.statusCode === 429 || cause.statusCode === 503);
}

/** TERM values a shell may be given: anything else could carry shell syntax into the preamble. */
const SAFE_TERM = /^[A-Za-z0-9._+-]{1,64}$/;

/**
 * Pods as a transport: every shell, command and file operation is an exec stream over WebSocket through the API
 * server (no kubectl subprocess, no SSH in the pod). Pods have no connection of their own to keep: each shell
 * is one stream, each file operation or command another.
 */
export class KubernetesTransport implements Transport {
  readonly name = 'kubernetes';
  private readonly live = new Map<string, Set<ExecSocket>>();
  private readonly filesByPod = new Map<string, KubeRemoteFiles>();
  private closed = false;
  /** Reads the pod to explain a failure: the pod, 'gone' (404), or undefined when that did not work in time. */
  readonly lookup: PodLookup;
  private readonly limiter: StartLimiter;

  constructor(private readonly options: KubernetesTransportOptions) {
    this.lookup = podLookup(options.api, options.lookupTimeoutMs ?? 5000);
    this.limiter = new StartLimiter(options.maxConcurrentStarts ?? 32);
  }

  claims(node: DustNode): boolean {
    return node.source === 'kubernetes' && node.props['context'] === this.options.context;
  }

  async openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel> {
    const term = SAFE_TERM.test(request.term) ? request.term : 'xterm';
    const preamble = [`TERM='${term}'; export TERM`, ...(request.echo ? [] : ['stty -echo 2>/dev/null'])].join('; ');
    const started = await this.start(node, {
      command: request.command,
      preamble,
      size: request.size,
      streams: { tty: true, stdin: true, stdout: true, stderr: false },
    });
    this.track(node, started.socket);
    return new KubeShellChannel(started, this.lookup);
  }

  async exec(node: DustNode, request: ExecRequest): Promise<ExecProcess> {
    const started = await this.start(node, {
      command: request.command,
      streams: { tty: false, stdin: request.stdin !== undefined, stdout: true, stderr: true },
    });
    this.track(node, started.socket);
    return new KubeExecProcess(started, this.lookup, request.stdin, request.signal);
  }

  async files(node: DustNode): Promise<RemoteFiles> {
    const ref = this.refOf(node);
    const key = `${ref.namespace}/${ref.pod}/${String(node.props['uid'] ?? '')}`;
    let files = this.filesByPod.get(key);
    if (!files) {
      files = new KubeRemoteFiles(ref, async (request) => {
        const started = await this.start(node, { ...request, streams: { tty: false, stdin: request.stdin, stdout: true, stderr: true } });
        this.track(node, started.socket);
        return started;
      });
      this.filesByPod.set(key, files);
    }
    return files;
  }

  async disconnect(node: DustNode): Promise<void> {
    const sockets = this.live.get(node.name);
    this.live.delete(node.name);
    for (const s of sockets ?? []) s.close();
    const ref = this.refOf(node);
    for (const k of [...this.filesByPod.keys()]) if (k.startsWith(`${ref.namespace}/${ref.pod}/`)) this.filesByPod.delete(k);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sockets of this.live.values()) for (const s of sockets) s.close();
    this.live.clear();
    this.filesByPod.clear();
  }

  /** The pod and container a node stands for. */
  refOf(node: DustNode): PodRef {
    const prop = (k: string): string | undefined => {
      const v = node.props[k];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    return {
      namespace: prop('namespace') ?? 'default',
      pod: prop('pod') ?? node.name,
      container: prop('container'),
      image: prop('image'),
      context: this.options.context,
    };
  }

  private async start(node: DustNode, request: StartRequest): Promise<StartedCommand> {
    const backoff = this.options.throttleBackoffMs ?? [500, 1000, 2000, 4000];
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new Error('the Kubernetes transport is closed');
      try {
        return await this.limiter.run(() => startCommand(this.options.kc, this.refOf(node), {
          ...request,
          ...(this.options.protocols ? { protocols: this.options.protocols } : {}),
          ...(this.options.keepaliveMs !== undefined ? { keepaliveMs: this.options.keepaliveMs } : {}),
          ...(this.options.startTimeoutMs !== undefined ? { startTimeoutMs: this.options.startTimeoutMs } : {}),
        }, this.lookup));
      } catch (err) {
        const wait = backoff[attempt];
        if (wait === undefined || !throttled(err)) throw err;
        // Jitter, so the retries of many pods do not come back as one burst.
        await new Promise((resolve) => setTimeout(resolve, wait + Math.floor(Math.random() * wait)));
      }
    }
  }

  /** Remembers a node's open socket until it ends (for disconnect/close). */
  private track(node: DustNode, socket: ExecSocket): void {
    let set = this.live.get(node.name);
    if (!set) {
      set = new Set();
      this.live.set(node.name, set);
    }
    set.add(socket);
    void socket.ended.then(() => {
      const current = this.live.get(node.name);
      current?.delete(socket);
      if (current && current.size === 0) this.live.delete(node.name);
    });
  }

}

/** A `PodLookup` through the API: the pod, 'gone' for a 404, undefined when the read failed or took too long. */
export function podLookup(api: CoreV1Api, timeoutMs = 5000): PodLookup {
  return async (ref) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    const read = api.readNamespacedPod({ name: ref.pod, namespace: ref.namespace }).then(
      (pod) => pod as unknown as PodLike,
      (err: unknown) => (httpFailure(err)?.statusCode === 404 ? ('gone' as const) : undefined),
    );
    try {
      return await Promise.race([read, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
