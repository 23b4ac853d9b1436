/**
 * `cluster dashboard`: a local port forwarded to a port on the head over the head's existing connection (an SSH
 * local forward, `ssh -L L:localhost:P`, without a new login). It listens on 127.0.0.1 only: the dashboard is
 * never exposed beyond this machine.
 */
import net from 'node:net';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { DustNode } from '../plugins/api.js';
import type { PortForward, Transport } from '../sessions/transport.js';

export interface DashboardDeps {
  /** The transport serving the head (`SessionManager.transportFor(head)`). */
  transport: Pick<Transport, 'name' | 'forward'>;
}

export interface DashboardOptions {
  /** Local port (default: a free one). */
  localPort?: number;
  /** Host the head connects to (default 127.0.0.1: the head itself). */
  remoteHost?: string;
  /** Closes the forward when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

export interface Dashboard {
  /** `http://127.0.0.1:L/` */
  url: string;
  localPort: number;
  remotePort: number;
  /** Stops listening and ends the connections through it (idempotent). */
  close(): Promise<void>;
  /** Resolves once closed (by `close` or the signal). */
  readonly closed: Promise<void>;
}

function portProblem(err: unknown, port: number | undefined): DustError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new DustError(ErrorCodes.LocalPortInUse, `local port ${port} is already in use on this machine`, {
      hint: 'pick another with --local PORT, or leave --local out to take a free one', cause: err,
    });
  }
  if (code === 'EACCES') {
    return new DustError(ErrorCodes.LocalPortInUse, `local port ${port} needs privileges to listen on`, {
      hint: 'use a port above 1023 with --local PORT, or leave --local out to take a free one', cause: err,
    });
  }
  return undefined;
}

/** Whether 127.0.0.1:port can be listened on right now (so a busy port is refused before the head is asked). */
function checkLocalPort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(portProblem(err, port) ?? err));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Forwards 127.0.0.1:`localPort` to `remotePort` on the head, over the connection dust already has to it. Refuses
 * a local port in use (`DUST_LOCAL_PORT_IN_USE`) and a transport without port forwarding (`DUST_FORWARD_UNSUPPORTED`:
 * pods, for now).
 */
export async function openDashboard(deps: DashboardDeps, head: DustNode, remotePort: number, opts: DashboardOptions = {}): Promise<Dashboard> {
  if (!Number.isInteger(remotePort) || remotePort < 1 || remotePort > 65535) {
    throw new DustError(ErrorCodes.Usage, `cluster dashboard: ${remotePort} is not a TCP port`, { hint: 'give a port between 1 and 65535 (dashboard.port in the spec, or --port)' });
  }
  if (opts.localPort !== undefined && (!Number.isInteger(opts.localPort) || opts.localPort < 0 || opts.localPort > 65535)) {
    throw new DustError(ErrorCodes.Usage, `cluster dashboard: --local ${opts.localPort} is not a TCP port`, { hint: 'give a port between 1024 and 65535, or leave --local out to take a free one' });
  }
  const { transport } = deps;
  if (typeof transport.forward !== 'function') {
    throw new DustError(ErrorCodes.ForwardUnsupported, `cluster dashboard: ${head.name} is reached over ${transport.name}, which cannot forward ports (not supported for pods yet)`, {
      hint: transport.name === 'kubernetes'
        ? `use kubectl port-forward for now: kubectl port-forward pod/${head.name} ${opts.localPort ?? remotePort}:${remotePort}`
        : 'reach this node over SSH to forward ports',
    });
  }
  if (opts.localPort) await checkLocalPort(opts.localPort);
  let forward: PortForward;
  try {
    forward = await transport.forward(head, remotePort, {
      ...(opts.localPort ? { localPort: opts.localPort } : {}),
      ...(opts.remoteHost ? { remoteHost: opts.remoteHost } : {}),
    });
  } catch (err) {
    throw portProblem(err, opts.localPort) ?? err; // a taken port after the check (a race); else the transport's own DustError
  }
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= forward.close().catch(() => undefined).finally(() => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolveClosed();
    });
    return closing;
  };
  const onAbort = (): void => void close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) void close();
  return { url: `http://127.0.0.1:${forward.localPort}/`, localPort: forward.localPort, remotePort, close, closed };
}
