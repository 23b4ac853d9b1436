import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runDust } from '../helpers/run-dust.js';
import { startBlackholeNode, type BlackholeNode } from '../harness/sshd-cluster.js';
import { PtySession, REPO_ROOT } from '../helpers/pty-driver.js';
import { useCliCluster, writeDustConfig } from './dust-config-for-cluster.js';

function dustScript(args: string[], home: string) {
  return runDust(args, { home, cwd: REPO_ROOT });
}

describe('dust over real OpenSSH (built CLI, real PTY)', function () {
  this.timeout(120000);
  const f = useCliCluster({ count: 4 });
  let hole: BlackholeNode;

  before(async () => {
    hole = await startBlackholeNode(f.cluster.nodes[0]!.host.replace(/\.\d+$/, '.250'));
  });

  after(async () => {
    await hole?.close();
  });

  describe('interactive', () => {
    let dust: PtySession;
    beforeEach(async () => {
      dust = new PtySession(['--config', f.configFile], { DUST_HOME: f.tmp.home }, { cols: 100, rows: 30 });
      await dust.waitFor('[dust]$ ');
    });
    afterEach(() => dust.kill());

    it('runs on every node with [name] prefixes, keeps cd per node, and answers a waiting prompt', async () => {
      let m = dust.mark();
      dust.write('@* echo hello from $DUST_TEST_NODE\r');
      let out = await dust.waitFor(/\[dust\]\$ $/m, { from: m + 1 });
      for (const n of f.cluster.nodes) expect(out).to.match(new RegExp(`\\[${n.name}\\]\\s+hello from ${n.name}`));
      m = dust.mark();
      dust.write('@node[0-1] cd /tmp\r');
      await dust.waitFor('[dust]$ ', { from: m + 1 });
      m = dust.mark();
      dust.write('@* pwd\r');
      out = await dust.waitFor(/node3\]\s+\S+home/, { from: m });
      expect(out).to.match(/\[node0\]\s+\/tmp/).and.match(/\[node1\]\s+\/tmp/).and.match(/\[node2\]\s+\/\S+\/node2\/home/);
      m = dust.mark();
      dust.write('@node2 read -p "Continue [Y/n] " x; echo answer=$x\r');
      out = await dust.waitFor(/waiting for input: node2/, { from: m });
      expect(out).to.include('[node2] Continue [Y/n]');
      m = dust.mark();
      dust.write('@node2 Y\r');
      await dust.waitFor('[node2] answer=Y', { from: m });
    });

    it('reads a password for nodes waiting at a password prompt without echo, and keeps it out of history', async () => {
      let m = dust.mark();
      dust.write('@node[0-1] read -s -p "[sudo] password for ann: " pw; echo; echo "got ${#pw} chars"\r');
      let out = await dust.waitFor(/type the password with @node\[0-1\]/, { from: m });
      expect(out).to.include('[node0] [sudo] password for ann:');
      m = dust.mark();
      dust.write('@node[0-1]\r');
      await dust.waitFor('[sudo] password for ann (for node[0-1], not echoed): ', { from: m });
      dust.write('hunter22\r');
      out = await dust.waitFor(/\[dust\]\$ $/m, { from: m + 1 });
      expect(out).to.match(/\[node0\]\s+got 8 chars/).and.match(/\[node1\]\s+got 8 chars/);
      // An answer typed in the clear still works, but never reaches the history file.
      m = dust.mark();
      dust.write('@node2 read -s -p "Password: " pw; echo; echo "got ${#pw}"\r');
      await dust.waitFor(/type the password with @node2/, { from: m });
      m = dust.mark();
      dust.write('@node2 opensesame\r');
      await dust.waitFor(/\[node2\]\s+got 10/, { from: m });
      dust.write('@node0 echo after\r');
      await dust.waitFor(/\[node0\]\s+after/, { from: m });
      expect(dust.text).to.not.include('hunter22');
      // History is saved in the background (merged with other shells' lines under the file's lock): wait for it.
      const historyFile = path.join(f.tmp.home, 'history');
      const saved = (): string => (fs.existsSync(historyFile) ? fs.readFileSync(historyFile, 'utf8') : '');
      for (let i = 0; i < 200 && !saved().includes('@node0 echo after'); i++) await new Promise((r) => setTimeout(r, 25));
      const history = saved();
      expect(history).to.not.include('hunter22').and.not.include('opensesame');
      expect(history).to.include('@node0 echo after');
    });

    it('prints background output above the prompt without eating the half-typed line', async () => {
      let m = dust.mark();
      dust.write('@node0 (sleep 2; echo background-done) &\r');
      await dust.waitFor('[dust]$ ', { from: m + 1 });
      m = dust.mark();
      dust.write('show node');
      const out = await dust.waitFor(/background-done[\s\S]*\[dust\]\$ show node/, { from: m });
      expect(out).to.include('[node0] background-done');
      dust.write('\x15');
    });

    it('Ctrl-C interrupts the remote commands, returns to the prompt and keeps the sessions', async () => {
      let m = dust.mark();
      dust.write('@* echo started; sleep 60\r');
      await dust.waitFor(/started[\s\S]*started[\s\S]*started[\s\S]*started/, { from: m });
      dust.write('\x03');
      const out = await dust.waitFor(/interrupted: node\[0-3\][\s\S]*\[dust\]\$ /, { from: m });
      expect(out).to.include('4 interrupted');
      m = dust.mark();
      dust.write('@node1 echo still-here\r');
      await dust.waitFor('[node1] still-here', { from: m });
    });

    it('@node opens a raw shell on the same session: state kept, resize followed, Ctrl-C x3 returns', async () => {
      let m = dust.mark();
      dust.write('@node3 cd /var\r');
      await dust.waitFor('[dust]$ ', { from: m + 1 });
      m = dust.mark();
      dust.write('@node3\r');
      await dust.waitFor(/node3:\/var\$ $/, { from: m });
      m = dust.mark();
      dust.write('stty size; echo in-raw-$DUST_TEST_NODE\r');
      let out = await dust.waitFor(/in-raw-node3[\s\S]*node3:\/var\$ $/, { from: m });
      expect(out).to.include('30 100');
      m = dust.mark();
      dust.resize(90, 25);
      // The resize reaches the node asynchronously (SIGWINCH to dust, then window-change): ask until it shows.
      for (let i = 0; i < 20 && !dust.since(m).includes('25 90'); i++) {
        const before = dust.mark();
        dust.write('stty size\r');
        await dust.waitFor(/\d+ \d+[\s\S]*node3:\/var\$ $/, { from: before });
      }
      out = dust.since(m);
      expect(out).to.include('25 90');
      expect(out, 'dust\'s own prompt is not drawn into the raw shell on resize').to.not.include('[dust]$');
      m = dust.mark();
      dust.write('\x03\x03\x03');
      await dust.waitFor(/back from node3[\s\S]*\[dust\]\$ /, { from: m });
      m = dust.mark();
      dust.write('@node3 pwd\r');
      await dust.waitFor('[node3] /var', { from: m });
    });

    it('refuses a raw shell on several nodes with one clear line', async () => {
      const m = dust.mark();
      dust.write('@node*\r');
      const out = await dust.waitFor(/\[dust\]\$ /, { from: m + 1 });
      expect(out).to.match(/raw shell needs exactly one node; the target matched 4: node\[0-3\]/);
    });
  });

  describe('failures (scripted)', () => {
    it('a stopped node and a black-holed node are reported by name and do not stop the others', async () => {
      // Its own directory: the shared configFile must keep listing just the cluster for the other tests.
      const file = writeDustConfig(f.cluster, fs.mkdtempSync(path.join(f.tmp.home, 'cfg-')), {
        extraNodes: [`{ name: hole, host: ${hole.host}, port: ${hole.port} }`, `{ name: gone, host: ${f.cluster.nodes[0]!.host}, port: 1 }`],
        ssh: 'connectTimeoutMs: 3000',
      });
      const r = dustScript(['--config', file, '-c', '@* echo ok-$DUST_TEST_NODE'], f.tmp.home);
      expect(r.code).to.equal(1);
      for (const n of f.cluster.nodes) expect(r.stdout).to.include(`ok-${n.name}`);
      expect(r.stdout).to.match(/\[gone\]\s+✖ connect: ECONNREFUSED/);
      expect(r.stdout).to.match(/\[hole\]\s+✖ connect: timed out/);
      expect(r.stdout).to.match(/✖ 2 unreachable: gone,hole/);
    });

    it('last= and rc= select nodes by their outcome in the previous command, for a re-run on just those', () => {
      const r = dustScript(['--config', f.configFile,
        '-c', '@* case $DUST_TEST_NODE in node1) (exit 3);; node2) (exit 4);; esac',
        '-c', 'show rc=3',
        '-c', '@last=failed echo again-$DUST_TEST_NODE',
        '-c', '@last=failed echo nothing failed in the line before',
        '-c', '@*!last=ok echo still-$DUST_TEST_NODE',
      ], f.tmp.home);
      expect(r.stdout, r.stdout + r.stderr).to.match(/✖ 1 failed: node1 \(rc 3\) · 1 failed: node2 \(rc 4\)/);
      expect(r.stdout.match(/target them again with @last=failed <command>/g), 'advice once per session').to.have.length(1);
      const table = r.stdout.slice(r.stdout.indexOf('┌'), r.stdout.indexOf('┘'));
      expect(table).to.include('node1').and.not.include('node2');
      expect(r.stdout.match(/again-node\d/g)?.sort()).to.deep.equal(['again-node1', 'again-node2']);
      // After a command where both succeeded, `last=failed` matches nothing: one clear line, nothing runs.
      expect(r.stderr).to.match(/no node matches 'last=failed'.*most recent command that ran on nodes: 2 nodes: 2 ok/);
      expect(r.stdout).to.not.include('nothing failed');
      // The failed line replaced nothing (it ran on no node), so `last` still describes the `again` run.
      expect(r.stdout.match(/still-node\d/g)?.sort()).to.deep.equal(['still-node0', 'still-node3']);
      expect(r.code).to.equal(1);
    });

    it('--json prints one JSON object per node result (and per node for show) on stdout, the rest on stderr', () => {
      const file = writeDustConfig(f.cluster, fs.mkdtempSync(path.join(f.tmp.home, 'cfg-')), {
        extraNodes: [`{ name: gone, host: ${f.cluster.nodes[0]!.host}, port: 1 }`],
      });
      const r = dustScript(['--config', file, '--json',
        '-c', 'show node1',
        '-c', '@node[0-1],gone printf "a\\nb\\n"; [ $DUST_TEST_NODE = node0 ]',
        '-c', 'gather node2 echo g',
      ], f.tmp.home);
      expect(r.code).to.equal(1);
      const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records[0]).to.include({ type: 'node', name: 'node1', cluster: 'lab', state: 'running', port: f.cluster.nodes[1]!.port });
      const results = records.filter((x) => x.type === 'result').sort((a, b) => String(a.node).localeCompare(String(b.node)));
      expect(results.map((x) => [x.node, x.status, x.exitCode])).to.deep.equal([
        ['gone', 'unreachable', null], ['node0', 'ok', 0], ['node1', 'failed', 1], ['node2', 'ok', 0],
      ]);
      expect(results[1]).to.deep.include({ output: ['a', 'b'] });
      expect(results[0]!.error).to.deep.include({ code: 'DUST_SSH_CONNECT' });
      expect((results[0]!.error as { message: string }).message).to.match(/ECONNREFUSED/);
      expect(results[3]).to.deep.include({ command: 'echo g', output: ['g'] });
      expect(r.stderr).to.match(/✖ 1 failed: node1 \(rc 1\) · 1 unreachable: gone/);
    });

    it('reconnects after the node restarts, restores the cwd and says what was lost', async () => {
      const dust = new PtySession(['--config', f.configFile], { DUST_HOME: f.tmp.home });
      try {
        await dust.waitFor('[dust]$ ');
        let m = dust.mark();
        dust.write('@node1 cd /usr\r');
        await dust.waitFor('[dust]$ ', { from: m + 1 });
        await f.cluster.restartNode('node1');
        m = dust.mark();
        dust.write('@node1 pwd\r');
        // The notice about lost state comes with the result, after the output line: wait for the prompt.
        const out = await dust.waitFor(/\[node1\]\s+\/usr[\s\S]*\[dust\]\$ /, { from: m, timeoutMs: 40000 });
        expect(out, out).to.match(/lost/i);
      } finally {
        dust.kill();
      }
    });

    it('refuses a node whose host key changed, naming the known_hosts file and line', async () => {
      let r = dustScript(['--config', f.configFile, '-c', '@node2 true'], f.tmp.home);
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      const known = fs.readFileSync(path.join(f.tmp.home, 'known_hosts'), 'utf8');
      expect(known).to.include(f.cluster.node('node2').hostPublicKey.split(' ')[1]);
      expect(fs.statSync(path.join(f.tmp.home, 'known_hosts')).mode & 0o777).to.equal(0o600);
      await f.cluster.regenerateHostKey('node2');
      r = dustScript(['--config', f.configFile, '-c', '@node[1-2] echo reached-$DUST_TEST_NODE'], f.tmp.home);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('reached-node1');
      expect(r.stdout).to.not.include('reached-node2');
      expect(r.stdout + r.stderr).to.match(/node2.*host key.*changed/i);
      expect(r.stdout + r.stderr).to.include(`${path.join(f.tmp.home, 'known_hosts')}:`);
    });
  });
});
