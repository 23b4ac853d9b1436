/**
 * Where demo nodes listen. Each node gets its own loopback address 127.0.0.(2+i) where the OS allows binding
 * it (Linux routes all of 127/8 to lo; macOS only has 127.0.0.1 unless aliases are added), so nodes look like
 * separate hosts; otherwise all share 127.0.0.1 on distinct ports. Ports are fixed per node (basePort + i) so
 * known_hosts entries stay valid across runs, and the address actually used is remembered in `nodes.json`.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';

/** Default first port: below Linux's ephemeral range (32768+), away from the test harness's 20000–31999. */
export const DEFAULT_DEMO_BASE_PORT = 12220;

export interface NodeAddress {
  host: string;
  port: number;
}

/** True when this machine lets us listen on 127.0.0.2 (then the whole 127.0.0.0/8 is usable). */
export async function loopbackAliasesWork(): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.2', port: 0, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** The address node `index` uses when nothing better is known. */
export function defaultAddress(index: number, basePort: number, aliases: boolean): NodeAddress {
  // 127.0.0.255 is the /24 broadcast address of nothing in particular but confuses people: stop at .254.
  if (aliases && index < 253) return { host: `127.0.0.${index + 2}`, port: basePort + index };
  return { host: '127.0.0.1', port: basePort + index };
}

/** Remembered addresses by node name, from `nodes.json` (missing or unreadable: none). */
export function readSavedAddresses(file: string): Map<string, NodeAddress> {
  const saved = new Map<string, NodeAddress>();
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { nodes?: Record<string, Partial<NodeAddress>> };
    for (const [name, a] of Object.entries(data.nodes ?? {})) {
      if (typeof a.host === 'string' && /^127\./.test(a.host) && Number.isInteger(a.port) && (a.port ?? 0) > 0) {
        saved.set(name, { host: a.host, port: a.port as number });
      }
    }
  } catch {
    // first run, or a damaged file: fall back to the defaults
  }
  return saved;
}

export function writeSavedAddresses(file: string, addresses: ReadonlyMap<string, NodeAddress>): void {
  const nodes = Object.fromEntries(addresses);
  writeFileSync(file, `${JSON.stringify({ nodes }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
