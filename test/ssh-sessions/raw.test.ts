import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { DustNode } from '../../src/inventory/node.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { clusterNodes, eventually, managerFor } from './helpers.js';
import { FakeTerminal } from './fake-terminal.js';

describe('sessions: raw shell on the same session', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let sm: SessionManager;
  let node: DustNode;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 1 });
    ({ sm } = managerFor(cluster));
    node = clusterNodes(cluster)[0]!;
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('shows a prompt with the cwd from line mode, passes bytes, follows resizes, detaches on the third Ctrl-C', async () => {
    await sm.run([node], 'cd /tmp; export RAWVAR=kept');
    const t = new FakeTerminal(30, 100);
    const outcome = sm.attachRaw(node, t.terminal);
    await eventually(() => t.text.includes(`${node.name}:/tmp$ `), 'raw prompt');
    let mark = t.text.length;
    t.type('echo "[$RAWVAR]"; stty size\r');
    await eventually(() => t.since(mark).includes('30 100'), 'stty size');
    expect(t.since(mark)).to.include('[kept]');
    t.resize(40, 120);
    await new Promise((r) => setTimeout(r, 200));
    mark = t.text.length;
    t.type('stty size\r');
    await eventually(() => t.since(mark).includes('40 120'), 'resized stty size');
    // Two Ctrl-C reach the remote program; a different byte in between resets the count.
    mark = t.text.length;
    t.type('sleep 30\r');
    await new Promise((r) => setTimeout(r, 300));
    t.type('\x03');
    await eventually(() => t.since(mark).split(`${node.name}:/tmp$ `).length >= 2, 'prompt after interrupting sleep');
    t.type('x\x03\x03');
    await new Promise((r) => setTimeout(r, 300));
    t.type('\x03');
    expect(await outcome).to.equal('detached');
    // Line mode is back: no echo, no prompt text, state kept.
    const [r] = await sm.run([node], 'pwd; echo "$RAWVAR"');
    expect(r!.output).to.deep.equal(['/tmp', 'kept']);
    expect(sm.connected()).to.deep.equal([node.name]);
  });

  it('exit in the raw shell ends the session and resolves exited; the next run opens a new one', async () => {
    const t = new FakeTerminal();
    const outcome = sm.attachRaw(node, t.terminal);
    await eventually(() => t.text.includes('$ '), 'raw prompt');
    t.type('exit\r');
    expect(await outcome).to.equal('exited');
    expect(sm.connected()).to.deep.equal([]);
    const [r] = await sm.run([node], 'echo again');
    expect(r!.output).to.deep.equal(['again']);
  });

  it('resolves lost when the connection drops while attached', async () => {
    const t = new FakeTerminal();
    const outcome = sm.attachRaw(node, t.terminal);
    await eventually(() => t.text.includes('$ '), 'raw prompt');
    await cluster.stopNode(node.name);
    expect(await outcome).to.equal('lost');
    await cluster.startNode(node.name);
  });
});
