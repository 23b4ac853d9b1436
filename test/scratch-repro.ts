import { startSshdCluster } from './harness/sshd-cluster.js';
import { managerFor, clusterNodes } from './ssh-sessions/helpers.js';

const cluster = await startSshdCluster({ count: 1 });
const { sm, seen } = managerFor(cluster);
const nodes = clusterNodes(cluster);
const show = (label: string, rs: unknown) => console.log(label.padEnd(34), JSON.stringify(rs, (k, v) => (k === 'node' ? undefined : v)));
const run = async (cmd: string, abortMs?: number) => {
  const ac = new AbortController();
  if (abortMs) setTimeout(() => ac.abort(), abortMs);
  const r = await Promise.race([sm.run(nodes, cmd, { signal: ac.signal }), new Promise((r) => setTimeout(() => r('HUNG'), 6000))]);
  show(`${abortMs ? '^C ' : ''}${cmd}`, r);
};
try {
  await run('echo hi');
  await run('cat', 800); await run('echo after');
  await run('cat > /tmp/dust-cat-file; echo done', 800); await run('echo after');
  await run('export X=1; cd /tmp'); await run('exit 3'); await run('pwd; echo "X=$X"');
  await run('exec sh'); await run('echo "in $0 $$"'); await run('cd /var; exit 2'); await run('pwd');
  await run('su $(id -un) -s /bin/sh'); await run('echo nested $$'); await run('exit'); await run('echo outer $$');
  await run('bash -i'); await run('echo nested-bash'); await run('exit 5'); await run('echo back');
  await run('sudo -i 2>/dev/null || su - 2>/dev/null || bash -l'); await run('whoami; pwd; echo $0'); await run('exit'); await run('echo end');
  console.log('bg', JSON.stringify(seen.background));
} finally {
  await sm.closeAll();
  await cluster.down();
}
