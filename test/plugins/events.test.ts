import { expect } from 'chai';
import type { DustEvents } from '../../src/plugins/api.js';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { writeDustConfig } from '../e2e/dust-config-for-cluster.js';
import { buildApp, dustCli, eventually, writePlugin, type TestApp } from './helpers.js';

type Recorded = { [E in keyof DustEvents]: { event: E; payload: DustEvents[E] } }[keyof DustEvents];

/** A drop-in that records every event it hears into a global array the test reads (same process). */
const RECORDER = `const events = ['command:before', 'command:after', 'node:finished', 'node:connected', 'node:lost', 'inventory:refreshed'];
export default { name: 'recorder', apiVersion: 2, setup(api) {
  for (const event of events) api.on(event, (payload) => { globalThis.__dustEvents.push({ event, payload }); });
  api.registerCommand({ name: 'nope', usage: 'nope', summary: 'returns false', run() { return false; } });
  api.registerCommand({ name: 'kaboom', usage: 'kaboom', summary: 'throws', run() { throw new Error('kaboom inside'); } });
} };\n`;

/** Handlers that misbehave: one throws every time, one never settles, one hangs on a pending timer. */
const MISBEHAVING = `export default { name: 'misbehaving', apiVersion: 2, setup(api) {
  api.on('command:after', () => { throw new Error('handler exploded'); });
  api.on('command:before', () => new Promise(() => {}));
  api.on('command:before', () => new Promise(() => { setInterval(() => {}, 1000); }));
  api.on('inventory:refreshed', async () => { await new Promise(() => {}); });
  api.registerCommand({ name: 'ping', usage: 'ping', summary: 'prints pong', run(ctx) { ctx.out.print('pong'); } });
} };\n`;

function recorded(): Recorded[] {
  return (globalThis as { __dustEvents?: Recorded[] }).__dustEvents!;
}

function ofType<E extends keyof DustEvents>(event: E): DustEvents[E][] {
  return recorded().filter((r) => r.event === event).map((r) => r.payload as DustEvents[E]);
}

