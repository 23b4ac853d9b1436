import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import pty from 'node-pty';
import { eventually, kubeFixture, type KubeFixture } from './helpers.js';

/** kubectl on PATH (or at /usr/bin/kubectl), if any. */
function findKubectl(): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/bin']) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'kubectl');
    if (existsSync(candidate) && spawnSync(candidate, ['version', '--client'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  return undefined;
}

const KUBECTL = findKubectl();

function run(f: KubeFixture, args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL as string, args, {
      // Its discovery cache goes to $HOME/.kube: keep it in the fixture's directory.
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: f.dir, KUBECONFIG: f.kubeconfig },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

describe('kubernetes emulator: the real kubectl', function () {
  let f: KubeFixture;

  before(function () {
    if (!KUBECTL) {
      console.log('    (kubectl not found on PATH or at /usr/bin/kubectl: skipping the kubectl tests)');
      this.skip();
    }
  });

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([
      { name: 'web-0', labels: { app: 'web' } },
      { name: 'web-1', labels: { app: 'web' } },
      { name: 'db-0', namespace: 'prod', labels: { app: 'db' } },
      { name: 'stuck', fault: 'image-pull' },
    ]);
  });
  afterEach(async () => {
    await f?.close();
  });

  it('kubectl get pods prints the server-side table, with selectors and all namespaces', async () => {
    const r = await run(f, ['get', 'pods']);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).to.deep.equal(['stuck 0/1 ImagePullBackOff', 'web-0 1/1 Running', 'web-1 1/1 Running']);
    const selected = await run(f, ['get', 'pods', '-l', 'app=web', '-o', 'name']);
    expect(selected.stdout.trim().split('\n')).to.deep.equal(['pod/web-0', 'pod/web-1']);
    const all = await run(f, ['get', 'pods', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']);
    expect(all.stdout.trim()).to.equal('default/stuck default/web-0 default/web-1 prod/db-0');
    const missing = await run(f, ['get', 'pod', 'nope']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('Error from server (NotFound): pods "nope" not found');
  });

  it('kubectl get pods -w prints table rows as pods change', async () => {
    const child = spawn(KUBECTL as string, ['get', 'pods', '-w', '-l', 'app=new'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: f.dir, KUBECONFIG: f.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually(() => f.emulator.core.watchCount === 1, 'kubectl to watch');
      f.emulator.core.setDelays({ start: 300 });
      f.emulator.core.createPod('default', { metadata: { name: 'new-0', labels: { app: 'new' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
      await eventually(() => /new-0\s+1\/1\s+Running/.test(out), 'the Running row');
      expect(out).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      expect(out).to.match(/new-0\s+0\/1\s+ContainerCreating/);
    } finally {
      child.kill();
    }
  });

  it('kubectl exec passes the exit code through', async () => {
    const r = await run(f, ['exec', 'web-0', '--', 'sh', '-c', 'echo hi from $(hostname); exit 3']);
    expect(r.stdout).to.equal('hi from web-0\n');
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include('command terminated with exit code 3');
  });

  it('kubectl exec -i streams stdin and closes it with the v5 close frame', async () => {
    const r = await run(f, ['exec', '-i', 'web-0', '--', 'sh', '-c', 'wc -l; cat >/dev/null; echo eof'], 'a\nb\nc\n');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n').map((s) => s.trim())).to.deep.equal(['3', 'eof']);
  });

  it('kubectl exec into a pod that cannot run it shows the server\'s reason', async () => {
    const stuck = await run(f, ['exec', 'stuck', '--', 'true']);
    expect(stuck.code).to.equal(1);
    expect(stuck.stderr).to.include('container not found ("main")');
    f.emulator.core.seedPods([{ name: 'static', image: 'gcr.io/distroless/static' }]);
    const noShell = await run(f, ['exec', 'static', '--', '/bin/sh', '-c', 'true']);
    expect(noShell.code).to.equal(1);
    expect(noShell.stderr).to.match(/exec: "\/bin\/sh": stat \/bin\/sh: no such file or directory/);
  });

  it('kubectl exec -it starts at the terminal size and follows a resize', async () => {
    // Each Enter prints the size again until the resize has arrived (SIGWINCH reaches kubectl asynchronously).
    const script = 'stty size; while read x; do s=$(stty size); echo "now $s"; [ "$s" = "33 120" ] && exit 0; done';
    const term = pty.spawn(KUBECTL as string, ['exec', '-it', 'web-0', '--', 'sh', '-c', script], {
      cols: 91,
      rows: 27,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: f.dir, KUBECONFIG: f.kubeconfig, TERM: 'xterm' },
    });
    let out = '';
    let resized = false;
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    const poke = setInterval(() => {
      if (resized) term.write('\r');
    }, 100);
    term.onData((d) => {
      out += d;
      if (!resized && out.includes('27 91')) {
        resized = true;
        term.resize(120, 33);
      }
    });
    try {
      expect(await exited).to.equal(0);
    } finally {
      clearInterval(poke);
    }
    expect(out).to.match(/27 91[\s\S]*now 33 120/);
  });
});
