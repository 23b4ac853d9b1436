/**
 * A cluster's whole life through the built CLI on the demo (EC2 emulator in process, an embedded SSH node per
 * launched instance): init → edit → up (spot, spread placement group) → setup output → status → submit (the
 * job's exit status is dust's) → dashboard (an HTTP GET through the forward reaches a tiny server the head's
 * setup started) → down (everything created is gone; the demo's own clusters untouched).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import yaml from 'js-yaml';
import { expect } from 'chai';
import { DUST_BIN } from '../helpers/pty-driver.js';
import { lines, runDust } from '../helpers/run-dust.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { httpGet } from '../clusters/http-helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Runs dust with `args`, calling `onOutput` with everything printed so far whenever more arrives. */
function runDustLive(args: readonly string[], home: string, onOutput: (text: string) => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DUST_BIN, ...args], {
      cwd: home, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: home, DUST_HOME: home, NO_COLOR: '1' },
    });
    let out = '';
    const add = (d: Buffer) => {
      out += d.toString('utf8');
      onOutput(out);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('cluster lifecycle through the CLI on the demo', function () {
  this.timeout(240_000);
  let tmp: ReturnType<typeof makeTempHome>;
  before(() => {
    tmp = makeTempHome();
  });
  after(() => tmp?.cleanup());

  it('init → up (spot, spread) → setup → status → submit → dashboard → down', async () => {
    const init = runDust(['--demo', ...lines('cluster init spark1')], { home: tmp.home });
    expect(init.code, init.stdout + init.stderr).to.equal(0);
    const specFile = path.join(tmp.home, 'spark1.yaml');
    expect(init.stdout).to.match(/wrote .*spark1\.yaml \(ec2 cluster spark1/);

    // The edit a user makes: spot, a spread group, setup on every node and a tiny web server on the head.
    const httpPort = await freePort();
    const localPort = await freePort();
    const server = `require('http').createServer((q, s) => s.end('dashboard ' + q.url)).listen(${httpPort}, '127.0.0.1')`;
    const spec = yaml.load(fs.readFileSync(specFile, 'utf8')) as Record<string, unknown>;
    expect(spec['key']).to.match(/demo\/client_ed25519\.pub$/); // the demo's key: no key of one's own needed
    Object.assign(spec, {
      spot: { enabled: true },
      placement: 'spread',
      setup: { all: ['echo ready on $(hostname)'], head: [`nohup ${process.execPath} -e "${server}" > dash.log 2>&1 &`] },
      dashboard: { port: httpPort },
    });
    fs.writeFileSync(specFile, yaml.dump(spec));
    const project = path.join(tmp.home, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'input.txt'), 'payload\n');
    fs.writeFileSync(path.join(project, 'big.log'), 'not sent\n');
    fs.writeFileSync(path.join(project, '.gitignore'), '*.log\n');

    let got: { status: number; body: string } | undefined;
    let asked = false;
    const run = await runDustLive(['--demo', ...lines(
      'cluster up -f spark1.yaml -y',
      'cluster status spark1',
      'cluster submit spark1 -w project -- cat input.txt; ls; hostname; exit 5',
      `cluster dashboard spark1 --local ${localPort} --for 4`,
      'cluster list',
      'cluster down spark1 -y',
      'cluster list',
      '@slurm1 echo alive',
    )], tmp.home, (out) => {
      if (!asked && out.includes(`dashboard of spark1: http://127.0.0.1:${localPort}/`)) {
        asked = true;
        void httpGet(`http://127.0.0.1:${localPort}/status`).then((r) => { got = r; }, (err: Error) => { got = { status: 0, body: err.message }; });
      }
    });
    const out = run.out;
    // up: every step, spot and the spread group, live setup lines from each node, the login rule.
    expect(out).to.match(/spark1: placement group dust-spark1: created \(spread\)/);
    expect(out).to.match(/spark1: launched 2 workers \(t3\.micro, spot\)/);
    expect(out).to.match(/^\[head\]\s+ready on head$/m);
    expect(out).to.match(/^\[worker0@spark1\]\s+ready on worker0$/m); // the demo's slurm1 has a worker0 of its own
    expect(out).to.match(/^\[worker1@spark1\]\s+ready on worker1$/m);
    expect(out).to.match(/cluster spark1: setup done on 3 nodes/);
    // status: reachable and set up, per node.
    expect(out).to.match(/│ head\s+│ head\s+│ running\s+│ 127\.[\d.]+\s+│ t3\.micro spot\s+│ yes\s+│ ok\s+│/);
    expect(out).to.match(/│ worker1@spark1\s+│ worker\s+│ running .*│ yes\s+│ ok\s+│/);
    // submit: the directory minus what .gitignore excludes, run in its own directory; exit 5 is reported.
    expect(out).to.match(/submit: archived 2 files/);
    expect(out).to.match(/^\[head\] payload$/m);
    expect(out).to.match(/^\[head\] input\.txt$/m);
    expect(out).to.not.match(/^\[head\] big\.log$/m);
    expect(out).to.match(/submission \S+ on head: exit 5/);
    // dashboard: the GET went through the forward to the head's server.
    expect(got, out).to.deep.equal({ status: 200, body: 'dashboard /status' });
    expect(out).to.match(/dashboard of spark1 closed/);
    // down: everything dust created, nothing else; the list says so, and the demo's own cluster still answers.
    expect(out).to.match(/cluster spark1 is gone: .*placement group dust-spark1.*security group dust-spark1.*key pair dust-spark1/);
    expect(out).to.match(/│ spark1\s+│ terminated\s+│ ec2 .*3 terminated/);
    expect(out).to.match(/│ slurm1\s+│ running/);
    expect(out, out).to.match(/^\[master\]\s+alive$/m);
    expect(fs.existsSync(path.join(tmp.home, 'clusters', 'spark1.yaml'))).to.equal(false);
    // The submit line failed with the job's exit 5, and so does the script (as `ssh host job` would).
    expect(run.code).to.equal(5);
  });

  it('the same commands on pods (provider: k8s): init → up → setup over exec → submit → dashboard says why not → down', () => {
    const home = fs.mkdtempSync(path.join(tmp.home, 'k8s-'));
    const project = path.join(home, 'project');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'input.txt'), 'pod payload\n');
    const init = runDust(['--demo', ...lines('cluster init ray1 --provider k8s')], { home });
    expect(init.code, init.stdout + init.stderr).to.equal(0);
    const specFile = path.join(home, 'ray1.yaml');
    const spec = yaml.load(fs.readFileSync(specFile, 'utf8')) as Record<string, unknown>;
    // The demo lists namespace demo, so that is where the spec puts its pods; any image runs on the emulator.
    expect([spec['provider'], spec['namespace'], spec['image']]).to.deep.equal(['k8s', 'demo', 'busybox:1.36']);
    Object.assign(spec, { workers: { count: 2 }, setup: { all: ['echo set up on $(hostname)'], head: [] } });
    fs.writeFileSync(specFile, yaml.dump(spec));

    const run = runDust(['--demo', ...lines(
      'cluster up -y -f ray1.yaml',
      'cluster status ray1',
      '@cluster=ray1 cat /etc/hostname 2>/dev/null || hostname',
      'cluster submit ray1 -w project -- cat input.txt; exit 4',
      'cluster dashboard ray1 --port 8265 --for 1',
      'cluster down -y ray1',
      'cluster list',
    )], { home, env: { DUST_DEMO_PACE_MS: '100' } });
    const out = run.stdout + run.stderr;
    expect(out).to.match(/pod ray1-head-0: ready/);
    for (const pod of ['ray1-head-0', 'ray1-worker-0', 'ray1-worker-1']) expect(out).to.match(new RegExp(`\\[${pod}\\]\\s+set up on ${pod}`));
    expect(out).to.match(/ray1-worker-1\s*│\s*worker\s*│\s*Running.*│\s*yes\s*│\s*ok/);
    expect(out).to.match(/\[ray1-head-0\]\s+pod payload/);
    expect(out).to.match(/submission \S+ on ray1-head-0: exit 4/);
    expect(out).to.match(/cannot forward ports .*kubectl port-forward pod\/ray1-head-0 8265:8265 \[DUST_FORWARD_UNSUPPORTED\]/);
    expect(out).to.match(/cluster ray1 is gone: ray1-head-0, ray1-worker-0, ray1-worker-1/);
    expect(out).to.not.match(/│ ray1\s/);
    // The job's exit status is the script's, on pods as on instances.
    expect(run.code).to.equal(4);
  });
});
