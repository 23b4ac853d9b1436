/**
 * The demo nodes with OpenSSH's own clients (`ssh`, `sftp`), strict host-key checking against
 * knownHostsLines(): what a user (or dust's OpenSSH-compatible wiring) sees. Skipped where OpenSSH is absent.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import {
  makeTempDir,
  nodeNamed,
  opensshArgs,
  opensshAvailable,
  randomBasePort,
  removeDir,
  run,
  sftpClientAvailable,
  stripAnsi,
  TEST_TIMEOUT,
} from './helpers.js';

describe('demo cluster: OpenSSH client', function () {
  this.timeout(TEST_TIMEOUT);
  let dir: string;
  let cluster: DemoCluster;
  let knownHosts: string;

  before(async function () {
    if (!opensshAvailable()) this.skip();
    dir = makeTempDir();
    knownHosts = path.join(dir, 'test_known_hosts');
    cluster = await startDemoCluster({
      dir,
      basePort: randomBasePort(),
      nodes: [{ name: 'worker0' }, { name: 'worker1' }],
    });
  });

  after(async () => {
    await cluster?.close();
    removeDir(dir);
  });

  const ssh = (name: string, extra: string[], command?: string, input?: string) => {
    const node = nodeNamed(cluster, name);
    const args = [...opensshArgs(cluster, node, knownHosts), ...extra, `anyuser@${node.host}`];
    return run('ssh', command === undefined ? args : [...args, command], input);
  };

  it('exec: hostname per node, stdout, exit status', async () => {
    const a = await ssh('worker0', [], 'hostname; pwd; exit 3');
    expect(a.stdout).to.equal(`worker0\n${nodeNamed(cluster, 'worker0').homeDir}\n`);
    expect(a.code).to.equal(3);
    const b = await ssh('worker1', [], 'hostname');
    expect(b.stdout).to.equal('worker1\n');
    expect(b.code).to.equal(0);
  });

  it('stdin reaches an exec and EOF ends it', async () => {
    const r = await ssh('worker0', [], 'wc -l', 'a\nb\nc\n');
    expect(r.stdout.trim()).to.equal('3');
  });

  it('login shell on a forced pty: script from stdin, cd persists, prompt labelled', async () => {
    const r = await ssh('worker0', ['-tt'], undefined, 'hostname\ncd /tmp\npwd\nexit 5\n');
    const text = stripAnsi(r.stdout).replace(/\r/g, '');
    expect(text).to.match(/demo:worker0:/);
    expect(text).to.match(/^worker0$/m);
    expect(text).to.match(/^\/tmp$/m);
    expect(r.code).to.equal(5);
  });

  it('strict host key checking fails against a wrong known_hosts entry', async () => {
    const node = nodeNamed(cluster, 'worker0');
    const args = opensshArgs(cluster, node, knownHosts);
    // Pretend worker0 had worker1's key: OpenSSH must refuse.
    writeFileSync(knownHosts, `[${node.host}]:${node.port} ${nodeNamed(cluster, 'worker1').hostPublicKey}\n`);
    const r = await run('ssh', [...args, `u@${node.host}`, 'true']);
    expect(r.code).to.equal(255);
    expect(r.stderr).to.match(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('the client key is a valid OpenSSH private key (ssh-keygen -y derives its public key)', async function () {
    const r = await run('ssh-keygen', ['-y', '-f', cluster.clientKeyPath]);
    if (r.code !== 0 && /not found|ENOENT/.test(r.stderr)) this.skip();
    expect(r.stdout.trim().split(' ').slice(0, 2).join(' ')).to.equal(
      readFileSync(`${cluster.clientKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '),
    );
  });

  it('sftp batch: put, ls, get, rename, rm', async function () {
    if (!sftpClientAvailable()) this.skip();
    const node = nodeNamed(cluster, 'worker1');
    const local = path.join(dir, 'local.txt');
    writeFileSync(local, 'payload\n');
    const back = path.join(dir, 'back.txt');
    const batch = [`put ${local} up.txt`, 'ls -l', `get up.txt ${back}`, 'rename up.txt up2.txt', 'rm up2.txt', 'pwd'].join('\n');
    const args = opensshArgs(cluster, node, knownHosts).map((a) => (a === '-p' ? '-P' : a));
    const r = await run('sftp', [...args, '-b', '-', `u@${node.host}`], `${batch}\n`);
    expect(r.code, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/up\.txt/);
    expect(r.stdout).to.include(node.homeDir);
    expect(readFileSync(back, 'utf8')).to.equal('payload\n');
  });
});