describe('plugin events', function () {
  this.timeout(120000);
  let cluster: SshdCluster;
  let tmp: ReturnType<typeof makeTempHome>;
  let configFile: string;
  let t: TestApp;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    tmp = makeTempHome();
    configFile = writeDustConfig(cluster, tmp.home);
    writePlugin(tmp.home, 'recorder.mjs', RECORDER);
    (globalThis as { __dustEvents?: Recorded[] }).__dustEvents = [];
    t = await buildApp({ home: tmp.home, configFile, interactive: true }); // a person answers prompts here
  });

  after(async () => {
    await t?.close();
    await cluster?.down();
    tmp?.cleanup();
  });

  beforeEach(() => { (globalThis as { __dustEvents?: Recorded[] }).__dustEvents = []; });

  it('command:before then command:after, with the line, ok and durationMs', async () => {
    expect(await t.run('@node1 echo hi')).to.equal(true);
    await eventually(() => ofType('command:after').length === 1, 'command:after');
    const names = recorded().filter((r) => r.event.startsWith('command:')).map((r) => r.event);
    expect(names).to.deep.equal(['command:before', 'command:after']);
    const before = ofType('command:before')[0]!;
    expect(before.command).to.equal('at');
    expect(before.line).to.equal('@node1 echo hi');
    expect(before.nodes.map((n) => n.name)).to.deep.equal(['node1']);
    const after = ofType('command:after')[0]!;
    expect(after).to.include({ line: '@node1 echo hi', command: 'at', ok: true });
    expect(after.durationMs).to.be.a('number').and.at.least(0);
    expect(after.error).to.equal(undefined);
  });

  it('command:after says ok: false for a failed command and carries a thrown error', async () => {
    expect(await t.run('nope')).to.equal(false);
    expect(await t.run('kaboom')).to.equal(false);
    await eventually(() => ofType('command:after').length === 2, 'two command:after');
    const [nope, kaboom] = ofType('command:after');
    expect(nope).to.include({ command: 'nope', ok: false });
    expect(kaboom).to.include({ command: 'kaboom', ok: false });
    expect(String((kaboom!.error as Error).message)).to.equal('kaboom inside');
    // several commands: strictly before/after pairs, in order
    expect(recorded().filter((r) => r.event.startsWith('command:')).map((r) => `${r.event}:${(r.payload as { command: string }).command}`))
      .to.deep.equal(['command:before:nope', 'command:after:nope', 'command:before:kaboom', 'command:after:kaboom']);
  });

  it('node:connected once per new session, node:finished per node with exit status and output tail', async () => {
    const fresh = ['node0', 'node1', 'node2'].filter((n) => !t.app.sessions.connected().includes(n));
    expect(fresh.length).to.be.at.least(1);
    const ok = await t.run('@node[0-2] echo tail-of-$DUST_TEST_NODE; sh -c "exit 3"');
    expect(ok).to.equal(false);
    await eventually(() => ofType('node:finished').length === 3, 'three node:finished');
    const finished = ofType('node:finished').sort((a, b) => a.node.name.localeCompare(b.node.name));
    for (const [i, f] of finished.entries()) {
      expect(f.node.name).to.equal(`node${i}`);
      expect(f.exitCode).to.equal(3);
      expect(f.status).to.equal('failed');
      expect(f.command).to.equal('echo tail-of-$DUST_TEST_NODE; sh -c "exit 3"');
      expect(f.outputTail).to.include(`tail-of-node${i}`);
    }
    expect(ofType('node:connected').map((e) => e.node.name).sort()).to.deep.equal(fresh);
    (globalThis as { __dustEvents?: Recorded[] }).__dustEvents = [];
    await t.run('@node1 true');
    await eventually(() => ofType('node:finished').length === 1, 'node:finished');
    expect(ofType('node:finished')[0]).to.include({ exitCode: 0, status: 'ok' });
    expect(ofType('node:connected')).to.have.length(0); // the session was kept
  });

  it('node:finished never carries a secret line (a password typed for a waiting prompt)', async () => {
    (globalThis as { __dustEvents?: Recorded[] }).__dustEvents = [];
    await t.run('@node1 read -s -p "Password: " pw; echo; echo "got ${#pw}"');
    const [node1] = await t.app.state.resolveTarget('node1');
    expect(t.app.sessions.waitingPrompt(node1!)).to.equal('Password: ');
    const [r] = await t.app.sessions.run([node1!], 'hunter22', { secret: true });
    expect(r!.output).to.include('got 8');
    await eventually(() => ofType('node:finished').length === 2, 'two node:finished');
    expect(ofType('node:finished').map((f) => f.command)).to.deep.equal(['read -s -p "Password: " pw; echo; echo "got ${#pw}"', '(secret)']);
    expect(JSON.stringify(recorded())).to.not.include('hunter22');
    expect(t.app.sessions.waitingPrompt(node1!)).to.equal(undefined);
  });

  it('inventory:refreshed when the inventory is rebuilt', async () => {
    t.app.state.invalidate();
    await t.run('show');
    await eventually(() => ofType('inventory:refreshed').length >= 1, 'inventory:refreshed');
    expect(ofType('inventory:refreshed')[0]!.nodes.map((n) => n.name)).to.deep.equal(['node0', 'node1', 'node2']);
  });

  it("node:lost when a node's sshd stops mid-session, with a reason", async () => {
    await t.run('@node2 echo still-here');
    await eventually(() => ofType('node:finished').length === 1, 'node:finished');
    await cluster.stopNode('node2');
    try {
      await eventually(() => ofType('node:lost').length >= 1, 'node:lost', 60000);
      const lost = ofType('node:lost')[0]!;
      expect(lost.node.name).to.equal('node2');
      expect(lost.reason).to.be.a('string').and.not.equal('');
      expect(t.stderr()).to.match(/\[node2\] connection lost/);
    } finally {
      await cluster.startNode('node2');
    }
  });

  describe('misbehaving handlers never block or kill the shell', () => {
    let bad: TestApp;
    let badHome: ReturnType<typeof makeTempHome>;
    before(async () => {
      badHome = makeTempHome();
      writePlugin(badHome.home, 'misbehaving.mjs', MISBEHAVING);
      bad = await buildApp({ home: badHome.home, configFile });
    });
    after(async () => {
      await bad?.close();
      badHome?.cleanup();
    });

    it('in process: the next command runs and completes; a throwing handler is reported once, with its plugin', async () => {
      for (let i = 0; i < 3; i++) {
        expect(await bad.run('ping')).to.equal(true);
        expect(await bad.run('show node0')).to.equal(true);
      }
      expect(bad.stdout().match(/pong/g)).to.have.length(3);
      await eventually(() => bad.stderr().includes('handler exploded'), 'the handler failure report');
      const reports = bad.stderr().split('\n').filter((l) => l.includes('handler exploded'));
      expect(reports).to.deep.equal(["plugin 'misbehaving' failed handling command:after: handler exploded"]);
    });

    it('built CLI: lines keep running and dust exits although handlers never settle', () => {
      const home = makeTempHome();
      try {
        writePlugin(home.home, 'misbehaving.mjs', MISBEHAVING);
        const r = dustCli(['--config', configFile, '-c', 'ping', '-c', 'show node0', '-c', 'ping'], { home: home.home });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.match(/pong/g)).to.have.length(2);
        expect(r.stdout).to.include('node0');
      } finally {
        home.cleanup();
      }
    });
  });
});
