import { expect } from 'chai';
import { clusterNodes, useLoginShellNode } from './helpers.js';

// fish and tcsh cannot parse POSIX sh; dust must still reach its own shell through them without hanging.
for (const shell of ['/usr/bin/zsh', '/bin/dash', '/usr/bin/fish', '/usr/bin/tcsh']) {
  describe(`sessions: ${shell} as login shell`, function () {
    this.timeout(120_000);
    const f = useLoginShellNode(shell);

    it('runs commands with state, status and prompts in dust\'s own shell', async () => {
      const nodes = clusterNodes(f.cluster);
      await f.sm.run(nodes, 'cd /tmp; f() { echo "f:$1"; }');
      const [r] = await f.sm.run(nodes, 'pwd; f x; (exit 4)');
      expect(r!.output).to.deep.equal(['/tmp', 'f:x']);
      expect([r!.status, r!.exitCode]).to.deep.equal(['failed', 4]);
      const [w] = await f.sm.run(nodes, "printf 'Name: '; read n; echo \"n=$n\"");
      expect(w!.status).to.equal('waiting');
      const [a] = await f.sm.run(nodes, 'bob');
      expect(a!.output).to.deep.equal(['n=bob']);
    });
  });
}
