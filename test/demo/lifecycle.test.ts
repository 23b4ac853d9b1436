/**
 * The demo cluster's life cycle: keys that persist across runs, strict authentication, a node stopping and
 * starting like an instance, and no processes left behind by close() or by dust exiting.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import { generateEd25519 } from '../../src/demo/keys.js';
import {
  connect,
  eventually,
  exec,
  isAlive,
  lastNumber,
  makeTempDir,
  nodeNamed,
  randomBasePort,
  removeDir,
  ShellDriver,
  TEST_TIMEOUT,
  whenClosed,
} from './helpers.js';

const { utils } = ssh2;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const NODES = [{ name: 'web1' }, { name: 'web2' }];

describe('demo cluster: life cycle', function () {
  this.timeout(TEST_TIMEOUT);
  let dir: string;
  let cluster: DemoCluster | undefined;

  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
    removeDir(dir);
  });

  it('generates well-formed ed25519 keys (ssh2 keygen with the broken-key check)', () => {
    for (let i = 0; i < 600; i++) {
      const { publicKey } = generateEd25519('t');
      expect(Buffer.from(publicKey.split(' ')[1] ?? '', 'base64').length).to.equal(51);
    }
  });

  it('persists host keys, client key and addresses across two runs on the same dir; files 0600, dir 0700', async () => {
    const basePort = randomBasePort();
    const first = await startDemoCluster({ dir, basePort, nodes: NODES });
    const firstNodes = first.nodes.map((n) => ({ name: n.name, host: n.host, port: n.port, key: n.hostPublicKey }));
    const firstClientKey = readFileSync(first.clientKeyPath, 'utf8');
    const firstKnownHosts = first.knownHostsLines();
    await first.close();

    cluster = await startDemoCluster({ dir, basePort, nodes: NODES });
    expect(cluster.nodes.map((n) => ({ name: n.name, host: n.host, port: n.port, key: n.hostPublicKey }))).to.deep.equal(
      firstNodes,
    );
    expect(readFileSync(cluster.clientKeyPath, 'utf8')).to.equal(firstClientKey);
    expect(cluster.knownHostsLines()).to.deep.equal(firstKnownHosts);

    const mode = (p: string): number => statSync(p).mode & 0o777;
    expect(mode(dir)).to.equal(0o700);
    expect(mode(cluster.clientKeyPath)).to.equal(0o600);
    expect(mode(path.join(dir, 'nodes', 'web1', 'ssh_host_ed25519_key'))).to.equal(0o600);
    expect(mode(path.join(dir, 'nodes', 'web1'))).to.equal(0o700);

    // The persisted client key logs in to the second run's nodes.
    const client = await connect(nodeNamed(cluster, 'web2'), { privateKey: readFileSync(cluster.clientKeyPath) });
    expect((await exec(client, 'hostname')).stdout).to.equal('web2\n');
    client.end();
  });

  it('moves a node to another port when its port is taken, and the rest keep theirs', async () => {
    const basePort = randomBasePort();
    const blocker = await startDemoCluster({ dir: makeTempDir(), basePort, nodes: [{ name: 'x' }] });
    try {
      const taken = blocker.nodes[0]!;
      cluster = await startDemoCluster({ dir, basePort, nodes: [{ name: 'y' }] });
      const y = cluster.nodes[0]!;
      expect(`${y.host}:${y.port}`).to.not.equal(`${taken.host}:${taken.port}`);
      const client = await connect(y, { privateKey: readFileSync(cluster.clientKeyPath) });
      expect((await exec(client, 'hostname')).stdout).to.equal('y\n');
      client.end();
    } finally {
      await blocker.close();
      removeDir(blocker.dir);
    }
  });

  it('without loopback aliases (macOS), all nodes share 127.0.0.1 on distinct ports', async () => {
    cluster = await startDemoCluster({ dir, basePort: randomBasePort(), nodes: NODES, loopbackAliases: false });
    expect(cluster.nodes.map((n) => n.host)).to.deep.equal(['127.0.0.1', '127.0.0.1']);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).to.equal(2);
    const key = readFileSync(cluster.clientKeyPath);
    for (const node of cluster.nodes) {
      const client = await connect(node, { privateKey: key });
      expect((await exec(client, 'hostname')).stdout).to.equal(`${node.name}\n`);
      client.end();
    }
  });

  it('rejects any other client key, and password or none authentication', async () => {
    cluster = await startDemoCluster({ dir, basePort: randomBasePort(), nodes: NODES });
    const node = nodeNamed(cluster, 'web1');
    const other = utils.generateKeyPairSync('ed25519');
    const wrongKey = await connect(node, { privateKey: other.private }).then(
      (c) => (c.end(), undefined),
      (e: unknown) => e,
    );
    expect(wrongKey).to.be.instanceOf(Error);
    expect(String(wrongKey)).to.match(/authentication methods failed/i);

    const password = await connect(node, { password: 'hunter2' }).then(
      (c) => (c.end(), undefined),
      (e: unknown) => e,
    );
    expect(String(password)).to.match(/authentication methods failed/i);

    // Any username is fine with the right key.
    const ok = await connect(node, { privateKey: readFileSync(cluster.clientKeyPath), username: 'someone-else' });
    expect((await exec(ok, 'echo $DUST_DEMO_NODE')).stdout).to.equal('web1\n');
    ok.end();
  });

  it('stopNode drops open connections, kills their processes and refuses new ones; startNode accepts again with the same key', async () => {
    cluster = await startDemoCluster({ dir, basePort: randomBasePort(), nodes: NODES });
    const key = readFileSync(cluster.clientKeyPath);
    const web1 = nodeNamed(cluster, 'web1');
    const web2 = nodeNamed(cluster, 'web2');

    const client = await connect(web1, { privateKey: key });
    const shell = await ShellDriver.open(client);
    const shellPid = lastNumber(await shell.run('echo $$'));
    const jobPid = lastNumber(await shell.run('sleep 1000 & echo $!'));
    const other = await connect(web2, { privateKey: key });
    expect(isAlive(shellPid) && isAlive(jobPid)).to.equal(true);

    const dropped = whenClosed(client);
    await cluster.stopNode('web1');
    await dropped;
    expect(web1.running).to.equal(false);
    await eventually(() => !isAlive(shellPid) && !isAlive(jobPid));

    const refused = await connect(web1, { privateKey: key }).then(
      (c) => (c.end(), undefined),
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(refused?.code).to.equal('ECONNREFUSED');

    // The other node is untouched.
    expect((await exec(other, 'hostname')).stdout).to.equal('web2\n');
    other.end();

    await cluster.startNode('web1');
    expect(web1.running).to.equal(true);
    // connect() only accepts the recorded host key, so this also checks the key did not change.
    const again = await connect(web1, { privateKey: key });
    expect((await exec(again, 'hostname')).stdout).to.equal('web1\n');
    again.end();
  });

  it('close() leaves no child processes: shells, their jobs, and piped execs', async () => {
    cluster = await startDemoCluster({ dir, basePort: randomBasePort(), nodes: NODES });
    const key = readFileSync(cluster.clientKeyPath);
    const client = await connect(nodeNamed(cluster, 'web1'), { privateKey: key });
    const shell = await ShellDriver.open(client);
    const pids = [lastNumber(await shell.run('echo $$')), lastNumber(await shell.run('sleep 1000 & echo $!'))];
    const execPid = await new Promise<number>((resolve) => {
      void exec(client, 'echo $$; exec sleep 1000', {
        onStart: (ch) => ch.once('data', (d: Buffer) => resolve(Number(d.toString()))),
      });
    });
    pids.push(execPid);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} before close`).to.equal(true);

    await cluster.close();
    cluster = undefined;
    await eventually(() => pids.every((pid) => !isAlive(pid)));
    client.end();
  });

  it('kills session processes when the dust process exits without close()', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'fixtures', 'exit-without-close.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, out).to.equal(0);
    const pids = (JSON.parse(out.trim().split('\n').pop() ?? '[]') as number[]).filter((p) => p > 0);
    expect(pids).to.have.length(3);
    await eventually(() => pids.every((pid) => !isAlive(pid)));
  });
});
