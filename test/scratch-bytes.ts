import { startSshdCluster } from './harness/sshd-cluster.js';
import { managerFor, clusterNodes } from './ssh-sessions/helpers.js';
import type { Transport } from '../src/sessions/transport.js';

const cluster = await startSshdCluster({ count: 1 });
const { sm, transport } = managerFor(cluster);
const orig = transport.openShell.bind(transport);
(transport as Transport).openShell = async (node, req) => {
  const ch = await orig(node, req);
  const w = ch.write.bind(ch);
  ch.write = (d) => { console.log('>>', JSON.stringify(d.toString())); w(d); };
  ch.onData((d) => console.log('<<', JSON.stringify(d.toString('latin1'))));
  return ch;
};
const nodes = clusterNodes(cluster);
const run = async (cmd: string) => {
  const r = await Promise.race([sm.run(nodes, cmd), new Promise((r) => setTimeout(() => r('HUNG'), 10000))]);
  console.log('=== ', cmd, JSON.stringify(r, (k, v) => (k === 'node' ? undefined : v)));
};
try {
  await run('echo hi');
  await run(process.argv[2] ?? 'bash -i');
  await run('echo in');
} finally {
  await sm.closeAll();
  await cluster.down();
}
