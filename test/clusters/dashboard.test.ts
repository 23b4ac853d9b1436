/**
 * `cluster dashboard` over a real sshd (test/harness): a local forward through the head's existing SSH connection
 * to a tiny HTTP server listening on the head's loopback (every harness node is this machine, so the server runs
 * here, reachable only as the head's 127.0.0.1). Pods refuse with a clear line (the Kubernetes transport, against
 * the project's Kubernetes emulator).
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { openDashboard } from '../../src/clusters/dashboard.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { useSessionCluster } from '../ssh-sessions/helpers.js';
import { asNode, kubeFixture } from '../kubernetes/helpers.js';
import { httpGet, startTinyServer } from './http-helpers.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

async function dustError(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (!isDustError(err)) throw err;
    return { code: err.code, message: err.message, hint: err.hint };
  }
  throw new Error('expected a DustError');
}

describe('cluster dashboard (real sshd)', function () {
  this.timeout(60_000);
  const f = useSessionCluster({ count: 1 });
  let server: http.Server & { port: number };
  before(async () => { server = await startTinyServer('ray dashboard'); });
  after(() => server?.close());

  it('forwards a local port to the head over the open session; an HTTP GET returns what the head serves; abort closes it', async () => {
    const head = f.nodes[0]!;
    await f.sm.run([head], 'true'); // the session a user has open
    const logins = () => (fs.readFileSync(f.cluster.node('node0').logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;
    const before = logins();
    const stop = new AbortController();
    const dash = await openDashboard({ transport: f.sm.transportFor(head) }, head, server.port, { signal: stop.signal });
    expect(dash.url).to.equal(`http://127.0.0.1:${dash.localPort}/`);
    expect(await httpGet(`${dash.url}jobs`)).to.deep.equal({ status: 200, body: 'ray dashboard /jobs' });
    expect(await httpGet(dash.url)).to.deep.equal({ status: 200, body: 'ray dashboard /' });
    expect(logins(), 'no new login for the forward').to.equal(before);
    stop.abort();
    await dash.closed;
    expect(await refused(dash.localPort)).to.equal(true);
  });

  it('takes the local port asked for, and refuses one in use with one line', async () => {
    const head = f.nodes[0]!;
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const busyPort = (busy.address() as net.AddressInfo).port;
    try {
      const err = await dustError(openDashboard({ transport: f.sm.transportFor(head) }, head, server.port, { localPort: busyPort }));
      expect(err.code).to.equal(ErrorCodes.LocalPortInUse);
      expect(err.message).to.equal(`local port ${busyPort} is already in use on this machine`);
      expect(err.hint).to.match(/--local/);
    } finally {
      busy.close();
    }
    // The same port, once free, is taken as asked.
    const dash = await openDashboard({ transport: f.sm.transportFor(head) }, head, server.port, { localPort: busyPort });
    try {
      expect(dash.localPort).to.equal(busyPort);
      expect((await httpGet(dash.url)).body).to.equal('ray dashboard /');
    } finally {
      await dash.close();
    }
  });
});

describe('cluster dashboard: pods', function () {
  this.timeout(30_000);
  it('says port forwarding is not supported for pods yet, with kubectl as the way for now', async () => {
    const k8s = await kubeFixture();
    try {
      k8s.emulator.core.seedPods([{ name: 'spark1-head-0' }]);
      const integration = await k8s.integration();
      const draft = (await integration.provider.list()).find((d) => d.name === 'spark1-head-0')!;
      const err = await dustError(openDashboard({ transport: integration.transport }, asNode(draft), 8265, { localPort: 18265 }));
      expect(err.code).to.equal(ErrorCodes.ForwardUnsupported);
      expect(err.message).to.equal('cluster dashboard: spark1-head-0 is reached over kubernetes, which cannot forward ports (not supported for pods yet)');
      expect(err.hint).to.equal('use kubectl port-forward for now: kubectl port-forward pod/spark1-head-0 18265:8265');
    } finally {
      await k8s.close();
    }
  });
});
