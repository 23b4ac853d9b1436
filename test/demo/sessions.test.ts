/**
 * Sessions on an embedded demo node, through ssh2's real SSH client: login shell in a pty, exec over pipes,
 * window changes, env, signals, several channels on one connection, and SFTP.
 */
import { expect } from 'chai';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import {
  connect,
  eventually,
  lastNumber,
  exec,
  makeTempDir,
  nodeNamed,
  randomBasePort,
  removeDir,
  ShellDriver,
  TEST_TIMEOUT,
  type SshClient,
} from './helpers.js';

describe('demo cluster: sessions (ssh2 client)', function () {
  this.timeout(TEST_TIMEOUT);
  let dir: string;
  let cluster: DemoCluster;
  let clientKey: string;
  const clients: SshClient[] = [];

  const open = async (name: string): Promise<SshClient> => {
    const client = await connect(nodeNamed(cluster, name), { privateKey: clientKey });
    clients.push(client);
    return client;
  };

  before(async () => {
    dir = makeTempDir();
    cluster = await startDemoCluster({
      dir,
      basePort: randomBasePort(),
      nodes: [{ name: 'master', cluster: 'slurm1' }, { name: 'worker0', cluster: 'slurm1', tags: { role: 'worker' } }],
    });
    clientKey = readFileSync(cluster.clientKeyPath, 'utf8');
  });

  after(async () => {
    for (const c of clients) c.end();
    await cluster?.close();
    removeDir(dir);
  });

  it('describes its nodes: distinct addresses, ed25519 host keys, homes under dir, spec fields kept', () => {
    expect(cluster.nodes.map((n) => n.name)).to.deep.equal(['master', 'worker0']);
    const [a, b] = cluster.nodes;
    expect(`${a?.host}:${a?.port}`).to.not.equal(`${b?.host}:${b?.port}`);
    for (const n of cluster.nodes) {
      expect(n.host).to.match(/^127\.0\.0\.\d+$/);
      expect(n.hostPublicKey).to.match(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+$/);
      expect(n.homeDir).to.equal(path.join(dir, 'nodes', n.name, 'home'));
      expect(n.running).to.equal(true);
      expect(readFileSync(path.join(n.homeDir, 'README'), 'utf8')).to.match(/dust demo node/);
    }
    expect(nodeNamed(cluster, 'worker0').tags).to.deep.equal({ role: 'worker' });
    expect(nodeNamed(cluster, 'worker0').cluster).to.equal('slurm1');
    expect(cluster.knownHostsLines()).to.deep.equal(
      cluster.nodes.map((n) => `[${n.host}]:${n.port} ${n.hostPublicKey}`),
    );
  });

  it('shell with a pty: demo prompt, hostname is the node name, pwd is the node home, cd persists', async () => {
    const shell = await ShellDriver.open(await open('worker0'));
    await shell.waitFor(/demo:worker0:~\$ $/);
    expect(await shell.run('hostname')).to.equal('worker0\n');
    expect(await shell.run('pwd')).to.equal(`${nodeNamed(cluster, 'worker0').homeDir}\n`);
    expect(await shell.run('echo $DUST_DEMO_NODE $HOME $TERM')).to.equal(
      `worker0 ${nodeNamed(cluster, 'worker0').homeDir} xterm\n`,
    );
    await shell.run('cd /tmp');
    expect(await shell.run('pwd')).to.equal('/tmp\n');
    expect(await shell.run('tty')).to.match(/^\/dev\//);
    shell.channel.write('exit 7\n');
    const code = await new Promise<number>((resolve) => shell.channel.once('exit', resolve));
    expect(code).to.equal(7);
  });

  it('shell without a pty: a non-interactive login shell fed by stdin, exit status reported', async () => {
    const client = await open('worker0');
    const result = await new Promise<{ out: string; code: number | undefined }>((resolve, reject) => {
      client.shell(false, (err, ch) => {
        if (err) return reject(err);
        let out = '';
        let code: number | undefined;
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.on('exit', (c: number) => (code = c));
        ch.on('close', () => resolve({ out, code }));
        ch.write('hostname\ncd /tmp\npwd\nexit 2\n');
      });
    });
    expect(result.out).to.equal('worker0\n/tmp\n');
    expect(result.code).to.equal(2);
  });

  it('hostname differs per node', async () => {
    expect((await exec(await open('master'), 'hostname')).stdout).to.equal('master\n');
    expect((await exec(await open('worker0'), 'hostname')).stdout).to.equal('worker0\n');
  });

  it('exec without a pty: stdout, stderr apart, exit status, stdin with EOF, cwd = home', async () => {
    const client = await open('worker0');
    const result = await exec(client, 'echo out; echo err >&2; pwd; exit 3');
    expect(result.stdout).to.equal(`out\n${nodeNamed(cluster, 'worker0').homeDir}\n`);
    expect(result.stderr).to.equal('err\n');
    expect(result.code).to.equal(3);
    expect((await exec(client, 'true')).code).to.equal(0);
    expect((await exec(client, 'tr a-z A-Z', { input: 'hello\nworld\n' })).stdout).to.equal('HELLO\nWORLD\n');
    expect((await exec(client, 'test -t 0 || echo notty')).stdout).to.equal('notty\n');
  });

  it('exec without a pty reports a signal death as exit-signal', async () => {
    const result = await exec(await open('worker0'), 'kill -TERM $$');
    expect(result.code).to.equal(null);
    expect(result.signal).to.equal('SIGTERM'); // ssh2's client adds the SIG prefix
  });

  it('exec with a pty: a terminal, TERM set, exit status', async () => {
    const result = await exec(await open('worker0'), 'test -t 0 && echo "tty $TERM"; exit 4', { pty: { term: 'vt220' } });
    expect(result.stdout.replace(/\r/g, '')).to.equal('tty vt220\n');
    expect(result.code).to.equal(4);
  });

  it('exec forwards a large output completely', async () => {
    const result = await exec(await open('worker0'), 'seq 1 200000');
    expect(result.stdout.length).to.equal(Buffer.byteLength(Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('')));
    expect(result.code).to.equal(0);
  });

  it('the signal request reaches the process group (INT to an exec without pty)', async () => {
    const client = await open('worker0');
    const result = await exec(client, 'echo started; sleep 300', {
      onStart: (ch) => ch.once('data', () => ch.signal('INT')),
    });
    expect(result.stdout).to.equal('started\n');
    expect(result.signal).to.equal('SIGINT');
  });

  it('the signal request on a pty shell reaches the foreground job, not the shell', async function () {
    if (!existsSync('/proc/self/stat')) this.skip(); // needs /proc to see when sleep is in the foreground
    const shell = await ShellDriver.open(await open('worker0'));
    const shellPid = lastNumber(await shell.run('echo $$'));
    shell.channel.write('sleep 300\n');
    await eventually(() => {
      const tpgid = Number(readFileSync(`/proc/${shellPid}/stat`, 'latin1').split(') ')[1]?.split(' ')[5]);
      return tpgid > 0 && tpgid !== shellPid; // sleep's job owns the terminal
    });
    shell.channel.signal('INT');
    // The shell survived and saw its job die of SIGINT (128 + 2).
    const from = shell.text.length;
    shell.channel.write('echo "st""atus $?"\n');
    expect((await shell.waitFor(/status (\d+)/, from))[1]).to.equal('130');
  });

  it('window-change resizes the pty (stty size)', async () => {
    const shell = await ShellDriver.open(await open('worker0'), { rows: 24, cols: 80, term: 'xterm-256color' });
    expect(await shell.run('stty size')).to.equal('24 80\n');
    shell.channel.setWindow(40, 132, 0, 0);
    // No wait needed: the window-change request precedes the next line on the same channel.
    expect(await shell.run('stty size')).to.equal('40 132\n');
    shell.channel.end('exit\n');
  });

  it('env: allow-listed variables are set, others refused', async () => {
    const result = await exec(await open('worker0'), 'echo "$LC_DEMO|$DUST_FOO|${EVIL-unset}"', {
      env: { LC_DEMO: 'x', DUST_FOO: 'y', EVIL: 'z' },
    });
    expect(result.stdout).to.equal('x|y|unset\n');
  });

  it('does not leak the dust process environment into sessions', async () => {
    process.env['DUST_DEMO_SECRET_FOR_TEST'] = 'leak';
    try {
      const result = await exec(await open('worker0'), 'echo "${DUST_DEMO_SECRET_FOR_TEST-none}"');
      expect(result.stdout).to.equal('none\n');
    } finally {
      delete process.env['DUST_DEMO_SECRET_FOR_TEST'];
    }
  });

  it('a shell and exec channels on one connection at the same time; more than 10 at once are refused', async () => {
    const client = await open('master');
    const shell = await ShellDriver.open(client);
    const [a, b] = await Promise.all([exec(client, 'hostname'), exec(client, 'echo two')]);
    expect(a.stdout).to.equal('master\n');
    expect(b.stdout).to.equal('two\n');
    expect(await shell.run('hostname')).to.equal('master\n');
    // 1 shell + 9 waiting execs = 10 open; the 11th must be refused, and freed slots be usable again.
    const waiting: import('ssh2').ClientChannel[] = [];
    const pending = Array.from({ length: 9 }, () =>
      exec(client, 'read line; echo got $line', { onStart: (ch) => waiting.push(ch) }),
    );
    const refused = await new Promise<Error | undefined>((resolve) => client.exec('true', (err) => resolve(err)));
    expect(refused, 'the 11th channel').to.be.instanceOf(Error);
    await eventually(() => waiting.length === 9); // each exec's callback waits for its exec request's reply
    for (const ch of waiting) ch.write('x\n');
    expect((await Promise.all(pending)).map((r) => r.stdout)).to.deep.equal(Array(9).fill('got x\n'));
    expect((await exec(client, 'echo again')).stdout).to.equal('again\n');
    shell.channel.end('exit\n');
  });

  it('sftp: write, read, stat, list, mkdir, rename, remove relative to the node home', async () => {
    const client = await open('worker0');
    const sftp = await new Promise<import('ssh2').SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => (err ? reject(err) : resolve(s))),
    );
    const call = <T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> =>
      new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
    const home = nodeNamed(cluster, 'worker0').homeDir;

    expect(await call<string>((cb) => sftp.realpath('.', cb))).to.equal(home);
    await call<void>((cb) => sftp.writeFile('hello.txt', 'hi there\n', (err) => cb(err, undefined)));
    expect(readFileSync(path.join(home, 'hello.txt'), 'utf8')).to.equal('hi there\n');
    expect(String(await call<Buffer>((cb) => sftp.readFile('hello.txt', cb)))).to.equal('hi there\n');
    expect((await call<import('ssh2').Stats>((cb) => sftp.stat('hello.txt', cb))).size).to.equal(9);
    await call<void>((cb) => sftp.mkdir('sub', (err) => cb(err, undefined)));
    await call<void>((cb) => sftp.rename('hello.txt', 'sub/moved.txt', (err) => cb(err, undefined)));
    const names = (await call<import('ssh2').FileEntry[]>((cb) => sftp.readdir('sub', cb))).map((e) => e.filename);
    expect(names).to.include('moved.txt');
    await call<void>((cb) => sftp.unlink('sub/moved.txt', (err) => cb(err, undefined)));
    await call<void>((cb) => sftp.rmdir('sub', (err) => cb(err, undefined)));
    expect(existsSync(path.join(home, 'sub'))).to.equal(false);
    const missing = await call<Buffer>((cb) => sftp.readFile('nope', cb)).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(Error);
    sftp.end();
  });
});
