/**
 * Issue 12 through the built CLI on real sshd: what a person sees while typing (item 7), nodes left waiting
 * (item 8), scripts that must not hang (item 9), the spelled-out `at`/`atssh` (item 10), and timeouts.
 */
import { expect } from 'chai';
import { lines, runDust } from '../helpers/run-dust.js';
import { PtySession, REPO_ROOT } from '../helpers/pty-driver.js';
import { useCliCluster } from './dust-config-for-cluster.js';

describe('sessions through the built CLI (real sshd)', function () {
  this.timeout(120_000);
  const f = useCliCluster({ count: 3 });
  const script = (...ls: string[]) => runDust(['--config', f.configFile, ...lines(...ls)], { home: f.tmp.home, cwd: REPO_ROOT });

  describe('interactive', () => {
    let dust: PtySession;
    afterEach(() => dust?.kill());

    it('7. background lines arriving while a half-typed line wraps all appear, once, above one prompt', async () => {
      dust = new PtySession(['--config', f.configFile], { DUST_HOME: f.tmp.home }, { cols: 40, rows: 30 });
      await dust.waitFor('[dust]$ ');
      let m = dust.mark();
      dust.write('@node0 (for i in 1 2 3 4; do sleep 0.4; echo async-$i; done) &\r');
      await dust.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      const typed = 'show this-is-a-long-half-typed-line-that-wraps-past-forty-columns';
      dust.write(typed);
      m = dust.mark();
      await dust.waitFor('async-4', { from: m, timeoutMs: 20_000 });
      // Let the redraw after the last line land, then read the screen as a person would.
      await dust.waitFor(/columns$/, { from: dust.mark() - 200 });
      const { lines: screen } = await dust.screen();
      if (process.env['DUST_TEST_SHOW_SCREEN']) console.log(screen.join('\n'));
      const text = screen.join('\n');
      for (let i = 1; i <= 4; i++) expect(text.match(new RegExp(`\\[node0\\] async-${i}\\b`, 'g')), `async-${i} once`).to.have.length(1);
      // The prompt with the typed text is on screen exactly once, after the last background line.
      const joined = screen.join('');
      expect(joined.split(typed.slice(-20)).length - 1, 'one copy of the half-typed line').to.equal(1);
      expect(screen.findLastIndex((l) => l.includes('async-4'))).to.be.lessThan(screen.findLastIndex((l) => l.includes('[dust]$')));
      expect(screen.filter((l) => l.startsWith('[dust]$ show this')), 'stale prompt rows').to.have.length(1);
      dust.write('\x15\r');
    });

    it('8. a node still waiting stays last=waiting after its neighbours are answered, and is left alone unless asked', async () => {
      dust = new PtySession(['--config', f.configFile], { DUST_HOME: f.tmp.home }, { cols: 120, rows: 40 });
      await dust.waitFor('[dust]$ ');
      let m = dust.mark();
      dust.write('@* read -p "Continue? " a; echo "got $a"\r');
      await dust.waitFor(/3 waiting for input: node\[0-2\]/, { from: m });
      m = dust.mark();
      dust.write('@node[0-1] y\r');
      await dust.waitFor(/\[node1\]\s+got y[\s\S]*\[dust\]\$ $/, { from: m });
      m = dust.mark();
      dust.write('@* echo hello\r');
      await dust.waitFor("node2 still waits at 'Continue?': type 'echo hello' into it as the answer? [y/N]", { from: m });
      dust.write('n\r');
      let out = await dust.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      expect(out).to.match(/\[node0\]\s+hello/).and.to.match(/\[node1\]\s+hello/).and.to.match(/left alone: node2 \(still waiting at 'Continue\?'/);
      expect(out).to.not.match(/\[node2\]\s+got/);
      m = dust.mark();
      dust.write('@last=waiting n\r');
      out = await dust.waitFor(/\[node2\]\s+got n/, { from: m });
      expect(out).to.not.match(/\[node[01]\]/);
    });
  });

  describe('scripts', () => {
    it('9. a command reading stdin ends at once, and a prompt on the terminal fails the line instead of hanging', () => {
      let r = script('@node0 cat; echo after-cat');
      expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node0] after-cat']);
      r = script('@node0 read -p "[sudo] password for ann: " pw < /dev/tty; echo never', '@node0 echo next');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/\[node0\] ✖ waiting for input at '\[sudo\] password for ann:' and nothing can answer it here/);
      expect(r.stdout).to.not.include('never');
      expect(r.stdout).to.match(/\[node0\] next/);
    });

    it('10. atssh / at take the target word first, then the command; at takes --timeout', () => {
      let r = script('atssh node1 echo via-$DUST_TEST_NODE');
      expect([r.code, r.stdout.trim()]).to.deep.equal([0, '[node1] via-node1']);
      r = script('at --timeout 0.5 node[0-1] sleep 20', '@last=timeout echo re-run-$DUST_TEST_NODE');
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(/✖ 2 timed out: node\[0-1\]/);
      expect(r.stdout).to.match(/\[node0\] re-run-node0/).and.to.match(/\[node1\] re-run-node1/);
      r = script('at --timeout soon node0 true');
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/--timeout: 'soon' is not a number of seconds/);
    });

    it('dust --timeout sets the default for every line; --json records carry the status and the cut', () => {
      const r = runDust(['--config', f.configFile, '--timeout', '0.5', '--json', ...lines('@node0 sleep 20', 'at --max-output 3 node1 seq 1 10')], { home: f.tmp.home, cwd: REPO_ROOT });
      const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records[0]).to.deep.include({ node: 'node0', status: 'timeout', exitCode: 130 });
      expect(records[1]).to.deep.include({ node: 'node1', status: 'ok', output: ['8', '9', '10'] });
      expect(records[1]!['truncated']).to.deep.include({ dropped: 7, totalLines: 10 });
    });
  });
});
