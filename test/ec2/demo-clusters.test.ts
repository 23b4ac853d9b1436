/**
 * The demo as a place to run clusters: `up` from a spec (the real provisioning library, the real SDK, the demo's
 * emulator) launches instances that get embedded SSH nodes; then setup (with the demo's simulated package
 * managers), submit (exit status), dashboard (a GET through the forward reaches a tiny server on the head), and
 * `down` takes the nodes away. Everything reaches the nodes through dust's own sessions and inventory.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import ssh2 from 'ssh2';
import { openDashboard } from '../../src/clusters/dashboard.js';
import { parseClusterSpec } from '../../src/clusters/load-spec.js';
import { runSetup } from '../../src/clusters/setup.js';
import { submit } from '../../src/clusters/submit.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { startDemo, type DemoSession } from '../../src/ec2/demo.js';
import { down, up, type LifecycleDeps } from '../../src/ec2/lifecycle/index.js';
import type { DustNode } from '../../src/inventory/node.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import type { DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/compose.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import { generateEd25519 } from '../../src/ssh/keygen.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { httpGet } from '../clusters/http-helpers.js';
import { Capture } from './helpers.js';
import { eventually as eventuallyWithin } from '../helpers/eventually.js';

/** Instances take the demo's pace to change state: a longer limit than the default. */
const eventually = <T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what?: string) => eventuallyWithin(probe, what, 30_000);

function tcpRefused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(true));
  });
}

function freePort(): Promise<number> {
  const s = net.createServer();
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => {
    const { port } = s.address() as net.AddressInfo;
    s.close(() => resolve(port));
  }));
}

