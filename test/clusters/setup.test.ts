/**
 * Cluster setup over dust's persistent sessions on real OpenSSH sshd (test/harness): waiting for nodes, package
 * manager detection, sudo, pip, setup.all / setup.head, live output, stopping at the first failing step. Package
 * managers, pip, sudo and a non-root `id` are fakes in the node's ~/bin (fake-node-tools.ts says why); the shells,
 * the sessions and the SSH connections are real.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseClusterSpec } from '../../src/clusters/load-spec.js';
import { runSetup, setupFailure, type SetupEvent } from '../../src/clusters/setup.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import type { DustNode } from '../../src/inventory/node.js';
import { useSessionCluster } from '../ssh-sessions/helpers.js';
import { fakeNonRoot, fakePackageManager, fakePip, fakeSudo, preparePath, removeTool, takeLog } from './fake-node-tools.js';

const spec = (yamlText: string) => parseClusterSpec(`name: t1\n${yamlText}`, 't1.yaml');

describe('cluster setup over sessions (real sshd)', function () {
  this.timeout(90_000);
  const f = useSessionCluster({ count: 3 }, {}, (cluster) => {
    for (const n of cluster.nodes) {
      preparePath(n.homeDir);
      fakePip(n.homeDir);
    }
    // node0 (the head) is a dnf machine, node1 and node2 apt machines; node2 logs in without root, with sudo.
    fakePackageManager(cluster.node('node0').homeDir, 'dnf');
    fakePackageManager(cluster.node('node1').homeDir, 'apt-get');
    fakePackageManager(cluster.node('node2').homeDir, 'apt-get');
    fakeNonRoot(cluster.node('node2').homeDir);
    fakeSudo(cluster.node('node2').homeDir);
  });
  const home = (name: string) => f.cluster.node(name).homeDir;
  const roles = () => ({ head: f.nodes[0] as DustNode, workers: f.nodes.slice(1) });
  afterEach(() => {
    for (const n of f.cluster.nodes) takeLog(n.homeDir);
  });

  it('installs packages with each node\'s package manager (sudo -n when not root), pip, then setup.all and setup.head, streaming every line', async () => {
    const lines: string[] = [];
    const events: string[] = [];
    const result = await runSetup({
      sessions: f.sm,
      onLine: (node, line) => lines.push(`[${node.name}] ${line}`),
      onEvent: (e: SetupEvent) => { if (e.type === 'step') events.push(`${e.node.name} ${e.step.id} ${e.phase}`); },
    }, roles(), spec(`
dependencies: { packages: [git, "it's quoted"], pip: ['daft[ray]==0.4.*'] }
setup:
  all: ['echo all on $DUST_TEST_NODE', 'cd /tmp && export LEAK=1 && pwd']
  head: ['echo head only > head.txt', 'cat head.txt']
`));
    expect(result.ok, JSON.stringify(result)).to.equal(true);
    expect(result.head).to.include({ node: 'node0', role: 'head', status: 'ok' });
    expect(result.head.completed).to.deep.equal(['packages', 'pip', 'setup.all[1]', 'setup.all[2]', 'setup.head[1]', 'setup.head[2]']);
    expect(result.workers.map((w) => [w.node, w.status, w.completed.join(',')])).to.deep.equal([
      ['node1', 'ok', 'packages,pip,setup.all[1],setup.all[2]'],
      ['node2', 'ok', 'packages,pip,setup.all[1],setup.all[2]'],
    ]);

    const dnf = `${home('node0')}/bin/dnf`;
    expect(takeLog(home('node0'))).to.deep.equal([`dnf -y install git it's quoted`, 'pip3 install --disable-pip-version-check --progress-bar off daft[ray]==0.4.*']);
    expect(takeLog(home('node1'))).to.deep.equal([
      'apt-get -q -o DPkg::Lock::Timeout=300 update',
      `apt-get -q -y -o DPkg::Lock::Timeout=300 install git it's quoted`,
      'pip3 install --disable-pip-version-check --progress-bar off daft[ray]==0.4.*',
    ]);
    const apt2 = `${home('node2')}/bin/apt-get`;
    expect(takeLog(home('node2'))).to.deep.equal([
      `sudo -n env DEBIAN_FRONTEND=noninteractive ${apt2} -q -o DPkg::Lock::Timeout=300 update`,
      'apt-get -q -o DPkg::Lock::Timeout=300 update',
      `sudo -n env DEBIAN_FRONTEND=noninteractive ${apt2} -q -y -o DPkg::Lock::Timeout=300 install git it's quoted`,
      `apt-get -q -y -o DPkg::Lock::Timeout=300 install git it's quoted`,
      'pip3 install --disable-pip-version-check --progress-bar off --user daft[ray]==0.4.*',
    ]);
    expect(dnf).to.be.a('string');

    expect(lines).to.include.members([
      '[node0] dnf: installing (fake) -y install git it\'s quoted',
      '[node0] all on node0', '[node1] all on node1', '[node2] all on node2',
      '[node0] /tmp', '[node0] head only',
    ]);
    expect(lines.filter((l) => l.includes('head only'))).to.deep.equal(['[node0] head only']);
    expect(fs.readFileSync(path.join(home('node0'), 'head.txt'), 'utf8')).to.equal('head only\n');
    expect(events.filter((e) => e.startsWith('node1 '))).to.deep.equal([
      'node1 packages start', 'node1 packages ok', 'node1 pip start', 'node1 pip ok',
      'node1 setup.all[1] start', 'node1 setup.all[1] ok', 'node1 setup.all[2] start', 'node1 setup.all[2] ok',
    ]);

    // Steps ran in subshells: the shell the user types into next is where it was, without the step's exports.
    const after = await f.sm.run(f.nodes, 'pwd; echo "leak=${LEAK:-none}"');
    for (const r of after) expect(r.output).to.deep.equal([home(r.node.name), 'leak=none']);
  });

  it('stops each node at its first failing step, names the step and exit status, and runs nothing after it', async () => {
    const lines: string[] = [];
    const result = await runSetup({ sessions: f.sm, onLine: (n, l) => lines.push(`[${n.name}] ${l}`) }, roles(), spec(`
setup:
  all: ['echo first', 'if [ "$DUST_TEST_NODE" = node1 ]; then echo broken >&2; exit 3; fi', 'echo third']
  head: ['echo head step']
`));
    expect(result.ok).to.equal(false);
    const node1 = result.workers.find((w) => w.node === 'node1')!;
    expect(node1).to.include({ status: 'failed', step: 'setup.all[2]', exitCode: 3, reason: 'exit 3' });
    expect(node1.completed).to.deep.equal(['setup.all[1]']);
    expect(result.head.status).to.equal('ok');
    expect(result.workers.find((w) => w.node === 'node2')!.status).to.equal('ok');
    expect(lines).to.include('[node1] broken');
    expect(lines).to.not.include('[node1] third');
    expect(lines).to.include('[node2] third');

    const err = setupFailure(result);
    expect(err?.code).to.equal(ErrorCodes.ClusterSetup);
    expect(err?.message).to.equal('cluster setup: 1 of 3 nodes not ready: node1: setup.all[2] failed (exit 3)');
  });

  it('a step that waits for input fails instead of hanging (stdin is /dev/null)', async () => {
    const result = await runSetup({ sessions: f.sm }, { head: f.nodes[0]!, workers: [] }, spec(`
setup: { all: ['read answer && echo "got $answer"'] }
`));
    expect(result.head).to.include({ status: 'failed', step: 'setup.all[1]', exitCode: 1 });
  });

  it('Ctrl-C interrupts the running steps: those nodes end interrupted at that step, and their shells stay usable', async () => {
    const stop = new AbortController();
    const result = await runSetup({
      sessions: f.sm, signal: stop.signal,
      onLine: (_n, line) => { if (line === 'sleeping') stop.abort(); },
    }, { head: f.nodes[0]!, workers: [] }, spec(`
setup: { all: ['echo sleeping; sleep 30', 'echo never'] }
`));
    expect(result.head).to.include({ status: 'interrupted', step: 'setup.all[1]', reason: 'interrupted' });
    const [after] = await f.sm.run([f.nodes[0]!], 'echo alive');
    expect(after?.output).to.deep.equal(['alive']);
  });

  it('refuses packages without root and sudo, or without a package manager, in one line; a failing install stops the node', async () => {
    fakeNonRoot(home('node1')); // node1: not root, and this machine has no real sudo
    removeTool(home('node0'), 'dnf'); // node0: the real apt-get would be next: shadow it with a failing one
    fakePackageManager(home('node0'), 'apt-get', 100);
    try {
      const result = await runSetup({ sessions: f.sm }, roles(), spec(`
dependencies: { packages: [git] }
setup: { all: ['echo never'] }
`));
      expect(result.workers.find((w) => w.node === 'node1')).to.include({
        status: 'failed', step: 'packages', exitCode: null,
        reason: 'installing packages needs root, and this login is not root and has no sudo',
      });
      expect(result.head).to.include({ status: 'failed', step: 'packages', exitCode: 100, reason: 'exit 100' });
      expect(result.head.completed).to.deep.equal([]);
      expect(result.workers.find((w) => w.node === 'node2')!.status).to.equal('ok');
      expect(takeLog(home('node1'))).to.deep.equal([]);
    } finally {
      removeTool(home('node1'), 'id');
      fakePackageManager(home('node0'), 'dnf');
      fakePackageManager(home('node0'), 'apt-get'); // keeps shadowing the real one
    }
  });

  it('waits for a node that does not answer yet (with progress), and reports one that never does as pending', async () => {
    let fakeNow = 0;
    const waiting: string[] = [];
    await f.cluster.stopNode('node0');
    await f.cluster.stopNode('node2');
    await f.sm.closeAll();
    let sleeps = 0;
    const result = await runSetup({
      sessions: f.sm,
      reachTimeoutMs: 60_000,
      reachIntervalMs: 5_000,
      now: () => fakeNow,
      sleep: async (ms) => {
        fakeNow += ms;
        // The head comes up after its second wait; node2 stays down.
        if (++sleeps === 3) await f.cluster.startNode('node0');
      },
      onEvent: (e) => { if (e.type === 'waiting') waiting.push(`${e.node.name} ${e.attempt}`); },
    }, roles(), spec('setup: { all: [echo ready] }\n'));
    try {
      expect(result.head.status).to.equal('ok');
      expect(result.workers.find((w) => w.node === 'node1')!.status).to.equal('ok');
      const node2 = result.workers.find((w) => w.node === 'node2')!;
      expect(node2.status).to.equal('pending');
      expect(node2.reason).to.match(/^not reachable after \d+ s: .*refused/i);
      expect(waiting).to.include.members(['node0 1', 'node2 1']);
      expect(setupFailure(result)?.hint).to.match(/cluster up/);
    } finally {
      await f.cluster.startNode('node0').catch(() => undefined);
      await f.cluster.startNode('node2');
    }
  });
});
