import { expect } from 'chai';
import { lines, runDust } from '../helpers/run-dust.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { useCliCluster } from './dust-config-for-cluster.js';

describe('gather: identical outputs folded under their nodes (real sshd)', function () {
  this.timeout(120000);
  const f = useCliCluster({ count: 5 });
  const dust = (...ls: string[]) => {
    const r = runDust(['--config', f.configFile, ...lines(...ls)], { home: f.tmp.home, cwd: REPO_ROOT });
    return { code: r.code, out: r.stdout, err: r.stderr };
  };

  it('prints each distinct result once, largest group first, with flags of the remote command untouched', () => {
    const r = dust(`gather * echo same; if [ "$DUST_TEST_NODE" = node3 ]; then echo odd; fi; true`, 'gather node[0-1] ls -d -1 /');
    expect(r.code, r.err).to.equal(0);
    const big = r.out.indexOf('── node[0-2,4] (4) ──');
    const small = r.out.indexOf('── node3 (1) ──');
    expect(big).to.be.greaterThan(-1);
    expect(small).to.be.greaterThan(big);
    expect(r.out.slice(small)).to.match(/^── node3 \(1\) ──\nsame\nodd\n/);
    expect(r.out).to.include('2 distinct results');
    expect(r.out).to.include('── node[0-1] (2) ──\n/\n');
  });

  it('--diff shows the largest group in full and the others as unified diffs against it', () => {
    const r = dust(
      'gather --diff * seq 1 8 | sed "s/^5$/five-on-$DUST_TEST_NODE/;/^7$/d" | if [ "$DUST_TEST_NODE" = node2 ]; then cat; else seq 1 8; fi',
      'gather -x * true',
    );
    expect(r.out).to.include('── node[0-1,3-4] (4) ──\n1\n2\n3\n4\n5\n6\n7\n8\n');
    expect(r.out).to.include([
      '── node2 (1) ── diff against node[0-1,3-4]',
      '@@ -2,7 +2,6 @@', ' 2', ' 3', ' 4', '-5', '+five-on-node2', ' 6', '-7', ' 8',
    ].join('\n'));
    expect(r.err).to.match(/gather: unknown option '-x'.*usage: gather \[--diff\] \[--timeout S\] \[--no-pty\]/);
  });

  it('--diff on long outputs: a few changed lines among 3000 are a diff; a wholly different output is shown in full', () => {
    const r = dust(
      'gather --diff node[0-2] seq 1 3002 | sed "/^1500$/s/^/$DUST_TEST_NODE-/;t;s/^2999$/x/" | if [ "$DUST_TEST_NODE" = node2 ]; then cat; else seq 1 3002; fi',
      'gather --diff node[0-2] if [ "$DUST_TEST_NODE" = node2 ]; then seq 5001 7000; else seq 1 2000; fi',
    );
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include(['── node2 (1) ── diff against node[0-1]', '@@ -1497,7 +1497,7 @@', ' 1497', ' 1498', ' 1499', '-1500', '+node2-1500', ' 1501'].join('\n'));
    expect(r.out).to.include(['@@ -2996,7 +2996,7 @@', ' 2996', ' 2997', ' 2998', '-2999', '+x', ' 3000'].join('\n'));
    expect(r.out).to.include('── node2 (1) ── diff against node[0-1]\n(differs in more than 1000 lines: shown in full)\n5001\n5002\n');
  });

  it('shares the persistent shells with @ and names failures and exit codes', () => {
    const r = dust('@node[0-1] cd /tmp', 'gather node[0-1] pwd', 'gather node* test "$DUST_TEST_NODE" != node4');
    expect(r.out).to.include('── node[0-1] (2) ──\n/tmp\n');
    expect(r.out).to.include('── node4 (1) · failed rc 1 ──');
    expect(r.out).to.match(/✖ 1 failed: node4 \(rc 1\)/);
    expect(r.code).to.equal(1);
  });
});
