import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import type { SessionManager } from '../../src/sessions/index.js';
import { clusterNodes, managerFor } from './helpers.js';

// fish and tcsh cannot parse POSIX sh; dust must still reach its own shell through them without hanging.
for (const shell of ['/usr/bin/zsh', '/bin/dash', '/usr/bin/fish', '/usr/bin/tcsh']) {
  describe(`sessions: ${shell} as login shell`, function () {
    this.timeout(120_000);
    let cluster: SshdCluster;
    let sm: SessionManager;

    before(async function () {
      requireSshd(this);
      if (!existsSync(shell)) {
        // .ci/run installs every one of these shells: in CI a missing one is a failure, not a skip.
        if (process.env['CI']) throw new Error(`${shell} is missing; .ci/run should have installed it`);
        this.skip();
      }
      cluster = await startSshdCluster({ count: 1, loginShell: shell });
      ({ sm } = managerFor(cluster));
    });
    after(async () => {
      await sm?.closeAll();
      await cluster?.down();
    });

    it('runs commands with state, status and prompts in dust\'s own shell', async () => {
      const nodes = clusterNodes(cluster);
      await sm.run(nodes, 'cd /tmp; f() { echo "f:$1"; }');
      const [r] = await sm.run(nodes, 'pwd; f x; (exit 4)');
      expect(r!.output).to.deep.equal(['/tmp', 'f:x']);
      expect([r!.status, r!.exitCode]).to.deep.equal(['failed', 4]);
      const [w] = await sm.run(nodes, "printf 'Name: '; read n; echo \"n=$n\"");
      expect(w!.status).to.equal('waiting');
      const [a] = await sm.run(nodes, 'bob');
      expect(a!.output).to.deep.equal(['n=bob']);
    });
  });
}
