/**
 * What clush and pssh users script, through the built CLI on real sshd: the exit status as the largest remote rc,
 * dust's stdin to the nodes, no-PTY exec, --outdir, recursive put/get, fan-out control and stop-on-error.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { lines, runDust } from '../helpers/run-dust.js';
import { PtySession } from '../helpers/pty-driver.js';
import { useCliCluster, writeDustConfig } from './dust-config-for-cluster.js';

type Rec = Record<string, unknown>;
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const records = (stdout: string): Rec[] => stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Rec);

describe('scripting like clush and pssh (built CLI, real sshd)', function () {
  this.timeout(180_000);
  const f = useCliCluster({ count: 3 });
  let withDead: string;
  before(() => {
    // The same three nodes plus one that refuses connections (nothing listens on port 1).
    withDead = writeDustConfig(f.cluster, fs.mkdtempSync(path.join(f.tmp.home, 'dead-')), { extraNodes: [`{ name: dead, host: ${f.cluster.nodes[0]!.host}, port: 1 }`] });
  });
  const dust = (args: string[], opts: { input?: string | Buffer; config?: string; env?: Record<string, string> } = {}) =>
    runDust(['--config', opts.config ?? f.configFile, ...args], { home: f.tmp.home, ...(opts.input === undefined ? {} : { input: opts.input as string }), ...(opts.env ? { env: opts.env } : {}) });

  describe('exit status (--max-rc, run.exitStatus: max)', () => {
    it('is the largest remote exit code of any line; 0/1 without it', () => {
      const cmd = '@node* exit $((${DUST_TEST_NODE#node} + 2))';
      expect(dust(lines(cmd)).code).to.equal(1);
      let r = dust(['--max-rc', ...lines(cmd, '@node0 exit 3')]);
      expect(r.code, r.stderr).to.equal(4);
      r = dust(['--max-rc', ...lines('@node0 true', '@node1 exit 9', '@node2 true')]);
      expect(r.code).to.equal(9);
      r = dust(['--max-rc', ...lines('@node* true')]);
      expect(r.code).to.equal(0);
      // A line's own error (no node ran) is 1, unless a node returned more.
      r = dust(['--max-rc', ...lines('show nosuchnode', '@node0 true')]);
      expect(r.code).to.equal(1);
    });

    it('counts an unreachable node as 255 (as ssh and pdsh -S do); --json records keep each node\'s own code', () => {
      const r = dust(['--max-rc', '--json', ...lines('@node0,node1,dead exit ${DUST_TEST_NODE#node}')], { config: withDead });
      expect(r.code).to.equal(255);
      const byNode = Object.fromEntries(records(r.stdout).map((x) => [x['node'], [x['status'], x['exitCode']]]));
      expect(byNode).to.deep.equal({ node0: ['ok', 0], node1: ['failed', 1], dead: ['unreachable', null] });
    });

    it("a command's own exit status (a plugin returning 7, a submitted job's code) is the script's", () => {
      const plugins = path.join(f.tmp.home, 'plugins');
      fs.mkdirSync(plugins, { recursive: true });
      fs.writeFileSync(path.join(plugins, 'seven.mjs'), "export default { name: 'seven', apiVersion: 2, setup(api) { api.registerCommand({ name: 'seven', usage: 'seven', summary: 'returns 7', run: () => 7 }); } };\n");
      expect(dust(lines('seven')).code).to.equal(7);
      expect(dust(lines('@node0 true', 'seven', '@node1 true')).code).to.equal(7);
      // The largest wins, whether a node's or a command's.
      expect(dust(['--max-rc', ...lines('@node1 exit 9', 'seven')]).code).to.equal(9);
      fs.rmSync(path.join(plugins, 'seven.mjs'));
    });

    it('run.exitStatus: max in the config does the same', () => {
      const cfg = path.join(fs.mkdtempSync(path.join(f.tmp.home, 'cfg-')), 'dust.yaml');
      fs.writeFileSync(cfg, `${fs.readFileSync(f.configFile, 'utf8')}run:\n  exitStatus: max\n`);
      expect(dust(lines('@node1 exit 5'), { config: cfg }).code).to.equal(5);
    });
  });

  it('refuses bad values of the new options with the usage, exit 2, before anything runs', () => {
    for (const [args, message] of [
      [['--fanout', '0'], "--fanout: '0' is not a number of nodes"],
      [['--max-errors', 'many'], "--max-errors: 'many' is not a number of nodes or a percentage"],
      [['--outdir', ''], '--outdir: give a directory'],
    ] as const) {
      const r = dust([...args, ...lines('@node0 echo never')]);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.include(message).and.include('usage: dust');
      expect(r.stdout).to.equal('');
    }
  });

  describe('stop on the first failing line (-e, run.stopOnError)', () => {
    it('ends the script at the first failing line with its status; the later lines never run', () => {
      let r = dust(['-e', ...lines('@node0 echo one', '@node1 exit 3', '@node2 echo never')]);
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('[node0] one').and.not.include('never');
      r = dust(['-e', '--max-rc', ...lines('@node0 echo one', '@node1 exit 3', '@node2 echo never')]);
      expect(r.code).to.equal(3);
      expect(r.stdout).to.not.include('never');
      // Lines from stdin stop the same way, and without -e every line runs.
      r = dust(['-e'], { input: '@node1 exit 2\n@node2 echo never\n' });
      expect([r.code, r.stdout.includes('never')]).to.deep.equal([1, false]);
      r = dust(lines('@node1 exit 3', '@node2 echo still'));
      expect([r.code, r.stdout.includes('[node2] still')]).to.deep.equal([1, true]);
    });
  });

  describe('dust\'s stdin to the nodes (pssh -I)', () => {
    it('sends piped stdin to every node\'s command and closes it: text, and binary data byte for byte', () => {
      let r = dust(lines('@node* wc -c'), { input: 'hello nodes\n' });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.trim().split('\n').sort()).to.deep.equal(['[node0] 12', '[node1] 12', '[node2] 12']);
      const data = randomBytes(300_000);
      r = dust(lines('@node* md5sum'), { input: data as unknown as string });
      for (const n of ['node0', 'node1', 'node2']) expect(r.stdout).to.include(`[${n}] ${md5(data)}  -`);
    });

    it('spools a large stdin to a private temporary file that every node reads, and removes it', () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-spool-test-'));
      try {
        const data = randomBytes(9 * 1024 * 1024);
        const r = dust(['--fanout', '1', ...lines('@node* md5sum')], { input: data as unknown as string, env: { TMPDIR: tmp } });
        expect(r.code, r.stderr).to.equal(0);
        for (const n of ['node0', 'node1', 'node2']) expect(r.stdout).to.include(`[${n}] ${md5(data)}  -`);
        expect(fs.readdirSync(tmp)).to.deep.equal([]);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('an empty stdin is no input (the persistent shell keeps state); --no-stdin never reads it', () => {
      let r = dust(lines('@node0 cd /tmp', '@node0 pwd'), { input: '' });
      expect(r.stdout).to.include('[node0] /tmp');
      r = dust(['--no-stdin', ...lines('@node0 cd /tmp', '@node0 pwd; wc -c')], { input: 'not for the nodes' });
      expect(r.stdout).to.include('[node0] /tmp').and.include('[node0] 0');
    });
  });

  describe('no-PTY exec mode (--no-pty; the default with --json)', () => {
    it('keeps stdout and stderr apart (stderr lines on dust\'s stderr), no state between commands', () => {
      const r = dust(lines('at --no-pty node0 echo out; echo err >&2', 'at --no-pty node0 cd /tmp', 'at --no-pty node0 pwd'));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('[node0] out').and.not.include('err');
      expect(r.stderr).to.include('[node0] err');
      expect(r.stdout).to.include(`[node0] ${f.cluster.node('node0').homeDir}`);
    });

    it('--json runs without a PTY by default: records carry output and stderr apart; --pty merges them', () => {
      let r = dust(['--json', ...lines('@node0 printf "\\033[31mred\\033[0m\\n"; echo err >&2; ls --color=auto -d /')]);
      const [rec] = records(r.stdout);
      expect(rec).to.deep.include({ output: ['red', '/'], stderr: ['err'], status: 'ok' });
      expect(rec!['durationMs']).to.be.a('number');
      r = dust(['--json', ...lines('at --pty node0 echo out; echo err >&2')]);
      const [merged] = records(r.stdout);
      expect(merged).to.deep.include({ output: ['out', 'err'] });
      expect(merged).to.not.have.property('stderr');
    });

    it('gather --no-pty groups stdout, and shows stderr apart under the nodes that printed it', () => {
      const r = dust(lines('gather --no-pty node* echo same; [ $DUST_TEST_NODE = node1 ] && echo warn-1 >&2; true'));
      expect(r.stdout).to.include('── node[0-2] (3) ──\nsame\n');
      expect(r.stderr).to.include('── node1 (1) stderr ──\nwarn-1');
    });

    it('a timeout stops the command on the node (no orphan left) and reports timeout; --stdin FILE feeds a file', () => {
      const input = path.join(f.tmp.home, 'input.txt');
      fs.writeFileSync(input, 'line1\nline2\n');
      const r = dust(lines('at --no-pty --timeout 0.5 node[0-1] sleep 31341', '@last=timeout pgrep -c -f "^sleep 31341" || true', `at --stdin ${input} node2 wc -l`));
      expect(r.stdout).to.match(/✖ 2 timed out: node\[0-1\]/);
      expect(r.stdout).to.include('[node0] 0').and.include('[node1] 0');
      expect(r.stdout).to.include('[node2] 2');
    });
  });

  describe('--outdir (clush --outdir, pssh -o/-e)', () => {
    it('writes each node\'s stdout and stderr byte for byte, and a summary with status, rc, duration and bytes', () => {
      const blob = randomBytes(200_000);
      for (const n of f.cluster.nodes) fs.writeFileSync(path.join(n.homeDir, 'blob.bin'), blob);
      const dir = path.join(f.tmp.home, 'out-exec');
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'node2.out'), 'stale from an earlier run');
      const r = dust(['--outdir', dir, ...lines('at --no-pty node* cat blob.bin; echo "e-$DUST_TEST_NODE" >&2; [ $DUST_TEST_NODE != node1 ] || exit 4')]);
      expect(r.code).to.equal(1);
      // One line per node instead of the output.
      expect(r.stdout).to.match(/\[node1\]\s+rc 4 → .*node1\.out \.err/);
      expect(r.stdout).to.not.include(blob.subarray(0, 16).toString('latin1'));
      for (const n of ['node0', 'node1', 'node2']) {
        expect(md5(fs.readFileSync(path.join(dir, `${n}.out`)))).to.equal(md5(blob));
        expect(fs.readFileSync(path.join(dir, `${n}.err`), 'utf8')).to.equal(`e-${n}\n`);
      }
      const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { command: string; pty: boolean; nodes: Rec[] };
      expect(summary.pty).to.equal(false);
      expect(summary.nodes.map((n) => [n['node'], n['status'], n['exitCode'], n['stdoutBytes'], n['stderrBytes']])).to.deep.equal([
        ['node0', 'ok', 0, blob.length, 8], ['node1', 'failed', 4, blob.length, 8], ['node2', 'ok', 0, blob.length, 8],
      ]);
      for (const n of summary.nodes) expect(n['durationMs']).to.be.a('number').and.at.least(0);
    });

    it('in the persistent shell writes the lines; every node of the run gets its file, an unreachable one an empty one', () => {
      const dir = path.join(f.tmp.home, 'out-pty');
      const r = dust(lines(`at --outdir ${dir} node0,node1,dead seq 3; [ $DUST_TEST_NODE = node0 ] || echo only-node1`), { config: withDead });
      expect(r.code).to.equal(1);
      expect(fs.readFileSync(path.join(dir, 'node0.out'), 'utf8')).to.equal('1\n2\n3\n');
      expect(fs.readFileSync(path.join(dir, 'node1.out'), 'utf8')).to.equal('1\n2\n3\nonly-node1\n');
      expect(fs.readFileSync(path.join(dir, 'dead.out'), 'utf8')).to.equal('');
      const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { pty: boolean; nodes: Rec[] };
      expect(summary.pty).to.equal(true);
      expect(summary.nodes.find((n) => n['node'] === 'dead')).to.deep.include({ status: 'unreachable', stdoutBytes: 0 });
      const bad = dust(lines(`at --outdir ${path.join(dir, 'node0.out')} node0 true`));
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.match(/--outdir .*node0\.out: a file is in the way — .*\[DUST_OUTPUT_DIR\]/);
    });
  });

  describe('fan-out control (--fanout, --max-errors, --pick)', () => {
    it('--fanout 1 runs one node at a time (rolling); --max-errors stops sending after too many failures: skipped, last=skipped', () => {
      const log = path.join(f.tmp.home, 'fanout.log');
      let r = dust(lines(`at --fanout 1 node* echo start-$DUST_TEST_NODE >> ${log}; sleep 0.2; echo end-$DUST_TEST_NODE >> ${log}`));
      expect(r.code, r.stderr).to.equal(0);
      expect(fs.readFileSync(log, 'utf8').trim().split('\n')).to.deep.equal(['start-node0', 'end-node0', 'start-node1', 'end-node1', 'start-node2', 'end-node2']);
      r = dust(['--json', ...lines('at --fanout 1 --max-errors 0 node* exit 1', '@last=skipped echo resumed-$DUST_TEST_NODE')]);
      expect(r.code).to.equal(1);
      const recs = records(r.stdout);
      expect(recs.slice(0, 3).map((x) => [x['node'], x['status']])).to.deep.equal([['node0', 'failed'], ['node1', 'skipped'], ['node2', 'skipped']]);
      expect(recs[1]!['error']).to.deep.include({ code: 'DUST_SKIPPED' });
      expect(recs.slice(3).map((x) => x['output'])).to.have.deep.members([['resumed-node1'], ['resumed-node2']]);
      expect(r.stderr).to.match(/✖ 1 failed: node0 \(rc 1\) · 2 skipped: node\[1-2\] \(1 node had failed \(--max-errors 0\)\)/);
    });

    it('--max-errors takes a percentage of the targeted nodes; config run.fanout/run.maxErrors are the defaults', () => {
      const cfg = path.join(fs.mkdtempSync(path.join(f.tmp.home, 'cfg-')), 'dust.yaml');
      fs.writeFileSync(cfg, `${fs.readFileSync(f.configFile, 'utf8')}run:\n  fanout: 1\n  maxErrors: 40%\n`);
      // 40% of 3 is 1: the second failure stops it.
      const r = dust(lines('@node* exit 2'), { config: cfg });
      expect(r.stdout).to.match(/✖ 2 failed: node\[0-1\] \(rc 2\) · 1 skipped: node2/);
      const bad = dust(lines('at --max-errors lots node* true'));
      expect(bad.stderr).to.include("--max-errors: 'lots' is not a number of nodes or a percentage");
    });

    it('--pick N runs on N nodes of the target chosen at random and names them', () => {
      const r = dust(lines('at --pick 2 node* echo picked', '@last=ok echo again'));
      expect(r.code, r.stderr).to.equal(0);
      const picked = r.stderr.match(/picked 2 of 3 at random: (\S+)/);
      expect(picked, r.stderr).to.not.equal(null);
      expect(r.stdout.match(/picked/g)).to.have.length(2);
      expect(r.stdout.match(/again/g)).to.have.length(2);
    });
  });

  describe('copying directories (put -r, get -r, -p)', () => {
    before(() => {
      const src = path.join(f.tmp.home, 'tree');
      fs.mkdirSync(path.join(src, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(src, 'etc', 'deep'), { recursive: true });
      fs.writeFileSync(path.join(src, 'bin', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o750 });
      fs.writeFileSync(path.join(src, 'etc', 'app.conf'), 'x=1\n', { mode: 0o600 });
      fs.writeFileSync(path.join(src, 'etc', 'deep', 'big.bin'), randomBytes(1_500_000));
      fs.symlinkSync('bin', path.join(src, 'bin-link'));
      fs.symlinkSync('etc/app.conf', path.join(src, 'conf-link'));
      fs.utimesSync(path.join(src, 'etc', 'app.conf'), 1_600_000_000, 1_600_000_000);
      fs.utimesSync(path.join(src, 'etc'), 1_500_000_000, 1_500_000_000);
    });

    it('put -r -p copies a tree to every node: new name, modes and times kept, symlinked dirs skipped and listed', () => {
      const r = dust(lines('put -r -p tree node* deploy/app', '@node* cd deploy/app && find . -printf "%p %m\\n" | sort && stat -c %Y etc/app.conf etc && bin/run.sh'));
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/\[node0\] 4 files in 4 directories \(1\.4 MiB\); skipped 1: tree\/bin-link \(symlink to a directory\) → deploy\/app/);
      for (const n of f.cluster.nodes) {
        const home = n.homeDir;
        expect(fs.readFileSync(path.join(home, 'deploy/app/etc/deep/big.bin'))).to.deep.equal(fs.readFileSync(path.join(f.tmp.home, 'tree/etc/deep/big.bin')));
        expect(fs.statSync(path.join(home, 'deploy/app/bin/run.sh')).mode & 0o777).to.equal(0o750);
        expect(fs.statSync(path.join(home, 'deploy/app/etc/app.conf')).mode & 0o777).to.equal(0o600);
        expect(fs.readFileSync(path.join(home, 'deploy/app/conf-link'), 'utf8')).to.equal('x=1\n');
        expect(fs.existsSync(path.join(home, 'deploy/app/bin-link'))).to.equal(false);
      }
      expect(r.stdout).to.include('[node1] 1600000000').and.include('[node1] 1500000000').and.include('[node2] ran');
      // Into an existing directory it lands under its own name, as with cp.
      const again = dust(lines('put -r tree node0 deploy', '@node0 ls -1 deploy'));
      expect(again.stdout).to.match(/\[node0\] app\n\[node0\] tree/);
    });

    it('get -r -p copies each node\'s tree into DIR/<node>/, creating DIR; a directory without -r is refused in one line', () => {
      const out = path.join(f.tmp.home, 'fetched', 'new');
      let r = dust(lines(`get -r -p node[0-1] deploy/app ${out}`));
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      for (const n of ['node0', 'node1']) {
        expect(fs.readFileSync(path.join(out, n, 'app/bin/run.sh'), 'utf8')).to.equal('#!/bin/sh\necho ran\n');
        expect(fs.statSync(path.join(out, n, 'app/bin/run.sh')).mode & 0o777).to.equal(0o750);
        expect(Math.round(fs.statSync(path.join(out, n, 'app/etc/app.conf')).mtimeMs / 1000)).to.equal(1_600_000_000);
        expect(Math.round(fs.statSync(path.join(out, n, 'app/etc')).mtimeMs / 1000)).to.equal(1_500_000_000);
      }
      r = dust(lines(`get node0 deploy/app ${out}`));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('[node0] ✖ deploy/app: is a directory — add -r to copy it and what it holds');
      r = dust(lines('put tree node0 x'));
      expect(r.stderr).to.include("put: 'tree' is a directory — add -r to copy it and what it holds");
    });

    it('never truncates a local file because the remote side is a directory or failed', () => {
      const out = path.join(f.tmp.home, 'keep');
      fs.mkdirSync(path.join(out, 'node0'), { recursive: true });
      fs.writeFileSync(path.join(out, 'node0', 'etc'), 'precious\n');
      let r = dust(lines(`get node0 deploy/app/etc ${out}`, `get -r node0 deploy/app/etc ${out}`, `get node0 no-such-file ${out}`));
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('is a directory — add -r');
      expect(r.stdout).to.match(/local .*keep\/node0\/etc is a file, the remote deploy\/app\/etc a directory: nothing copied/);
      expect(fs.readFileSync(path.join(out, 'node0', 'etc'), 'utf8')).to.equal('precious\n');
      expect(fs.readdirSync(path.join(out, 'node0'))).to.deep.equal(['etc']);
      r = dust(lines(`get node0 deploy/app/etc/app.conf ${out}`));
      expect(r.code).to.equal(0);
      expect(fs.statSync(path.join(out, 'node0', 'app.conf')).mode & 0o777).to.equal(0o600);
    });
  });

  describe('in the interactive shell', () => {
    let shell: PtySession | undefined;
    afterEach(() => shell?.kill());

    it('the same flags work at the prompt: --no-pty, --fanout/--max-errors, --outdir, put -r', async () => {
      shell = new PtySession(['--config', f.configFile], { DUST_HOME: f.tmp.home }, { cwd: f.tmp.home, cols: 160 });
      await shell.waitFor('[dust]$ ');
      let m = shell.mark();
      shell.write('at --no-pty node0 echo to-out; echo to-err >&2\r');
      let out = await shell.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      expect(out).to.match(/\[node0\] to-out/).and.match(/\[node0\] to-err/);
      m = shell.mark();
      shell.write('at -f 1 --max-errors 0 node* false\r');
      out = await shell.waitFor(/2 skipped: node\[1-2\]/, { from: m });
      await shell.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      m = shell.mark();
      shell.write('at --outdir pty-out node[0-1] echo filed\r');
      out = await shell.waitFor(/summary in pty-out\/summary\.json/, { from: m });
      expect(fs.readFileSync(path.join(f.tmp.home, 'pty-out', 'node1.out'), 'utf8')).to.equal('filed\n');
      await shell.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      m = shell.mark();
      shell.write('put -r tree node2 interactive-copy\r');
      await shell.waitFor(/\[node2\] 4 files in 4 directories/, { from: m });
      expect(fs.existsSync(path.join(f.cluster.node('node2').homeDir, 'interactive-copy', 'etc', 'deep', 'big.bin'))).to.equal(true);
    });

    it('under --json (no PTY by default) an answer for a node waiting at a prompt still goes into its terminal', async () => {
      shell = new PtySession(['--config', f.configFile, '--json'], { DUST_HOME: f.tmp.home }, { cwd: f.tmp.home, cols: 160 });
      await shell.waitFor('[dust]$ ');
      let m = shell.mark();
      shell.write('at --pty node0 read -p "Continue? " a; echo "got $a"\r');
      await shell.waitFor(/"status":"waiting"/, { from: m });
      await shell.waitFor(/\[dust\]\$ $/, { from: m + 1 });
      m = shell.mark();
      shell.write('@node0 yes-please\r');
      const out = await shell.waitFor(/"output":\["got yes-please"\]/, { from: m });
      expect(out).to.match(/"status":"ok"/);
    });
  });
});
