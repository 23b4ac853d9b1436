/**
 * Pods as nodes end to end: the built `dust` (a real PTY, or script mode) pointed at the Kubernetes emulator with
 * --kubeconfig / a kubernetes: config section, reaching the pods through the real client-node over HTTPS and
 * WebSocket exec. The emulator runs in this process, so the tests can delete pods and drop exec streams under dust.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DUST_BIN, PtySession } from '../helpers/pty-driver.js';
import { lines, runDustAsync } from '../helpers/run-dust.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { eventually, kubeFixture, type KubeFixture } from './helpers.js';

/** A process run without blocking the emulator in this process. */
const run = (file: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
  execFile(file, args, { encoding: 'utf8', timeout: 60000 }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
});

const KUBECTL = ['/usr/bin/kubectl', ...(process.env['PATH'] ?? '').split(':').map((d) => path.join(d, 'kubectl'))].find((p) => fs.existsSync(p));

describe('kubernetes: pods as nodes through the built CLI', function () {
  this.timeout(120000);
  let f: KubeFixture;
  let tmp: ReturnType<typeof makeTempHome>;
  let dust: PtySession | undefined;

  beforeEach(async () => {
    tmp = makeTempHome();
    f = await kubeFixture({ namespaces: ['default', 'batch'] });
    f.emulator.core.seedPods([
      { name: 'web-0', labels: { app: 'web' }, image: 'nginx:1.27' },
      { name: 'web-1', labels: { app: 'web' }, image: 'nginx:1.27' },
      { name: 'db-0', labels: { app: 'db' }, image: 'postgres:17' },
      { name: 'static', labels: { app: 'static' }, image: 'gcr.io/distroless/static' },
      { name: 'stuck', labels: { app: 'stuck' }, image: 'nginx:nope', fault: 'image-pull', running: false },
      { name: 'job-0', namespace: 'batch', labels: { app: 'batch' }, image: 'busybox:1.36' },
    ]);
  });
  afterEach(async () => {
    dust?.kill();
    dust = undefined;
    await f.close();
    tmp.cleanup();
  });

  /** Script mode: `dust --kubeconfig K --namespace '*' -c …` (stdout and stderr apart). */
  const script = (args: string[], env: Record<string, string> = {}) =>
    runDustAsync(['--kubeconfig', f.kubeconfig, '--namespace', '*', ...args], { home: tmp.home, env });

  /** The interactive shell on a PTY, at its first prompt. */
  const shell = async (extra: string[] = [], size = { cols: 140, rows: 40 }): Promise<PtySession> => {
    dust = new PtySession(['--kubeconfig', f.kubeconfig, '--namespace', '*', ...extra], { DUST_HOME: tmp.home, HOME: tmp.home }, { ...size, cwd: tmp.home });
    await dust.waitFor('[dust]$ ', { timeoutMs: 30000 });
    return dust;
  };

  /** Types a line and waits for the prompt after it; returns what it printed. */
  const line = async (d: PtySession, text: string, until: RegExp | string = /\[dust\]\$ $/): Promise<string> => {
    const m = d.mark();
    d.write(`${text}\r`);
    return d.waitFor(until, { from: m + text.length + 1, timeoutMs: 30000 });
  };

  it('cluster up NAME --k8s at the prompt: partial readiness named, the pods are nodes of the cluster, cluster down removes them', async () => {
    f.emulator.core.addPodFault({ fault: 'never-start', name: 'grow1-worker-1' });
    const d = await shell();
    const up = await line(d, 'cluster up grow1 --k8s --image busybox:1.36 --nodes 3 --timeout 2 --no-setup -y');
    expect(up).to.match(/pod grow1-head-0: ready/).and.match(/pod grow1-worker-0: ready/);
    expect(up).to.match(/pod grow1-worker-1: failed \(not ready after 2 s \(Pending \(unschedulable/);
    expect(f.emulator.core.podNames('default').filter((n) => n.startsWith('grow1-')).sort()).to.deep.equal(['grow1-head-0', 'grow1-worker-0']);
    const ran = await line(d, '@cluster=grow1 hostname');
    expect(ran).to.match(/\[grow1-head-0\]\s+grow1-head-0/).and.match(/\[grow1-worker-0\]\s+grow1-worker-0/);
    const down = await line(d, 'cluster down grow1 -y');
    expect(down).to.match(/cluster grow1 is gone: grow1-head-0, grow1-worker-0/);
    expect(f.emulator.core.podNames('default').filter((n) => n.startsWith('grow1-'))).to.deep.equal([]);
  });

  it('show lists the pods with namespace, phase, address and image; targets select by label, state and namespace', async () => {
    let r = await script(lines('show'));
    expect(r.code, r.stderr).to.equal(0);
    const row = (name: string): string => r.stdout.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
    expect(row('web-0')).to.match(/│ web-0\s+│ running\s+│ 10\.\d+\.\d+\.\d+\s+│ default\s+│ nginx:1\.27/);
    expect(row('job-0')).to.match(/running .*│ batch\s+│ busybox:1\.36/);
    expect(row('stuck')).to.match(/pending \(ImagePullBackOff\)/);
    expect(r.stdout).to.match(/cluster batch/).and.match(/cluster default/);

    r = await script(lines('show tags=app:web', 'show namespace=batch', 'show state=running&namespace=default'));
    expect(r.code, r.stderr).to.equal(0);
    const summaries = r.stdout.split('\n').filter((l) => /^\d+ nodes? ·/.test(l));
    expect(summaries).to.deep.equal([
      '2 nodes · 1 group · web-[0-1]',
      '1 node · 1 group · job-0',
      '4 nodes · 1 group · db-0,static,web-[0-1]',
    ]);

    r = await script(['--json', ...lines('show web-0')]);
    const [record] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(record).to.deep.include({ type: 'node', name: 'web-0', cluster: 'default', state: 'running', source: 'kubernetes', port: 0, tags: { app: 'web' } });
    expect(record!['props']).to.deep.include({ pod: 'web-0', namespace: 'default', container: 'main', image: 'nginx:1.27', phase: 'Running', ready: '1/1' });
  });

  it('line mode: state persists per pod, last= picks the failures, --json records each pod', async () => {
    let r = await script(lines('@web* cd /tmp && export GREETING=hi', '@web*,db-0 echo "$GREETING from $(hostname) in $(pwd)"; test "$(hostname)" = web-0', '@last=failed hostname'));
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/\[web-0\]\s+hi from web-0 in \/tmp/).and.match(/\[web-1\]\s+hi from web-1 in \/tmp/);
    expect(r.stdout).to.match(/\[db-0\]\s+from db-0 in \S+\/db-0\/home/);
    expect(r.stdout).to.match(/✖ 2 failed: db-0,web-1 \(rc 1\)/);
    const after = r.stdout.slice(r.stdout.lastIndexOf('hi from'));
    expect(after).to.match(/\[db-0\]\s+db-0/).and.match(/\[web-1\]\s+web-1/).and.not.match(/\[web-0\]\s+web-0/);

    r = await script(['--json', ...lines('@tags=app:web hostname')]);
    expect(r.code, r.stderr).to.equal(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // Records come as nodes finish (no PTY under --json: one exec each), in any order.
    expect(records.map((x) => [x['type'], x['node'], x['status'], x['exitCode'], x['output']]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).to.deep.equal([
      ['result', 'web-0', 'ok', 0, ['web-0']],
      ['result', 'web-1', 'ok', 0, ['web-1']],
    ]);
  });

  it('gather folds identical output across pods; put and get copy files both ways', async () => {
    fs.mkdirSync(path.join(tmp.home, 'src'));
    fs.writeFileSync(path.join(tmp.home, 'src', 'notes.txt'), 'pod notes\n');
    fs.writeFileSync(path.join(tmp.home, 'src', 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
    let r = await script(lines('gather web*,db-0 cat /etc/os-release | head -1', 'gather web*,db-0 hostname'));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/db-0,web-\[0-1\] \(3\)/);
    expect(r.stdout).to.match(/web-1 \(1\)[\s\S]*web-1/);

    r = await script(lines('@web* mkdir -p up', "put 'src/*' web* up", '@web* cat up/notes.txt; wc -c < up/big.bin'));
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stderr + r.stdout).to.match(/\[web-0\] 2 files \(3\.0 MiB\) → up/);
    expect(r.stdout).to.match(/\[web-1\]\s+pod notes/).and.match(/\[web-1\]\s+3145728/);
    for (const pod of ['web-0', 'web-1']) {
      const home = f.emulator.core.sandboxOf('default', pod)!.home;
      expect(fs.readFileSync(path.join(home, 'up', 'big.bin')).equals(Buffer.alloc(3 * 1024 * 1024, 7))).to.equal(true);
      fs.writeFileSync(path.join(home, 'report.txt'), `report of ${pod}\n`);
    }
    fs.mkdirSync(path.join(tmp.home, 'fetched'));
    r = await script(lines('get web* report.txt fetched'));
    expect(r.code, r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(tmp.home, 'fetched', 'web-1', 'report.txt'), 'utf8')).to.equal('report of web-1\n');

    r = await script(lines('get web-0,db-0 report.txt fetched'));
    expect(r.code).to.equal(1);
    expect(r.stdout + r.stderr).to.match(/\[db-0\] ✖ .*report\.txt/);
  });

  it('a pod without /bin/sh and a pod that is not running are each one line; the others run', async () => {
    let r = await script(lines('@static,web*,stuck echo ran in $(hostname)'));
    expect(r.code).to.equal(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('[static]'))).to.deep.equal([
      '[static] ✖ pod default/static: container main has no /bin/sh (image gcr.io/distroless/static) — dust runs a POSIX shell in each pod: use an image that has one, or attach a debug container (kubectl debug -it static -n default --image=busybox --target=main)',
    ]);
    expect(r.stdout).to.match(/\[web-0\]\s+ran in web-0/).and.match(/\[web-1\]\s+ran in web-1/).and.match(/✖ 1 unreachable: static/);
    expect(r.stderr).to.include('skipped 1 not running: stuck');
    // Not retried in a loop: the next line says it once again, and no more.
    r = await script(lines('@static true', '@static true'));
    expect(r.stdout.match(/has no \/bin\/sh/g)?.length).to.equal(2);
    r = await script(lines('@stuck true'));
    expect(r.stderr).to.match(/no targeted node is running \(1 pending: stuck\) — pick other nodes; `show -v` gives each one's state/);
  });

  it('Tab completes pod names at the prompt', async () => {
    const d = await shell();
    let m = d.mark();
    d.write('@we\t');
    await d.waitFor('@web-', { from: m });
    d.write('0 hostname\r');
    await d.waitFor('[web-0] web-0', { from: m });
    m = d.mark();
    d.write('show jo\t');
    await d.waitFor('show job-0', { from: m });
    d.write('\r');
    await d.waitFor(/1 node · 1 group · job-0/, { from: m });
  });

  it('@pod is a raw terminal on the same session: resize reaches the pod, a full-screen program works, Ctrl-C ×3 returns', async () => {
    const d = await shell([], { cols: 100, rows: 30 });
    await line(d, '@web-0 cd /tmp && export IN_RAW=yes');
    let m = d.mark();
    d.write('@web-0\r');
    await d.waitFor(/\$ $/, { from: m + 8 });
    m = d.mark();
    d.write('stty size; echo "raw:$IN_RAW:$(pwd)"\r');
    let out = await d.waitFor(/raw:yes:\/tmp[\s\S]*\$ $/, { from: m });
    expect(out).to.include('30 100');
    m = d.mark();
    d.resize(90, 25);
    for (let i = 0; i < 20 && !d.since(m).includes('25 90'); i++) {
      const before = d.mark();
      d.write('stty size\r');
      await d.waitFor(/\d+ \d+[\s\S]*\$ $/, { from: before });
    }
    expect(d.since(m)).to.include('25 90');
    // vim: the alternate screen, and its last line at the bottom of the new size.
    m = d.mark();
    d.write('vim -u NONE -N -c "set laststatus=2" raw-file.txt\r');
    await eventually(async () => (await d.screen()).alternate || undefined, 'vim on the alternate screen');
    d.write('ihello from vim\x1b:wq\r');
    await eventually(async () => (!(await d.screen()).alternate && d.since(m).match(/\$ $/)) || undefined, 'vim to exit');
    m = d.mark();
    d.write('cat raw-file.txt\r');
    await d.waitFor('hello from vim', { from: m });
    m = d.mark();
    d.write('\x03\x03\x03');
    await d.waitFor(/back from web-0[\s\S]*\[dust\]\$ /, { from: m });
    out = await line(d, '@web-0 cat /tmp/raw-file.txt; pwd', /\[web-0\] \/tmp/);
    expect(out).to.include('[web-0] hello from vim');
  });

  it('a dropped exec stream reconnects on next use with the working directory back; a deleted pod is named, then gone', async () => {
    const d = await shell();
    await line(d, '@web-0,db-0 cd /tmp');
    let m = d.mark();
    expect(f.emulator.core.dropExecStreams('default', 'web-0')).to.be.greaterThan(0);
    await d.waitFor(/\[web-0\] connection lost: the API server closed the exec stream/, { from: m });
    let out = await line(d, '@web-0 pwd', /\[web-0\] \/tmp[\s\S]*\[dust\]\$ $/);
    expect(out).to.match(/reconnected after the API server closed the exec stream.*restored cwd \/tmp/);

    m = d.mark();
    f.emulator.core.deletePod('default', 'db-0');
    await d.waitFor(/\[db-0\] connection lost: pod default\/db-0 was deleted/, { from: m });
    // The watch takes the pod out of the inventory: it is named as unknown, never retried.
    await eventually(async () => {
      const o = await line(d, 'show db-0,web-0');
      return (o.includes('│ web-0') && !o.includes('│ db-0')) || undefined;
    }, 'db-0 to leave the inventory', 40);
    out = await line(d, '@db-0 true');
    expect(out).to.match(/no node matches 'db-0'/);
    expect(out).to.not.match(/reconnect/);
    out = await line(d, '@web* hostname', /\[web-1\] web-1[\s\S]*\[dust\]\$ $/);
    expect(out).to.match(/\[web-0\] web-0/);
  });

  it('a pod deleted under an open session says so in one line on the next command', async () => {
    f.emulator.core.setDelays({ deletion: 60_000 });
    const d = await shell();
    await line(d, '@db-0 cd /tmp');
    f.emulator.core.deletePod('default', 'db-0');
    await eventually(async () => {
      const o = await line(d, 'show db-0');
      return o.includes('terminating') || undefined;
    }, 'db-0 to show as terminating', 40);
    const out = await line(d, '@db-0 true');
    expect(out).to.match(/no targeted node is running \(1 terminating: db-0\)/);
    expect(out.trim().split('\n').filter((l) => l.includes('db-0'))).to.have.length(1);
  });

  it('an empty namespace (a typo looks the same) is said once, with the context', async () => {
    const r = await runDustAsync(['--kubeconfig', f.kubeconfig, '--namespace', 'prod', ...lines('show', 'show')], { home: tmp.home });
    expect(r.stderr.match(/no pods/g)?.length).to.equal(1);
    expect(r.stderr).to.match(/\[builtin:kubernetes\] no pods in namespace 'prod' of context dust-emulator \(https:\/\/127\.0\.0\.1:\d+\) — --namespace NS picks another, '\*' every one/);
  });

  it('dust serve --kubeconfig holds the pod shells warm for scripts and dust run', async () => {
    const server = spawn(process.execPath, [DUST_BIN, 'serve', '--kubeconfig', f.kubeconfig, '--namespace', '*', '--connect', 'web*'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: tmp.home, DUST_HOME: tmp.home, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(() => /^dust is (up|failing)/m.test(err) || undefined, 'dust serve to be up', 60_000);
      expect(err).to.match(/connected 2 of 2 node\(s\)/).and.match(/^dust is up$/m);
      const client = (args: string[]) => runDustAsync(args, { home: tmp.home });
      let r = await client(lines('@web-0 cd /tmp; export SERVED=yes'));
      expect(r.code, r.stderr).to.equal(0);
      r = await client(lines('@web-0 echo "$SERVED in $PWD"'));
      expect(r.stdout.trim()).to.equal('[web-0] yes in /tmp');
      r = await client(['run', 'tags=app:web', 'hostname']);
      expect(r.stdout.trim().split('\n').sort()).to.deep.equal(['[web-0] web-0', '[web-1] web-1']);
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)));
    }
  });

  (KUBECTL ? it : it.skip)('kubectl exec sees a file dust wrote into a pod (the emulator checked by a client dust did not write)', async () => {
    const r = await script(lines('@web-1 echo "written by dust in $(hostname)" > from-dust.txt'));
    expect(r.code, r.stderr).to.equal(0);
    const k = await run(KUBECTL!, ['--kubeconfig', f.kubeconfig, 'exec', 'web-1', '--', 'cat', 'from-dust.txt']);
    expect(k.status, k.stderr).to.equal(0);
    expect(k.stdout).to.equal('written by dust in web-1\n');
  });
});
