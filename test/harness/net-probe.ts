/**
 * Loopback networking helpers for the test cluster: free-port search, "is it listening yet", raw TCP
 * connects, and a black-hole server that accepts connections and never speaks.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** Ports are drawn from here: unprivileged and below Linux's ephemeral range (32768+), so client sockets never squat on them. */
const PORT_RANGE = { low: 20_000, high: 32_000 } as const;

/** Throws unless the address is in 127.0.0.0/8: the harness must never listen or connect anywhere else. */
export function assertLoopback(host: string): void {
  if (net.isIPv4(host) && host.startsWith('127.')) return;
  if (host === '::1') return;
  throw new Error(`test cluster: ${host} is not a loopback address (127.0.0.0/8 or ::1 only)`);
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A random port in 20000–31999 that every given address can bind right now. Random rather than sequential
 * so that two test processes probing at the same moment are unlikely to pick the same one.
 */
export async function findFreePort(hosts: readonly string[], attempts = 50): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    const results = await Promise.all(hosts.map((host) => canBind(host, port)));
    if (results.every(Boolean)) return port;
  }
  throw new Error(`test cluster: no port in ${PORT_RANGE.low}-${PORT_RANGE.high} is free on all of ${hosts.length} addresses`);
}

/** `a.b.c.d:port` strings for every IPv4 TCP socket in LISTEN state, or undefined when /proc/net/tcp can't be read. */
export function listeningIPv4(): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
  const littleEndian = os.endianness() === 'LE';
  const listening = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (fields[3] !== '0A' || local === undefined) continue; // 0A = TCP_LISTEN
    const [hexAddr, hexPort] = local.split(':');
    if (hexAddr === undefined || hexPort === undefined) continue;
    // The kernel prints the address as a host-order u32, so on x86 the bytes come out reversed.
    const bytes = (hexAddr.match(/../g) ?? []).map((b) => parseInt(b, 16));
    if (littleEndian) bytes.reverse();
    listening.add(`${bytes.join('.')}:${parseInt(hexPort, 16)}`);
  }
  return listening;
}

/** Opens a TCP connection, rejecting with the socket error (ECONNREFUSED ...) or a timeout error. */
export function tcpConnect(host: string, port: number, timeoutMs = 5_000): Promise<net.Socket> {
  assertLoopback(host);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`connect ${host}:${port} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Waits until every endpoint has a listening socket.
 *
 * Reads /proc/net/tcp instead of connecting: a connect probe against sshd costs a fork and re-exec of a
 * whole sshd per node (and a log line), which at N=200 on two cores is a noticeable part of the start-up
 * time. Falls back to connect probes where /proc/net/tcp is unreadable. `failure()` is polled too, so a
 * daemon that died on start-up fails fast with its own message instead of a timeout.
 */
export async function waitUntilListening(
  endpoints: readonly Endpoint[],
  opts: { timeoutMs: number; failure?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let pending = [...endpoints];
  while (pending.length > 0) {
    const failed = opts.failure?.();
    if (failed !== undefined) throw new Error(failed);
    const listening = listeningIPv4();
    if (listening) {
      pending = pending.filter((e) => !listening.has(`${e.host}:${e.port}`) && !listening.has(`0.0.0.0:${e.port}`));
    } else {
      const up = await Promise.all(
        pending.map((e) => tcpConnect(e.host, e.port, 1_000).then((s) => (s.destroy(), true), () => false)),
      );
      pending = pending.filter((_, i) => !up[i]);
    }
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      const list = pending.slice(0, 5).map((e) => `${e.host}:${e.port}`).join(', ');
      throw new Error(`test cluster: ${pending.length} sshd(s) not listening after ${opts.timeoutMs} ms (${list}...)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** A server that completes the TCP handshake and then says nothing, forever (a hung host). */
export interface BlackholeNode {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a black-hole listener on a loopback address; port 0 / omitted picks a free one. */
export async function startBlackholeNode(host: string, port = 0): Promise<BlackholeNode> {
  assertLoopback(host);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // clients going away is the normal case here
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
