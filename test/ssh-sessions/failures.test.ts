import { expect } from 'chai';
import { requireSshd, startBlackholeNode, startSshdCluster, type BlackholeNode, type SshdCluster } from '../harness/sshd-cluster.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { clusterNodes, dustNode, eventually, managerFor, type Collected } from './helpers.js';

describe('sessions: unreachable and lost nodes', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let blackhole: BlackholeNode;
  let sm: SessionManager;
  let seen: Collected;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 4 });
    blackhole = await startBlackholeNode('127.0.0.1');
    ({ sm, seen } = managerFor(cluster, { connectTimeoutMs: 3000, keepaliveIntervalMs: 1000 }));
  });
  after(async () => {
    await sm?.closeAll();
    await blackhole?.close();
    await cluster?.down();
  });

  it('a stopped node and a black-holed node fail with their reason; the others complete', async () => {
    const nodes = clusterNodes(cluster);
    const dead = nodes[3]!;
    await cluster.stopNode(dead.name);
    const hole = dustNode('hole', blackhole.host, blackhole.port, 99);
    const lines: string[] = [];
    const rs = await sm.run([...nodes, hole], 'echo up', { onLine: (n, l) => lines.push(`${n.name} ${l}`) });
    const by = new Map(rs.map((r) => [r.node.name, r]));
    for (const n of nodes.slice(0, 3)) {
      expect(by.get(n.name)!.status).to.equal('ok');
      expect(by.get(n.name)!.output).to.deep.equal(['up']);
    }
    expect(by.get(dead.name)!.status).to.equal('unreachable');
    expect(by.get(dead.name)!.error?.message).to.equal(`connect: ECONNREFUSED ${dead.host}:${dead.port}`);
    expect(by.get('hole')!.status).to.equal('unreachable');
    expect(by.get('hole')!.error?.message).to.match(/^connect: timed out/);
    expect(lines.filter((l) => l.endsWith(' up'))).to.have.length(3);
    await cluster.startNode(dead.name);
  });

  it('black holes wait for the connect timeout outside the handshake pool: healthy nodes answer first', async () => {
    // Two handshake slots and three nodes that accept TCP but never speak, asked for first: were they to hold the
    // slots until they time out, every healthy node would finish after them.
    const holes = await Promise.all([0, 1, 2].map(() => startBlackholeNode('127.0.0.1')));
    const { sm: small } = managerFor(cluster, { connectTimeoutMs: 3000, maxConcurrentHandshakes: 2 });
    try {
      const healthy = clusterNodes(cluster).slice(0, 3);
      const order: string[] = [];
      const targets = [...holes.map((h, i) => dustNode(`hole${i}`, h.host, h.port, 90 + i)), ...healthy];
      const results = await Promise.all(targets.map(async (n) => {
        const [r] = await small.run([n], 'echo up');
        order.push(n.name);
        return r!;
      }));
      expect(order.slice(0, 3).sort()).to.deep.equal(healthy.map((n) => n.name).sort());
      for (const r of results.slice(3)) expect([r.status, r.output]).to.deep.equal(['ok', ['up']]);
      for (const [i, r] of results.slice(0, 3).entries()) {
        expect(r.status).to.equal('unreachable');
        expect(r.error?.message).to.equal(`connect: timed out (TCP connected, but no SSH banner from ${holes[i]!.host}:${holes[i]!.port} within 3 s)`);
      }
    } finally {
      await small.closeAll();
      await Promise.all(holes.map((h) => h.close()));
    }
  });

  it('reconnects after the node restarts, restores cwd and says what was lost', async () => {
    const node = clusterNodes(cluster)[0]!;
    await sm.run([node], 'cd /tmp && export GONE=1');
    seen.events.length = 0;
    await cluster.restartNode(node.name);
    await eventually(() => seen.events.some((e) => e.type === 'lost' && e.node === node.name), 'lost event');
    const [r] = await sm.run([node], 'pwd; echo "gone=${GONE:-}"');
    expect(r!.status).to.equal('ok');
    expect(r!.output).to.deep.equal(['/tmp', 'gone=']);
    expect(r!.notice).to.match(/reconnected/);
    expect(r!.notice).to.include('restored cwd /tmp');
    expect(r!.notice).to.match(/lost: .*exports.*background jobs/);
    expect(seen.events.filter((e) => e.type === 'lost' && e.node === node.name)).to.have.length(1);
    const [again] = await sm.run([node], 'true');
    expect(again!.notice).to.equal(undefined);
  });

  it('refuses a node whose host key does not verify', async () => {
    const node = clusterNodes(cluster)[2]!;
    await sm.close(node);
    await cluster.regenerateHostKey(node.name);
    const fresh = managerFor(cluster, { verifyHostKey: () => ({ ok: false, error: new Error('key changed (known_hosts:3)') }) }).sm;
    const [r] = await fresh.run([node], 'true');
    expect(r!.status).to.equal('unreachable');
    expect(r!.error?.message).to.equal('host key: key changed (known_hosts:3)');
    await fresh.closeAll();
  });
});

describe('sessions: stock server limits', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  let sm: SessionManager;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 2, maxSessions: 10, maxStartups: '10:30:100' });
    ({ sm } = managerFor(cluster));
  });
  after(async () => {
    await sm?.closeAll();
    await cluster?.down();
  });

  it('works on a MaxSessions=10 server: one channel per node, reused', async () => {
    const nodes = clusterNodes(cluster);
    for (let i = 0; i < 15; i++) {
      const rs = await sm.run(nodes, `echo ${i}`);
      expect(rs.map((r) => r.output)).to.deep.equal([[String(i)], [String(i)]]);
    }
  });
});
