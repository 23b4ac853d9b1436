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
});
