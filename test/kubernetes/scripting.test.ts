/**
 * The scripting parts written once over the Transport interface, driven over the Kubernetes transport (the real
 * client-node against the emulator): no-PTY exec through `Transport.exec`, and recursive copies over its
 * RemoteFiles (exec of cat/stat/ls in the pod, not SFTP).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { DustNode } from '../../src/inventory/node.js';
import type { KubernetesIntegration } from '../../src/kubernetes/integration.js';
import { SessionManager } from '../../src/sessions/index.js';
import { getPath, putPath } from '../../src/files/copy-tree.js';
import { asNode, kubeFixture, type KubeFixture } from './helpers.js';

describe('kubernetes transport: no-PTY exec and directory copies', function () {
  this.timeout(60_000);
  let f: KubeFixture;
  let k: KubernetesIntegration;
  let sm: SessionManager;
  let nodes: DustNode[];
  let local: string;

  beforeEach(async () => {
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0' }, { name: 'web-1' }]);
    k = await f.integration();
    nodes = (await k.provider.list()).map((d, i) => asNode(d, i + 1));
    sm = new SessionManager({ transports: [k.transport], shellStartTimeoutMs: 15000, interruptGraceMs: 800 });
    local = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-k8s-copy-'));
  });
  afterEach(async () => {
    await sm.closeAll();
    await f.close();
    fs.rmSync(local, { recursive: true, force: true });
  });

  it('exec keeps stdout and stderr apart, passes stdin to every pod, and a timeout stops the command', async () => {
    const results = await sm.exec(nodes, 'echo "out $(hostname)"; echo err >&2; wc -c; exit 4', { stdin: Buffer.from('twelve bytes') });
    expect(results.map((r) => [r.node.name, r.status, r.exitCode, r.output, r.stderr])).to.deep.equal([
      ['web-0', 'failed', 4, ['out web-0', '12'], ['err']],
      ['web-1', 'failed', 4, ['out web-1', '12'], ['err']],
    ]);
    const [t] = await sm.exec([nodes[0]!], 'sleep 30; echo never', { timeoutMs: 300 });
    expect(t!.status).to.equal('timeout');
    expect(t!.output).to.deep.equal([]);
  });

  it('put -r and get -r copy a tree through the pod\'s files, with modes and (with -p) times', async () => {
    const src = path.join(local, 'site');
    fs.mkdirSync(path.join(src, 'a', 'b'), { recursive: true });
    fs.writeFileSync(path.join(src, 'index.html'), '<h1>hi</h1>\n');
    fs.writeFileSync(path.join(src, 'a', 'run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
    const blob = randomBytes(300_000);
    fs.writeFileSync(path.join(src, 'a', 'b', 'blob.bin'), blob);
    fs.utimesSync(path.join(src, 'index.html'), 1_600_000_000, 1_600_000_000);
    const files = await k.transport.files(nodes[0]!);
    const up = await putPath(files, src, '/tmp/site', true, { preserve: true });
    expect([up.files, up.directories, up.bytes]).to.deep.equal([3, 3, 12 + 19 + blob.length]);
    const [check] = await sm.exec([nodes[0]!], 'cd /tmp/site && sh a/run.sh && stat -c "%a %Y" a/run.sh index.html && wc -c < a/b/blob.bin');
    const [ran, script, page, size] = check!.output;
    expect([ran, page, size]).to.deep.equal(['ran', '644 1600000000', String(blob.length)]);
    expect(script).to.match(/^755 \d+$/);
    const down = path.join(local, 'back');
    const got = await getPath(files, '/tmp/site', down, true, { preserve: true });
    expect(got.files).to.equal(3);
    expect(fs.readFileSync(path.join(down, 'a', 'b', 'blob.bin'))).to.deep.equal(blob);
    expect(fs.statSync(path.join(down, 'a', 'run.sh')).mode & 0o777).to.equal(0o755);
    expect(Math.round(fs.statSync(path.join(down, 'index.html')).mtimeMs / 1000)).to.equal(1_600_000_000);
  });
});
