/**
 * Self-tests of the loopback OpenSSH cluster, driven with the real OpenSSH client (`ssh -F <ssh_config>
 * -o BatchMode=yes`), raw TCP sockets and ssh2. Nothing here asserts on wall-clock time; the only waits
 * are "no banner within a grace period" for a paused node.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import { tcpConnect } from '../harness/net-probe.js';
import { childrenByParent, descendantsOf, isAlive } from '../harness/processes.js';
import {
  MAX_CLUSTER_SIZE, attachSshdCluster, largeClusterAddress, requireSshd, startBlackholeNode, startSshdCluster, type SshdCluster,
} from '../harness/sshd-cluster.js';

const { Client } = ssh2;
const HARNESS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../harness');

interface SshResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ssh -F <config> -o BatchMode=yes [extra] <node> <command>`; stdin is /dev/null unless input is given. */
function runSsh(cluster: SshdCluster, name: string, command: string | undefined, opts: { input?: string; extra?: string[] } = {}): Promise<SshResult> {
  const args = [...(opts.extra ?? []), ...cluster.sshArgs(name), ...(command === undefined ? [] : [command])];
  return runProcess('ssh', args, opts.input);
}

function runProcess(file: string, args: string[], input?: string): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs fn over items with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function connectError(host: string, port: number): Promise<string | undefined> {
  return tcpConnect(host, port, 5_000).then(
    (socket) => {
      socket.destroy();
      return undefined;
    },
    (err: NodeJS.ErrnoException) => err.code,
  );
}

