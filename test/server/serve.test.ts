/**
 * `dust serve` and its clients through the built CLI, on real sshd: readiness, socket security, warm sessions
 * shared by scripts, two attached terminals (working sets, Ctrl-C, a busy node, background output), a raw shell
 * with resize through the socket, clients and servers that die, and the protocol version check.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { lines, runDust, runDustAsync } from '../helpers/run-dust.js';
import { DUST_BIN, PtySession } from '../helpers/pty-driver.js';
import { useCliCluster } from '../e2e/dust-config-for-cluster.js';
import { eventually } from '../ssh-sessions/helpers.js';

interface Served {
  proc: ChildProcess;
  stderr: () => string;
  socket: string;
}

function startServer(home: string, configFile: string, extra: string[] = []): Served {
  const proc = spawn(process.execPath, [DUST_BIN, 'serve', '--config', configFile, ...extra], {
    env: { PATH: process.env['PATH'], HOME: home, DUST_HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const socketArg = extra.indexOf('--socket');
  return { proc, stderr: () => err, socket: socketArg >= 0 ? extra[socketArg + 1]! : path.join(home, 'run', 'dust.sock') };
}

async function up(s: Served): Promise<void> {
  await eventually(() => /^dust is (up|failing)/m.test(s.stderr()) || s.proc.exitCode !== null, 'the readiness line', 60_000);
  expect(s.stderr(), s.stderr()).to.match(/^dust is up$/m);
}

function exited(p: ChildProcess): Promise<number | null> {
  return p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((r) => p.once('exit', (code) => r(code)));
}

describe('dust serve (built CLI, real sshd)', function () {
  this.timeout(120_000);
  const f = useCliCluster({ count: 3 });
  let server: Served;
  const client = (...ls: string[]) => runDust(lines(...ls), { home: f.tmp.home });

  before(async () => {
    // An inventory source that fails while the file `inventory-down` exists (for the exit-status test).
    fs.mkdirSync(path.join(f.tmp.home, 'plugins'), { recursive: true });
    fs.writeFileSync(path.join(f.tmp.home, 'plugins', 'flaky-source.mjs'), `import fs from 'node:fs';
export default { name: 'flaky-source', apiVersion: 2, setup(api) {
  api.registerInventoryProvider({ name: 'flaky', async list() {
    if (fs.existsSync(${JSON.stringify(path.join(f.tmp.home, 'inventory-down'))})) throw new Error('the source is down');
    return [];
  } });
} };
`);
    server = startServer(f.tmp.home, f.configFile, ['--connect', 'node[0-1]']);
    await up(server);
  });
  after(async () => {
    server?.proc.kill('SIGTERM');
    if (server) await exited(server.proc);
  });

  it('says it is up once it listens, in an owner-only directory, with the sessions of --connect open', () => {
    expect(server.stderr()).to.match(/connected 2 of 2 node\(s\)/).and.to.match(/listening on .*dust\.sock/);
    const dir = path.dirname(server.socket);
    expect(fs.statSync(dir).mode & 0o777).to.equal(0o700);
    expect(fs.statSync(server.socket).mode & 0o077).to.equal(0);
    const st = runDust(['status', '--json'], { home: f.tmp.home });
    const status = JSON.parse(st.stdout) as { sessions: { node: string; state: string }[] };
    expect(status.sessions.filter((s) => s.state === 'idle').map((s) => s.node).sort()).to.deep.equal(['node0', 'node1']);
  });

  it('scripts run on the warm sessions: state set by one `dust -c` is there for the next, exit codes and --json as without a server', () => {
    let r = client('@node0 cd /tmp; export FROM_SCRIPT=1');
    expect(r.code).to.equal(0);
    r = client('@node0 echo "$PWD $FROM_SCRIPT"');
    expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node0] /tmp 1']);
    r = client('@node1 false');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/✖ 1 failed: node1 \(rc 1\)/);
    r = runDust(['--json', ...lines('@node[0-1] echo j')], { home: f.tmp.home });
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { node: string; output: string[] });
    expect(recs.map((x) => [x.node, x.output]).sort()).to.deep.equal([['node0', ['j']], ['node1', ['j']]]);
    r = runDust(['run', 'node2', 'echo', 'via-run'], { home: f.tmp.home });
    expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node2] via-run']);
    // dust run is clush-like by default: no PTY (stdout and stderr apart, no shell state); --pty is the warm shell.
    r = runDust(['run', 'node0', 'echo out; echo err >&2; echo "[$FROM_SCRIPT]"; if test -t 1; then echo tty; fi'], { home: f.tmp.home });
    expect([r.code, r.stdout.trim(), r.stderr]).to.deep.equal([0, '[node0] out\n[node0] []', '[node0] err\n']);
    r = runDust(['run', '--pty', 'node0', 'echo "[$FROM_SCRIPT]"; if test -t 1; then echo tty; fi'], { home: f.tmp.home });
    expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node0] [1]\n[node0] tty']);
    // Piped input is each node's stdin (pssh -I); it runs here, the protocol carries no stdin.
    const cwd = fs.mkdtempSync(path.join(f.tmp.home, 'runcwd-'));
    fs.copyFileSync(f.configFile, path.join(cwd, 'dust.config.yaml'));
    r = runDust(['run', 'node[0-1]', 'wc -c'], { home: f.tmp.home, cwd, input: 'four' });
    expect([r.code, r.stdout.trim().split('\n').sort()], r.stderr).to.deep.equal([0, ['[node0] 4', '[node1] 4']]);
    r = runDust(['--no-server', '--config', f.configFile, ...lines('@node0 echo "$FROM_SCRIPT"')], { home: f.tmp.home });
    expect(r.stdout.trim(), 'no server: a new session').to.equal('[node0]');
  });

  it('a line during which an inventory source failed exits 1, as without a server (its nodes were missing)', () => {
    const down = path.join(f.tmp.home, 'inventory-down');
    fs.writeFileSync(down, '');
    try {
      const r = client('refresh');
      expect(r.stderr).to.match(/inventory: flaky failed: .*the source is down.*\(its nodes are missing\)/);
      expect(r.code).to.equal(1);
    } finally {
      fs.rmSync(down);
    }
    const r = client('refresh', '@node0 true');
    expect([r.code, r.stderr]).to.deep.equal([0, '']);
  });

  it('piped input for the nodes runs the script in its own engine (the protocol carries no stdin); an empty stdin still goes to the server', () => {
    client('@node0 export FROM_SCRIPT=served');
    // A directory whose dust.config.yaml the local run finds (the server was given --config).
    const cwd = fs.mkdtempSync(path.join(f.tmp.home, 'cwd-'));
    fs.copyFileSync(f.configFile, path.join(cwd, 'dust.config.yaml'));
    let r = runDust(lines('@node0 wc -c; echo "[$FROM_SCRIPT]"'), { home: f.tmp.home, cwd, input: 'hello' });
    expect([r.code, r.stdout.trim()], r.stderr).to.deep.equal([0, '[node0] 5\n[node0] []']);
    r = runDust(lines('@node0 echo "[$FROM_SCRIPT]"'), { home: f.tmp.home, cwd, input: '' });
    expect(r.stdout.trim()).to.equal('[node0] [served]');
  });

  it('two attached terminals: own working sets, own Ctrl-C, a busy node named, background output on both', async () => {
    const a = new PtySession(['attach'], { DUST_HOME: f.tmp.home }, { cols: 120, rows: 40 });
    const b = new PtySession(['attach'], { DUST_HOME: f.tmp.home }, { cols: 120, rows: 40 });
    try {
      await a.waitFor('[dust @serve]$ ');
      await b.waitFor('[dust @serve]$ ');
      let m = a.mark();
      a.write('use lab\r');
      await a.waitFor('[lab @serve]$ ', { from: m });
      m = b.mark();
      b.write('@* echo b-sees-$DUST_TEST_NODE\r');
      await b.waitFor(/b-sees-node2[\s\S]*\[dust @serve\]\$ $/, { from: m });
      // Ctrl-C in one client never reaches the other's command.
      m = a.mark();
      a.write('@node0 sleep 3; echo a-finished\r');
      await new Promise((r) => setTimeout(r, 400));
      b.write('\x03');
      await a.waitFor('[node0] a-finished', { from: m, timeoutMs: 20_000 });
      // A node busy with A's command: B waits, and its status line names the holder.
      m = b.mark();
      a.write('@node1 sleep 3; echo a-holds\r');
      await new Promise((r) => setTimeout(r, 400));
      b.write('@node1 echo b-after\r');
      await b.waitFor(/waiting for node1 \(held by attach#\d+: sleep 3; echo a-holds\)/, { from: m, timeoutMs: 20_000 });
      await b.waitFor('[node1] b-after', { from: m, timeoutMs: 20_000 });
      // Background output of a job goes to every client.
      const ma = a.mark(), mb = b.mark();
      a.write('@node2 (sleep 0.5; echo bg-for-all) &\r');
      await a.waitFor('[node2] bg-for-all', { from: ma });
      await b.waitFor('[node2] bg-for-all', { from: mb });
      // Ctrl-C in A interrupts A's command.
      m = a.mark();
      a.write('@node0 sleep 30\r');
      await new Promise((r) => setTimeout(r, 500));
      a.write('\x03');
      await a.waitFor(/1 interrupted: node0[\s\S]*\[lab @serve\]\$ $/, { from: m, timeoutMs: 20_000 });
      a.write('\x04');
      expect(await a.waitForExit()).to.equal(0);
      // Leaving a client never stops the server.
      expect(client('@node0 echo still-served').stdout.trim()).to.equal('[node0] still-served');
    } finally {
      a.kill();
      b.kill();
    }
  });

  it('a raw shell through the socket: the node\'s terminal, resize, ^C×3 back, and only one client at a time', async () => {
    const a = new PtySession(['attach'], { DUST_HOME: f.tmp.home }, { cols: 100, rows: 30 });
    const b = new PtySession(['attach'], { DUST_HOME: f.tmp.home }, { cols: 100, rows: 30 });
    try {
      await a.waitFor('@serve]$ ');
      await b.waitFor('@serve]$ ');
      let m = a.mark();
      a.write('@node2\r');
      await a.waitFor(/node2:[^\n]*\$ $/, { from: m });
      a.write('stty size\r');
      await a.waitFor('30 100', { from: m });
      m = a.mark();
      a.resize(90, 25);
      for (let i = 0; i < 40 && !a.since(m).includes('25 90'); i++) {
        a.write('stty size\r');
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(a.since(m)).to.include('25 90');
      const mb = b.mark();
      b.write('@node2\r');
      await b.waitFor(/node2's terminal is held by attach#\d+ \(raw shell\)/, { from: mb });
      m = a.mark();
      a.write('\x03\x03\x03');
      await a.waitFor(/back from node2 \(session kept\)[\s\S]*@serve\]\$ $/, { from: m });
      const r = client('@node2 echo line-mode-again');
      expect(r.stdout.trim()).to.equal('[node2] line-mode-again');
    } finally {
      a.kill();
      b.kill();
    }
  });

  it('a client killed mid-command: the server and the session survive, the command is interrupted', async () => {
    const p = spawn(process.execPath, [DUST_BIN, '-c', '@node0 sleep 30; echo never'], {
      env: { PATH: process.env['PATH'], HOME: f.tmp.home, DUST_HOME: f.tmp.home, NO_COLOR: '1' }, stdio: 'ignore',
    });
    await eventually(() => /script#\d+ attached/.test(server.stderr()), 'the script client to attach');
    await new Promise((r) => setTimeout(r, 500));
    p.kill('SIGKILL');
    await eventually(() => /went away during '@node0 sleep 30; echo never': interrupted/.test(server.stderr()), 'the server to notice');
    const r = client('@node0 echo survived');
    expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node0] survived']);
  });

  it('refuses a live socket, a directory open to others; replaces a stale socket', async () => {
    const again = startServer(f.tmp.home, f.configFile);
    expect(await exited(again.proc)).to.equal(1);
    expect(again.stderr()).to.match(/^dust is failing: a dust server already answers on .*dust\.sock/m);

    const open = path.join(f.tmp.home, 'shared');
    fs.mkdirSync(open, { mode: 0o770 });
    fs.chmodSync(open, 0o770);
    const loose = startServer(f.tmp.home, f.configFile, ['--socket', path.join(open, 's.sock')]);
    expect(await exited(loose.proc)).to.equal(1);
    expect(loose.stderr()).to.match(/^dust is failing: .*shared is open to others \(mode 770\).*chmod 700/m);

    const dir = path.join(f.tmp.home, 'private');
    fs.mkdirSync(dir, { mode: 0o700 });
    const stalePath = path.join(dir, 's.sock');
    // A socket file nobody listens on (a server that died without cleaning up).
    await new Promise<void>((resolve) => { const s = net.createServer(); s.listen(stalePath, () => { s.close(); resolve(); }); });
    fs.writeFileSync(stalePath + '.keep', '');
    if (!fs.existsSync(stalePath)) {
      // Node removed it on close: make a leftover file the way a killed process leaves one.
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      await exited(child);
    }
    expect(fs.existsSync(stalePath)).to.equal(true);
    const fresh = startServer(f.tmp.home, f.configFile, ['--socket', stalePath]);
    await up(fresh);
    expect(fresh.stderr()).to.match(/replaced a stale socket/);
    const r = runDust(['--socket', stalePath, ...lines('@node2 echo on-fresh')], { home: f.tmp.home });
    expect(r.stdout.trim()).to.equal('[node2] on-fresh');
    fresh.proc.kill('SIGTERM');
    expect(await exited(fresh.proc)).to.equal(0);
    expect(fs.existsSync(stalePath), 'the socket is removed on SIGTERM').to.equal(false);
  });

  it('a client speaking another protocol version gets one clear line', async () => {
    const sock = net.connect(server.socket);
    await new Promise((r) => sock.once('connect', r));
    const conn = createMessageConnection(new SocketMessageReader(sock), new SocketMessageWriter(sock));
    conn.listen();
    const err = await conn.sendRequest('dust/hello', { protocol: 99, client: {} }).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/speaks protocol 1, the client speaks 99: run the same dust version on both sides/);
    conn.dispose();
    sock.destroy();
  });

  it('a server that dies between the hello and the line: the script says so in one line, exit 1 (never an internal error)', async () => {
    // In-process stand-in: answers the hello, then drops the connection. Whether the client is still waiting for
    // the hello, fails writing its line (EPIPE) or first sees the close depends on timing; the outcome must not.
    const dir = path.join(f.tmp.home, 'vanishing');
    fs.mkdirSync(dir, { mode: 0o700 });
    const socket = path.join(dir, 'v.sock');
    let accepted = 0;
    const fake = net.createServer((s) => {
      const conn = createMessageConnection(new SocketMessageReader(s), new SocketMessageWriter(s));
      // Every other time, before the answer to the hello is out (the hello waits) or after it (the line fails).
      const delay = (accepted++ % 2) * 30;
      conn.onRequest('dust/hello', () => {
        setTimeout(() => s.destroy(), delay);
        return { protocol: 1, server: { version: 'fake', pid: process.pid, socket, startedAt: Date.now() }, label: 'script#1', prompt: '$ ' };
      });
      conn.onRequest('dust/run', () => new Promise(() => {})); // busy until it dies
      conn.listen();
    });
    await new Promise<void>((r) => fake.listen(socket, r));
    try {
      for (let i = 0; i < 8; i++) {
        const r = await runDustAsync(['--socket', socket, '-c', 'echo hi'], { home: f.tmp.home });
        expect([r.code, r.stderr.trim()], `run ${i}: ${r.stdout}`).to.deep.equal([1, 'dust: the server went away (stopped or killed); its sessions are gone']);
      }
    } finally {
      fake.close();
    }
  });

  it('when the server dies, an attached client and a running script each say so in one line and stop', async () => {
    const dir = path.join(f.tmp.home, 'doomed');
    fs.mkdirSync(dir, { mode: 0o700 });
    const socket = path.join(dir, 'd.sock');
    const doomed = startServer(f.tmp.home, f.configFile, ['--socket', socket]);
    await up(doomed);
    const a = new PtySession(['attach', '--socket', socket], { DUST_HOME: f.tmp.home }, { cols: 100, rows: 30 });
    await a.waitFor('@serve]$ ');
    const script = spawn(process.execPath, [DUST_BIN, '--socket', socket, '-c', '@node1 sleep 30'], {
      env: { PATH: process.env['PATH'], HOME: f.tmp.home, DUST_HOME: f.tmp.home, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let scriptErr = '';
    script.stderr!.on('data', (d: Buffer) => { scriptErr += d.toString(); });
    await eventually(() => /script#\d+ attached/.test(doomed.stderr()), 'the script to attach');
    doomed.proc.kill('SIGKILL');
    const code = await Promise.race([exited(script), new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    if (code === 'still running') {
      script.kill('SIGKILL');
      throw new Error(`the script did not leave when its server died; it printed ${JSON.stringify(scriptErr)}`);
    }
    expect(code, scriptErr).to.equal(1);
    expect(scriptErr.trim().split('\n')).to.have.length(1);
    expect(scriptErr).to.match(/the server went away/);
    await a.waitFor(/the server went away/);
    expect(await a.waitForExit()).to.equal(1);
  });
});
