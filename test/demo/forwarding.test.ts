/**
 * Local port forwarding on a demo node (direct-tcpip through ssh2's real client): loopback only, refused
 * destinations refuse the channel, stopping the node drops forwarded connections; and OpenSSH's `ssh -L`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import { isLoopbackDestination } from '../../src/demo/forwarding.js';
import { httpGet, startTinyServer } from '../clusters/http-helpers.js';
import { connect, makeTempDir, nodeNamed, opensshArgs, opensshAvailable, randomBasePort, removeDir, TEST_TIMEOUT, type SshClient } from './helpers.js';

function forward(client: SshClient, host: string, port: number): Promise<{ err?: Error; stream?: NodeJS.ReadWriteStream & { close(): void } }> {
  return new Promise((resolve) => client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => resolve(err ? { err } : { stream })));
}

function freePort(): Promise<number> {
  const s = net.createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  }));
}

describe('demo cluster: port forwarding', function () {
  this.timeout(TEST_TIMEOUT);
  let dir: string;
  let cluster: DemoCluster;
  let server: Awaited<ReturnType<typeof startTinyServer>>;
  const clients: SshClient[] = [];

  before(async () => {
    dir = makeTempDir();
    cluster = await startDemoCluster({ dir, basePort: randomBasePort(), nodes: [{ name: 'head' }] });
    server = await startTinyServer('on the head');
  });
  after(async () => {
    for (const c of clients) c.end();
    server?.close();
    await cluster?.close();
    removeDir(dir);
  });
  const open = async () => {
    const c = await connect(nodeNamed(cluster, 'head'), { privateKey: fs.readFileSync(cluster.clientKeyPath) });
    clients.push(c);
    return c;
  };

  it('knows loopback destinations', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackDestination(h), h).to.equal(true);
    for (const h of ['10.0.0.1', '192.0.2.1', 'example.com', '::', '::ffff:10.0.0.1', '0.0.0.0']) expect(isLoopbackDestination(h), h).to.equal(false);
  });

  it('forwards to loopback (also by the name localhost), refuses elsewhere and where nothing listens', async () => {
    const client = await open();
    for (const host of ['127.0.0.1', 'localhost']) {
      const { stream } = await forward(client, host, server.port);
      const reply = await new Promise<string>((resolve) => {
        let text = '';
        stream!.on('data', (d: Buffer) => (text += d.toString()));
        stream!.on('close', () => resolve(text));
        stream!.end('GET /x HTTP/1.0\r\n\r\n');
      });
      expect(reply).to.match(/^HTTP\/1\.[01] 200/).and.match(/on the head \/x$/);
    }
    expect((await forward(client, '192.0.2.1', 80)).err?.message).to.match(/Channel open failure/);
    expect((await forward(client, '127.0.0.1', await freePort())).err?.message).to.match(/Channel open failure/);
    // The connection is still good after refusals.
    expect((await forward(client, '127.0.0.1', server.port)).stream).to.not.equal(undefined);
  });

  it('stopping the node drops forwarded connections (the far end sees them close)', async () => {
    const client = await open();
    const { stream } = await forward(client, '127.0.0.1', server.port);
    stream!.write('GET /half'); // an unfinished request: the server keeps the connection open
    const connections = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
    while ((await connections()) === 0) await new Promise((r) => setTimeout(r, 20));
    try {
      await cluster.stopNode('head');
      while ((await connections()) > 0) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await cluster.startNode('head');
    }
  });

  it('OpenSSH ssh -L works against it', async function () {
    if (!opensshAvailable()) this.skip();
    const node = nodeNamed(cluster, 'head');
    const local = await freePort();
    const args = [...opensshArgs(cluster, node, path.join(dir, 'known_hosts_test')), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${local}:127.0.0.1:${server.port}`, `x@${node.host}`];
    const ssh = spawn('ssh', args, { stdio: 'ignore' });
    try {
      let got: { status: number; body: string } | undefined;
      for (let i = 0; i < 400 && !got; i++) {
        got = await httpGet(`http://127.0.0.1:${local}/ssh`).catch(() => undefined);
        if (!got) await new Promise((r) => setTimeout(r, 50));
      }
      expect(got).to.deep.equal({ status: 200, body: 'on the head /ssh' });
    } finally {
      ssh.kill();
    }
  });
});