describe('sshd test cluster: 5 nodes', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 5 });
  });

  after(async () => {
    await cluster?.down();
  });

  it('lays out nodes on distinct loopback addresses with one common port', () => {
    expect(cluster.nodes.map((n) => n.name)).to.deep.equal(['node0', 'node1', 'node2', 'node3', 'node4']);
    expect(new Set(cluster.nodes.map((n) => n.host)).size).to.equal(5);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).to.equal(1);
    for (const node of cluster.nodes) {
      expect(node.host).to.match(/^127\.0\.0\.\d+$/);
      expect(node.hostPublicKey).to.match(/^ssh-ed25519 AAAA/);
      expect(isAlive(node.pid)).to.equal(true);
      expect(node.state).to.equal('running');
    }
  });

  it('every node answers hostname, its own $HOME, pwd = that home (strict host-key checking)', async () => {
    const results = await Promise.all(
      cluster.nodes.map((n) => runSsh(cluster, n.name, 'hostname; echo "$HOME"; pwd; echo "$DUST_TEST_NODE"')),
    );
    results.forEach((r, i) => {
      const node = cluster.nodes[i]!;
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.deep.equal([os.hostname(), node.homeDir, node.homeDir, node.name]);
    });
  });

  it('writes known_hosts in [host]:port form and an ssh_config with strict checking', () => {
    const knownHosts = readFileSync(cluster.knownHostsPath, 'utf8');
    for (const node of cluster.nodes) {
      expect(knownHosts).to.include(`[${node.host}]:${node.port} ${node.hostPublicKey.split(' ').slice(0, 2).join(' ')}`);
    }
    const config = readFileSync(cluster.sshConfigPath, 'utf8');
    expect(config).to.include('Host node3\n');
    expect(config).to.include('StrictHostKeyChecking yes');
    const nodesJson = JSON.parse(readFileSync(path.join(cluster.baseDir, 'nodes.json'), 'utf8')) as { nodes: { name: string; pid: number }[] };
    expect(nodesJson.nodes.map((n) => n.pid)).to.deep.equal(cluster.nodes.map((n) => n.pid));
    expect(readFileSync(path.join(cluster.baseDir, 'cluster.env'), 'utf8')).to.include(`export CLUSTER_SSH_CONFIG='${cluster.sshConfigPath}'`);
  });

  it('gives each node its own ~ (a file written on node0 is not on node1)', async () => {
    const r = await runSsh(cluster, 'node0', 'echo hello > marker.txt');
    expect(r.code, r.stderr).to.equal(0);
    expect(readFileSync(path.join(cluster.node('node0').homeDir, 'marker.txt'), 'utf8')).to.equal('hello\n');
    expect(existsSync(path.join(cluster.node('node1').homeDir, 'marker.txt'))).to.equal(false);
  });

  it('runs an interactive login shell in the node home for shell requests', async () => {
    const shellName = path.basename(cluster.loginShell);
    const r = await runSsh(cluster, 'node2', undefined, { extra: ['-tt'], input: 'echo "zero=$0"; pwd; exit\n' });
    expect(r.stdout).to.include(`zero=-${shellName}`);
    expect(r.stdout).to.include(cluster.node('node2').homeDir);
  });

  it('stopNode refuses connections and drops open sessions; startNode brings the node back', async () => {
    const node = cluster.node('node1');
    const oldPid = node.pid;
    const session = runSsh(cluster, 'node1', 'echo started; sleep 60');
    // wait until the session exists on the server side before stopping
    for (let i = 0; i < 200 && descendantsOf([oldPid]).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const sessionPids = descendantsOf([oldPid], childrenByParent());
    expect(sessionPids.length).to.be.greaterThan(0);

    await cluster.stopNode('node1');
    expect(node.state).to.equal('stopped');
    expect(await connectError(node.host, node.port)).to.equal('ECONNREFUSED');
    const dropped = await session;
    expect(dropped.code).to.not.equal(0);
    expect(sessionPids.filter(isAlive)).to.deep.equal([]);
    expect((await runSsh(cluster, 'node1', 'true')).code).to.equal(255);

    await cluster.startNode('node1');
    expect(node.pid).to.not.equal(oldPid);
    const r = await runSsh(cluster, 'node1', 'echo "$DUST_TEST_NODE"');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('node1');
  });

  it('restartNode gives a new listener on the same address and key', async () => {
    const node = cluster.node('node4');
    const oldPid = node.pid;
    await cluster.restartNode('node4');
    expect(node.pid).to.not.equal(oldPid);
    expect(isAlive(oldPid)).to.equal(false);
    expect((await runSsh(cluster, 'node4', 'true')).code).to.equal(0);
  });

  it('pauseNode accepts TCP but never sends the banner; resumeNode lets it through', async () => {
    const node = cluster.node('node3');
    cluster.pauseNode('node3');
    const socket = await tcpConnect(node.host, node.port);
    let received = '';
    socket.setEncoding('latin1').on('data', (d: string) => (received += d));
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      expect(received).to.equal('');
      cluster.resumeNode('node3');
      for (let i = 0; i < 400 && !received.includes('\n'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(received).to.match(/^SSH-2\.0-OpenSSH/);
    } finally {
      socket.destroy();
      if (node.state === 'paused') cluster.resumeNode('node3');
    }
  });

  it('regenerateHostKey makes strict ssh fail with REMOTE HOST IDENTIFICATION HAS CHANGED', async () => {
    const node = cluster.node('node2');
    const oldKey = node.hostPublicKey;
    await cluster.regenerateHostKey('node2');
    expect(node.hostPublicKey).to.not.equal(oldKey);
    const r = await runSsh(cluster, 'node2', 'true');
    expect(r.code).to.equal(255);
    expect(r.stderr).to.include('REMOTE HOST IDENTIFICATION HAS CHANGED');
    cluster.trustCurrentHostKeys();
    expect((await runSsh(cluster, 'node2', 'true')).code).to.equal(0);
  });
});

