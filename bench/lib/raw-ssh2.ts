/**
 * The floor: plain ssh2 connections to every node (no dust code), a persistent shell channel on each, and
 * the time for all N channels to answer `true; echo __DO""NE__` (the quotes keep a PTY's echo from matching).
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { Client as Ssh2Client, ClientChannel } from 'ssh2';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { mapLimit, now } from './util.js';

const { Client } = ssh2;

/** One ssh2 connection with Nagle off, as dust opens them. */
export function connectOne(cluster: SshdCluster, host: string, port: number, key: Buffer): Promise<Ssh2Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => { c.setNoDelay(true); resolve(c); });
    c.once('error', reject);
    c.connect({ host, port, username: cluster.user, privateKey: key, readyTimeout: 60_000 });
  });
}

/** Opens one ssh2 connection per node, `concurrency` handshakes in flight; returns them and the wall time. */
export async function rawConnectAll(cluster: SshdCluster, concurrency = 32): Promise<{ clients: Ssh2Client[]; ms: number }> {
  const key = readFileSync(cluster.clientKeyPath);
  const t0 = now();
  const clients = await mapLimit(cluster.nodes, concurrency, (n) => connectOne(cluster, n.host, n.port, key));
  return { clients, ms: now() - t0 };
}

export async function closeAll(clients: readonly Ssh2Client[]): Promise<void> {
  await Promise.all(clients.map((c) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 3000);
    c.once('close', () => { clearTimeout(t); resolve(); });
    c.end();
  })));
}

/** One persistent shell channel whose output is scanned for the marker. */
class MarkerShell {
  private buf = '';
  private waiter: (() => void) | undefined;
  constructor(readonly ch: ClientChannel) {
    const onData = (d: Buffer): void => {
      this.buf = (this.buf + d.toString('latin1')).slice(-256);
      if (this.waiter && this.buf.includes('__DONE__')) {
        this.buf = '';
        const w = this.waiter;
        this.waiter = undefined;
        w();
      }
    };
    ch.on('data', onData);
    ch.stderr.on('data', onData);
  }
  roundTrip(): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.buf = '';
      this.ch.write('true; echo __DO""NE__\n');
    });
  }
}

export async function openShells(clients: readonly Ssh2Client[], pty: boolean): Promise<MarkerShell[]> {
  const shells = await Promise.all(clients.map((c) => new Promise<MarkerShell>((resolve, reject) => {
    const cb = (err: Error | undefined, ch: ClientChannel): void => (err ? reject(err) : resolve(new MarkerShell(ch)));
    if (pty) c.shell({ term: 'xterm', rows: 50, cols: 250 }, cb);
    else c.shell(false, cb);
  })));
  // The first round trip also swallows login banners and prompts.
  await Promise.all(shells.map((s) => s.roundTrip()));
  return shells;
}

/** Wall time for every shell to answer one marker round trip. */
export async function markerRound(shells: readonly MarkerShell[]): Promise<number> {
  const t0 = now();
  await Promise.all(shells.map((s) => s.roundTrip()));
  return now() - t0;
}

export function closeShells(shells: readonly MarkerShell[]): void {
  for (const s of shells) s.ch.end();
}