describe('ec2: clusters in the demo (up, setup, submit, dashboard, down)', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof makeTempHome>;
  let demo: DemoSession;
  let app: DustApp;
  let deps: LifecycleDeps;
  let keyDir: string;
  const out = new Capture();

  before(async () => {
    tmp = makeTempHome();
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-demo-key-'));
    const key = generateEd25519('me@laptop');
    fs.writeFileSync(path.join(keyDir, 'id_ed25519'), key.privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(keyDir, 'id_ed25519.pub'), `${key.publicKey}\n`);
    demo = await startDemo({ dustHome: tmp.home, basePort: 14300 + Math.floor(Math.random() * 60) * 10, delays: { pending: 0, stopping: 0, shuttingDown: 0 }, settleIntervalMs: 50 });
    const config = ConfigSchema.parse({});
    app = await composeDust({
      version: '0.1.0-test', dustHome: tmp.home, loaded: { config, file: undefined },
      out: new TerminalOutput(out, out, { color: false }), prompt: new NoTerminalPrompter(), interactive: false,
      terminal: { withTerminal: () => Promise.reject(new Error('no terminal')) },
      extraKnownHosts: [demo.knownHostsFile],
      ec2: { integration: demo.ec2, leadingRules: demo.loginRules },
    });
    deps = { client: (r) => demo.ec2.cloud.client(r), defaultRegion: demo.region, dustHome: tmp.home, specDir: keyDir, pollIntervalMs: 50 };
  });

  after(async () => {
    await app?.shutdown();
    await demo?.close();
    tmp?.cleanup();
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  /** The cluster's running nodes as the inventory sees them, once each has its SSH endpoint. */
  async function clusterNodes(name: string, count: number): Promise<{ head: DustNode; workers: DustNode[] }> {
    return eventually(async () => {
      app.state.invalidate();
      const nodes = (await app.state.nodes()).filter((n) => n.cluster === name && n.state === 'running' && n.port !== 22);
      if (nodes.length !== count) return undefined;
      const head = nodes.find((n) => n.tags['dust:cluster-role'] === 'head');
      return head ? { head, workers: nodes.filter((n) => n !== head) } : undefined;
    }, `${count} nodes of ${name} with SSH`);
  }

  it('every launched instance gets an SSH node (its Name as hostname, its key pair authorized); setup, submit and dashboard work on them; down removes them', async () => {
    const httpPort = await freePort();
    const server = `require('http').createServer((q, s) => s.end('dash ' + q.url)).listen(${httpPort}, '127.0.0.1')`;
    const spec = parseClusterSpec(`
name: spark1
workers: { count: 1 }
key: id_ed25519.pub
dependencies: { packages: [git], pip: [numpy] }
setup:
  all: ['echo ready on $(hostname)']
  head: [${JSON.stringify(`nohup ${process.execPath} -e "${server}" > dash.log 2>&1 &`)}]
dashboard: { port: ${httpPort} }
`, 'spark1.yaml');
    const result = await up(spec, deps);
    expect(result.ready).to.equal(true);
    const { head, workers } = await clusterNodes('spark1', 2);
    expect(head.host).to.match(/^127\./);
    const headNode = demo.launched.nodeOf(String(head.props['id']))!;
    expect(headNode).to.include({ host: head.host, port: head.port, hostname: 'head', running: true });
    expect(demo.knownHostsLines).to.include(`[${head.host}]:${head.port} ${headNode.hostPublicKey}`);

    // The EC2 key pair logs in too, as on EC2 (plain ssh2 here, the node's host key checked).
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject).connect({
        host: head.host, port: head.port, username: 'ec2-user', privateKey: fs.readFileSync(path.join(keyDir, 'id_ed25519')),
        hostVerifier: (k: Buffer) => k.equals(Buffer.from(headNode.hostPublicKey.split(' ')[1]!, 'base64')),
      });
    });
    client.end();

    const lines: string[] = [];
    const setup = await runSetup({ sessions: app.manager, onLine: (n, l) => lines.push(`[${n.name}] ${l}`) }, { head, workers }, spec);
    expect(setup.ok, JSON.stringify(setup)).to.equal(true);
    expect(lines).to.include('[head] ready on head');
    expect(lines).to.include(`[${workers[0]!.name}] ready on worker0`); // worker0@spark1 in the inventory: the demo fleet has a worker0 too
    expect(lines.some((l) => /^\[head\] demo: dnf -y install git: simulated on a demo node, nothing installed$/.test(l)), lines.join('\n')).to.equal(true);
    expect(lines.some((l) => /^\[head\] demo: pip3 install .*numpy: simulated/.test(l)), lines.join('\n')).to.equal(true);

    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-demo-project-'));
    try {
      fs.writeFileSync(path.join(project, 'input.txt'), 'payload\n');
      const jobLines: string[] = [];
      const job = await submit({ sessions: app.manager, onLine: (l) => jobLines.push(l) }, head, project, 'cat input.txt; hostname; exit 5');
      expect(job).to.include({ status: 'failed', exitCode: 5 });
      expect(jobLines).to.deep.equal(['payload', 'head']);
      expect(job.dir.startsWith(path.join(headNode.homeDir, 'dust-submits'))).to.equal(true);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }

    const dash = await openDashboard({ transport: app.manager.transportFor(head) }, head, spec.dashboard!.port);
    try {
      const got = await eventually(() => httpGet(`${dash.url}jobs`).catch(() => undefined), 'the dashboard through the forward');
      expect(got).to.deep.equal({ status: 200, body: 'dash /jobs' });
    } finally {
      await dash.close();
    }

    const { host, port } = headNode;
    await app.manager.closeAll();
    const gone = await down('spark1', deps);
    expect(gone.terminated.length).to.equal(2);
    await eventually(() => demo.launched.nodeOf(String(head.props['id'])) === undefined, 'the head node to go');
    await demo.launched.idle();
    expect(await tcpRefused(host, port)).to.equal(true);
    expect(demo.knownHostsLines.some((l) => l.startsWith(`[${host}]:${port} `))).to.equal(false);
    expect(fs.existsSync(headNode.homeDir)).to.equal(false);
  });

  it('a launched instance stopped and started comes back on its new address; the demo forwards only to loopback', async () => {
    const spec = parseClusterSpec('name: solo\nworkers: { count: 0 }\nkey: id_ed25519.pub\n', 'solo.yaml');
    await up(spec, deps);
    const { head } = await clusterNodes('solo', 1);
    const id = String(head.props['id']);
    const sdk = await import('@aws-sdk/client-ec2');
    const ec2 = await demo.ec2.cloud.client(demo.region);
    await ec2.send(new sdk.StopInstancesCommand({ InstanceIds: [id] }));
    await eventually(() => demo.launched.nodeOf(id)?.running === false, 'the node to stop');
    await ec2.send(new sdk.StartInstancesCommand({ InstanceIds: [id] }));
    const back = await eventually(async () => {
      app.state.invalidate();
      const n = (await app.state.nodes()).find((x) => x.props['id'] === id);
      return n?.state === 'running' && demo.launched.nodeOf(id)?.running ? n : undefined;
    }, 'the node to come back');
    // EC2 gave it a new public address on start; its node listens there now.
    if (head.host !== '127.0.0.1') expect(back.host).to.not.equal(head.host);
    const [r] = await app.manager.run([back], 'hostname');
    expect(r?.output).to.deep.equal(['head']);

    // direct-tcpip beyond loopback is refused by the node itself (nothing leaves the machine).
    const node = demo.launched.nodeOf(id)!;
    const client = new ssh2.Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve).once('error', reject).connect({
        host: node.host, port: node.port, username: 'x', privateKey: fs.readFileSync(demo.cluster.clientKeyPath),
        hostVerifier: (k: Buffer) => k.equals(Buffer.from(node.hostPublicKey.split(' ')[1]!, 'base64')),
      });
    });
    try {
      const outside = await new Promise<Error | undefined>((resolve) => client.forwardOut('127.0.0.1', 0, '192.0.2.1', 80, (err, ch) => { ch?.close(); resolve(err); }));
      expect(outside?.message).to.match(/Channel open failure/);
    } finally {
      client.end();
    }
    await app.manager.closeAll();
    await down('solo', deps);
  });
});