describe('sshd test cluster: teardown', function () {
  this.timeout(120_000);
  before(function () {
    requireSshd(this);
  });

  it('down() kills every listener and session it started and removes baseDir', async () => {
    const cluster = await startSshdCluster({ count: 3 });
    const listeners = cluster.nodes.map((n) => n.pid);
    const session = runSsh(cluster, 'node0', 'sleep 60');
    for (let i = 0; i < 200 && descendantsOf(listeners).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const all = [...listeners, ...descendantsOf(listeners)];
    expect(all.length).to.be.greaterThan(listeners.length);
    await cluster.down();
    expect(all.filter(isAlive)).to.deep.equal([]);
    expect(existsSync(cluster.baseDir)).to.equal(false);
    expect((await session).code).to.not.equal(0);
    await cluster.down(); // idempotent
  });

  it('keep: true leaves the logs and configs behind', async () => {
    const cluster = await startSshdCluster({ count: 1, keep: true });
    await cluster.down();
    expect(isAlive(cluster.nodes[0]!.pid)).to.equal(false);
    expect(readFileSync(cluster.nodes[0]!.logFile, 'utf8')).to.include('Server listening');
    const nodesJson = JSON.parse(readFileSync(path.join(cluster.baseDir, 'nodes.json'), 'utf8')) as { nodes: { state: string }[] };
    expect(nodesJson.nodes[0]!.state).to.equal('stopped');
    spawnSync('rm', ['-rf', cluster.baseDir]);
  });

  it('refuses a non-empty baseDir that is not a cluster directory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dust-not-a-cluster-'));
    spawnSync('touch', [path.join(dir, 'precious')]);
    try {
      await startSshdCluster({ count: 1, baseDir: dir }).then(
        () => expect.fail('should have refused'),
        (err: Error) => expect(err.message).to.include('refusing'),
      );
      expect(existsSync(path.join(dir, 'precious'))).to.equal(true);
    } finally {
      spawnSync('rm', ['-rf', dir]);
    }
  });

  it('cluster-up.sh / cluster-down.sh start a detached cluster that plain ssh reaches', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'dust-cli-')), 'c');
    try {
      const up = await runProcess(path.join(HARNESS_DIR, 'cluster-up.sh'), ['3', dir]);
      expect(up.code, up.stderr).to.equal(0);
      const nodesJson = JSON.parse(readFileSync(path.join(dir, 'nodes.json'), 'utf8')) as { nodes: { pid: number }[] };
      const pids = nodesJson.nodes.map((n) => n.pid);
      expect(pids.every(isAlive)).to.equal(true);
      const r = await runProcess('ssh', ['-F', path.join(dir, 'ssh_config'), '-o', 'BatchMode=yes', 'node2', 'hostname'], undefined);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim()).to.equal(os.hostname());
      const down = await runProcess(path.join(HARNESS_DIR, 'cluster-down.sh'), [dir, '--purge']);
      expect(down.code, down.stderr).to.equal(0);
      expect(pids.filter(isAlive)).to.deep.equal([]);
      expect(existsSync(dir)).to.equal(false);
    } finally {
      if (existsSync(path.join(dir, 'nodes.json'))) await attachSshdCluster(dir, { keep: false }).down();
      spawnSync('rm', ['-rf', path.dirname(dir)]);
    }
  });
});

