/**
 * dust's own session layer (src/ssh SessionManager, the one `@worker* ...` uses) on demo nodes: the README
 * tour's `@worker* hostname`, `@worker* cd /tmp` then `pwd`, and a stopped node showing as unreachable.
 */
import { expect } from 'chai';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import type { SessionManager } from '../../src/sessions/index.js';
import type { SshdCluster } from '../harness/sshd-cluster.js';
import { dustNode, managerFor } from '../ssh-sessions/helpers.js';
import { makeTempDir, randomBasePort, removeDir, TEST_TIMEOUT } from './helpers.js';

describe('demo cluster: dust sessions', function () {
  this.timeout(TEST_TIMEOUT);
  let dir: string;
  let cluster: DemoCluster;
  let sm: SessionManager;
  const workers = () => cluster.nodes.map((n, i) => dustNode(n.name, n.host, n.port, i + 1));

  before(async () => {
    dir = makeTempDir();
    cluster = await startDemoCluster({
      dir,
      basePort: randomBasePort(),
      nodes: [{ name: 'worker0' }, { name: 'worker1' }, { name: 'worker2' }],
    });
    // managerFor only reads clientKeyPath, user and nodes' host/port/hostPublicKey, which a DemoCluster has.
    ({ sm } = managerFor(cluster as unknown as SshdCluster));
  });

  after(async () => {
    await sm?.closeAll();
    await cluster?.close();
    removeDir(dir);
  });

  it('@worker* hostname shows each node name', async () => {
    const results = await sm.run(workers(), 'hostname');
    expect(results.map((r) => [r.node.name, r.status, r.output.join('|')])).to.deep.equal([
      ['worker0', 'ok', 'worker0'],
      ['worker1', 'ok', 'worker1'],
      ['worker2', 'ok', 'worker2'],
    ]);
  });

  it('@worker* cd /tmp then @worker* pwd: the shells persist', async () => {
    await sm.run(workers(), 'cd /tmp');
    const results = await sm.run(workers(), 'pwd');
    expect(results.map((r) => r.output.join('|'))).to.deep.equal(['/tmp', '/tmp', '/tmp']);
  });

  it('a stopped node is unreachable, and answers again once started', async () => {
    await cluster.stopNode('worker2');
    const stopped = await sm.run(workers(), 'echo up');
    expect(stopped.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'unreachable']);
    await cluster.startNode('worker2');
    const again = await sm.run(workers(), 'hostname');
    expect(again.map((r) => [r.status, r.output.join('|')])).to.deep.equal([
      ['ok', 'worker0'],
      ['ok', 'worker1'],
      ['ok', 'worker2'],
    ]);
  });
});
