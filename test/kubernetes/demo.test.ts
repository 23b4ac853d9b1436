/**
 * The demo's pods: `dust --demo` (built, on a PTY) has namespace `demo` with pod0–pod2 beside the EC2 fleet, so a new
 * user's first `@pod* hostname` works, and the kubeconfig it wrote serves kubectl too while dust runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DUST_BIN, PtySession } from '../helpers/pty-driver.js';
import { emulatorTls } from '../../src/kubernetes/emulator/index.js';
import { startPodDemo } from '../../src/kubernetes/demo.js';
import { createKubernetesIntegration } from '../../src/kubernetes/integration.js';

describe('kubernetes: the demo\'s pods (dust --demo, built, real PTY)', function () {
  this.timeout(120000);
  let home: string;
  let dust: PtySession | undefined;

  before(function () {
    if (!fs.existsSync(DUST_BIN)) this.skip();
  });
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-pod-demo-'));
  });
  afterEach(() => {
    dust?.kill();
    dust = undefined;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('lists pod0-2 in namespace demo next to the EC2 fleet; @pod* runs in each; use demo; files land in the pods\' homes', async () => {
    dust = new PtySession(['--demo'], { HOME: home, DUST_HOME: home }, { cols: 160, rows: 50, cwd: home });
    const banner = await dust.waitFor('[us-east-1]$ ', { timeoutMs: 60000 });
    expect(banner).to.match(/DEMO — 3 pods \(pod0–pod2, namespace demo, label app=demo\) on dust's Kubernetes emulator at https:\/\/127\.0\.0\.1:\d+/);
    expect(fs.statSync(path.join(home, 'demo', 'k8s', 'kubeconfig')).mode & 0o777).to.equal(0o600);

    let m = dust.mark();
    dust.write('show\r');
    let out = await dust.waitFor(/groups · [\s\S]*\[us-east-1\]\$ $/, { from: m });
    expect(out).to.match(/cluster demo/).and.match(/│ pod0\s+│ running\s+│ 10\.\d+\.\d+\.\d+\s+│/).and.match(/│ worker0 /);
    expect(out).to.match(/9 nodes · 3 groups · master,pod\[0-2\],web\[1-2\],worker\[0-2\]/);

    m = dust.mark();
    dust.write('@pod* hostname; echo hi > ~/from-dust.txt\r');
    out = await dust.waitFor(/\[pod2\] pod2[\s\S]*\$ $/, { from: m });
    expect(out).to.match(/\[pod0\] pod0/).and.match(/\[pod1\] pod1/);
    expect(fs.readFileSync(path.join(home, 'demo', 'pods', 'demo', 'pod1', 'home', 'from-dust.txt'), 'utf8')).to.equal('hi\n');

    m = dust.mark();
    dust.write('use demo\r');
    await dust.waitFor('[demo]$ ', { from: m });
    m = dust.mark();
    dust.write('@ echo in $(hostname)\r');
    out = await dust.waitFor(/\[pod2\] in pod2[\s\S]*\[demo\]\$ $/, { from: m });
    expect(out).to.not.match(/worker|master|web/);

    dust.write('exit\r');
    expect(await dust.waitForExit(30000)).to.equal(0);
    expect(fs.existsSync(path.join(home, 'demo', 'k8s', 'kubeconfig')), 'the kubeconfig (a token) is removed on exit').to.equal(false);
  });

  it('keeps its TLS identity (0600) between runs, and makes a new one when the stored one is unusable', async () => {
    const file = path.join(home, 'demo', 'k8s', 'tls.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A valid identity other than the one this process would make: the demo must serve exactly it.
    const stored = emulatorTls('127.0.0.9');
    fs.writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
    let demo = await startPodDemo({ dustHome: home });
    try {
      expect(demo.server.caCert).to.equal(stored.caCert);
      const k = await createKubernetesIntegration({ kubeconfig: demo.kubeconfig, namespace: demo.namespace });
      try {
        expect((await k.provider.list()).map((n) => n.name)).to.deep.equal(['pod0', 'pod1', 'pod2']);
      } finally {
        await k.close();
      }
    } finally {
      await demo.close();
    }
    fs.writeFileSync(file, '{"caCert": "not a certificate"}');
    demo = await startPodDemo({ dustHome: home });
    try {
      expect(demo.server.caCert).to.not.equal(stored.caCert);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.have.property('caCert', demo.server.caCert);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    } finally {
      await demo.close();
    }
  });
});