describe('sshd test cluster: options', function () {
  this.timeout(120_000);
  before(function () {
    requireSshd(this);
  });

  for (const shell of ['/usr/bin/zsh', '/usr/bin/dash', '/usr/bin/fish']) {
    const name = path.basename(shell);
    it(`loginShell ${shell} runs that shell for exec and shell requests`, async function () {
      if (!existsSync(shell)) this.skip(); // fish isn't installed everywhere
      const cluster = await startSshdCluster({ count: 1, loginShell: shell });
      try {
        // fish has no $0 or $$: it names itself through `status` and $fish_pid.
        const fish = name === 'fish';
        const probe = fish ? 'status current-command; ps -p $fish_pid -o comm=; echo $SHELL; pwd' : 'echo $0; ps -p $$ -o comm=; echo $SHELL; pwd';
        const r = await runSsh(cluster, 'node0', probe);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.trim().split('\n')).to.deep.equal([name, name, shell, cluster.node('node0').homeDir]);
        const loginProbe = fish ? 'status is-login; and echo "zero=-fish"; exit\n' : 'echo "zero=$0"; exit\n';
        const interactive = await runSsh(cluster, 'node0', undefined, { extra: ['-tt'], input: loginProbe });
        expect(interactive.stdout).to.include(`zero=-${name}`);
      } finally {
        await cluster.down();
      }
    });
  }

  it('maxSessions / maxStartups are written to the config and enforced (10 channels per connection)', async () => {
    const cluster = await startSshdCluster({ count: 1, maxSessions: 10, maxStartups: '10:30:100' });
    try {
      const node = cluster.node('node0');
      const config = readFileSync(path.join(path.dirname(node.hostKeyPath), 'sshd_config'), 'utf8');
      expect(config).to.match(/^MaxSessions 10$/m);
      expect(config).to.match(/^MaxStartups 10:30:100$/m);

      const client = new Client();
      await new Promise<void>((resolve, reject) => {
        client.once('ready', () => resolve()).once('error', reject);
        client.connect({
          host: node.host,
          port: node.port,
          username: cluster.user,
          privateKey: readFileSync(cluster.clientKeyPath),
          readyTimeout: 30_000,
        });
      });
      try {
        const opened = await Promise.all(
          Array.from({ length: 11 }, () =>
            new Promise<boolean>((resolve) =>
              client.exec('sleep 3', (err, stream) => {
                if (err) return resolve(false);
                stream.resume().on('close', () => undefined);
                stream.stderr.resume();
                resolve(true);
              }),
            ),
          ),
        );
        expect(opened.filter(Boolean)).to.have.length(10);
      } finally {
        client.end();
      }
    } finally {
      await cluster.down();
    }
  });

  it('uses the names given', async () => {
    const cluster = await startSshdCluster({ count: 2, names: ['web1', 'db1'] });
    try {
      const r = await runSsh(cluster, 'db1', 'echo "$DUST_TEST_NODE $HOME"');
      expect(r.stdout.trim()).to.equal(`db1 ${cluster.node('db1').homeDir}`);
      expect(() => cluster.node('nope')).to.throw(/no node named nope/);
    } finally {
      await cluster.down();
    }
  });

  it('clusters of more than 253 nodes get distinct 127.B.x.y addresses outside 127.0.0.x', async () => {
    const hosts = Array.from({ length: MAX_CLUSTER_SIZE }, (_, i) => largeClusterAddress(i));
    expect(new Set(hosts).size).to.equal(MAX_CLUSTER_SIZE);
    for (const h of hosts) {
      const [a, b, c, d] = h.split('.').map(Number);
      expect(a).to.equal(127);
      expect(b).to.be.within(10, 109);
      expect(c).to.be.within(0, 255);
      expect(d).to.be.within(1, 254);
    }
    const tooMany = await startSshdCluster({ count: MAX_CLUSTER_SIZE + 1 }).then(() => 'started', (e: Error) => e.message);
    expect(tooMany).to.equal(`test cluster: count must be 1..${MAX_CLUSTER_SIZE}, got ${MAX_CLUSTER_SIZE + 1}`);
  });

  it('startBlackholeNode accepts TCP and never says anything', async () => {
    const hole = await startBlackholeNode('127.0.0.1');
    try {
      const socket = await tcpConnect(hole.host, hole.port);
      let received = 0;
      socket.on('data', (d: Buffer) => (received += d.length));
      await new Promise((r) => setTimeout(r, 500));
      socket.destroy();
      expect(received).to.equal(0);
    } finally {
      await hole.close();
    }
    expect(await connectError(hole.host, hole.port)).to.equal('ECONNREFUSED');
  });
});

describe('sshd test cluster: 50 nodes', function () {
  this.timeout(300_000);
  let cluster: SshdCluster;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 50 });
  });

  after(async () => {
    await cluster?.down();
  });

  it('every node answers over plain OpenSSH (8 at a time)', async () => {
    const results = await mapLimit(cluster.nodes, 8, (n) => runSsh(cluster, n.name, 'echo "$DUST_TEST_NODE"; pwd'));
    results.forEach((r, i) => {
      const node = cluster.nodes[i]!;
      expect(r.code, `${node.name}: ${r.stderr}`).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.deep.equal([node.name, node.homeDir]);
    });
  });
});
