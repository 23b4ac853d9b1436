/** `dust emulator --k8s` through the built CLI: it serves, writes a working kubeconfig, and cleans up on Ctrl-C. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createKubernetesIntegration } from '../../src/kubernetes/integration.js';
import { DUST_BIN } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { eventually } from './helpers.js';

describe('kubernetes: dust emulator --k8s', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => {
    tmp = makeTempHome();
  });
  afterEach(() => tmp.cleanup());

  it('serves the seeded pods with a 0600 kubeconfig that the client uses, until Ctrl-C removes it', async () => {
    const kubeconfig = path.join(tmp.home, 'kc', 'config');
    const child = spawn(process.execPath, [DUST_BIN, '-c', `emulator --k8s --kubeconfig ${kubeconfig}`], {
      cwd: tmp.home,
      env: { PATH: process.env['PATH'] ?? '', HOME: tmp.home, DUST_HOME: tmp.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await eventually(() => out.includes('Ctrl-C stops it'), 'the emulator to listen');
      expect(out).to.match(/Kubernetes emulator listening on https:\/\/127\.0\.0\.1:\d+/);
      expect(fs.statSync(kubeconfig).mode & 0o777).to.equal(0o600);
      const k = await createKubernetesIntegration({ kubeconfig, namespace: '*' });
      try {
        const nodes = await k.provider.list();
        expect(nodes.map((n) => n.name).sort()).to.deep.equal(['db-0', 'spark1-worker-0', 'spark1-worker-1', 'spark1-worker-2', 'web-0', 'web-1']);
        expect(nodes.filter((n) => n.cluster === 'spark1')).to.have.length(3);
      } finally {
        await k.close();
      }
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).to.equal(0);
    expect(out).to.include('Kubernetes emulator stopped');
    expect(fs.existsSync(kubeconfig)).to.equal(false);
  });

  it('refuses --kubeconfig without --k8s', async () => {
    const child = spawn(process.execPath, [DUST_BIN, '-c', 'emulator --kubeconfig x'], {
      cwd: tmp.home,
      env: { PATH: process.env['PATH'] ?? '', HOME: tmp.home, DUST_HOME: tmp.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).to.not.equal(0);
    expect(err).to.include('--kubeconfig goes with --k8s');
  });
});
