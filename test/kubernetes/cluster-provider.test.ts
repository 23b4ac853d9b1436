/**
 * `cluster up|status|list|down` with `provider: k8s`: the Kubernetes plugin registers a ClusterProvider through the
 * public API, and the provider-neutral `cluster` commands drive it in a real engine (composeDust) against the
 * emulator over the wire: head and worker pods are created (through `pod:spec`), set up over exec, reconciled when
 * the spec changes, described, and deleted with this machine's record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { DustApp } from '../../src/shell/app.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { kubeEngine, kubeFixture, type KubeFixture } from './helpers.js';

describe('kubernetes: cluster up/status/list/down with provider: k8s', function () {
  this.timeout(90000);
  let f: KubeFixture;
  let tmp: ReturnType<typeof makeTempHome>;
  let app: DustApp | undefined;
  let output: () => string = () => '';

  beforeEach(async () => {
    tmp = makeTempHome();
    f = await kubeFixture({ delays: { start: 20, crash: 0, deletion: 0 } });
  });
  afterEach(async () => {
    await app?.shutdown();
    app = undefined;
    await f.close();
    tmp.cleanup();
  });

  const engine = async (plugins: Record<string, string> = {}): Promise<DustApp> => {
    const e = await kubeEngine(tmp.home, `kubernetes: { kubeconfig: ${f.kubeconfig} }\n`, {
      plugins,
      compose: { clusterSetup: { reachTimeoutMs: 20000, reachIntervalMs: 100 }, podReadyTimeoutMs: 3000 },
    });
    app = e.app;
    output = e.output;
    return app;
  };

  const specFile = (workers: number, extra = ''): string => {
    const file = path.join(tmp.home, 'ray1.yaml');
    fs.writeFileSync(file, [
      'name: ray1', 'provider: k8s', 'image: busybox:1.36', 'namespace: default', `workers: { count: ${workers} }`,
      'setup:', '  all: ["echo ready-$(hostname) > ~/setup-marker"]', '  head: ["echo head-only > ~/head-marker"]', extra,
    ].join('\n'));
    return file;
  };
  const run = async (line: string): Promise<{ ok: boolean; text: string }> => {
    const from = output().length;
    const ok = await app!.runner.runLine(line);
    return { ok, text: output().slice(from) };
  };
  const podNames = (): string[] => f.emulator.core.podNames('default').filter((n) => n.startsWith('ray1-')).sort();

  it('brings a cluster of pods up from a spec, sets it up over exec, reconciles, describes and deletes it', async () => {
    await engine({
      'label.mjs': "export default { name: 'label', apiVersion: 2, setup(api) { api.on('pod:spec', (e) => { e.manifest.metadata.labels.team = 'ml'; }); } };\n",
    });
    const up = await run(`cluster up -f ${specFile(2)} --yes`);
    expect(up.ok, up.text).to.equal(true);
    expect(podNames()).to.deep.equal(['ray1-head-0', 'ray1-worker-0', 'ray1-worker-1']);
    expect(up.text).to.match(/setup done on 3 nodes/);
    // Every pod went through pod:spec, and the record says whose cluster it is.
    for (const name of podNames()) expect((f.emulator.core.getPod('default', name) as { metadata: { labels: Record<string, string> } }).metadata.labels['team']).to.equal('ml');
    const record = fs.readFileSync(path.join(tmp.home, 'clusters', 'ray1.yaml'), 'utf8');
    expect(record).to.match(/^provider: k8s$/m);
    expect(record).to.match(/^namespace: default$/m);

    // The pods are nodes of cluster ray1: @cluster=ray1 reaches them over exec, and setup ran on each.
    const marker = await run('gather cluster=ray1 cat ~/setup-marker');
    expect(marker.ok, marker.text).to.equal(true);
    for (const pod of podNames()) expect(marker.text).to.contain(`ready-${pod}`);
    const head = await run('@ray1-head-0 cat ~/head-marker');
    expect(head.text).to.contain('head-only');

    const status = await run('cluster status ray1');
    expect(status.ok, status.text).to.equal(true);
    expect(status.text).to.match(/ray1-head-0\s*│\s*head\s*│\s*Running\s*│\s*10\.\S+\s*│\s*image busybox:1\.36\s*│\s*yes\s*│\s*ok/);
    expect(status.text).to.match(/ray1-worker-1\s*│\s*worker\s*│\s*Running/);
    expect(status.text).to.contain('on k8s (namespace default, context dust-emulator)');

    // Same spec again: nothing to do, nobody set up twice.
    const again = await run(`cluster up -f ${specFile(2)} --yes`);
    expect(again.ok, again.text).to.equal(true);
    expect(again.text).to.match(/already matches its spec/);
    expect(again.text).to.not.match(/setup done/);

    // Grow to 3 workers: one new pod, set up alone; shrink to 1: the highest indexes go.
    const grown = await run(`cluster up -f ${specFile(3)} --yes`);
    expect(grown.ok, grown.text).to.equal(true);
    expect(podNames()).to.deep.equal(['ray1-head-0', 'ray1-worker-0', 'ray1-worker-1', 'ray1-worker-2']);
    expect(grown.text).to.match(/setup done on 1 node\b/);
    const shrunk = await run(`cluster up -f ${specFile(1)} --yes`);
    expect(shrunk.ok, shrunk.text).to.equal(true);
    expect(shrunk.text).to.match(/deleted 2 worker pods .*ray1-worker-1, ray1-worker-2/);
    expect(podNames()).to.deep.equal(['ray1-head-0', 'ray1-worker-0']);

    // Drift: a pod deleted behind dust's back is named by status and made again by up.
    f.emulator.core.deletePod('default', 'ray1-worker-0');
    const drift = await run('cluster status ray1 --no-probe');
    expect(drift.text).to.match(/0 worker pods; the spec wants 1/);

    const list = await run('cluster list');
    expect(list.ok, list.text).to.equal(true);
    expect(list.text).to.match(/ray1/);
    expect(list.text).to.match(/Kubernetes|namespace default/);

    const down = await run('cluster down ray1 --yes');
    expect(down.ok, down.text).to.equal(true);
    expect(podNames()).to.deep.equal([]);
    expect(fs.existsSync(path.join(tmp.home, 'clusters', 'ray1.yaml'))).to.equal(false);
    const gone = await run('cluster status ray1');
    expect(gone.ok).to.equal(false);
    expect(gone.text).to.match(/DUST_CLUSTER_NOT_FOUND/);
  });

  it('refuses a spec for another context in one line, creating nothing', async () => {
    await engine();
    const r = await run(`cluster up -f ${specFile(1, 'context: prod-eu')} --yes`);
    expect(r.ok).to.equal(false);
    expect(r.text).to.match(/the spec is for context prod-eu, and dust is on context \S+ .*--kube-context prod-eu.*\[DUST_CLUSTER_PROVIDER\]/);
    expect(podNames()).to.deep.equal([]);
  });

  it('an image that never starts: the head is named with the reason, and down still cleans up', async () => {
    await engine();
    f.emulator.core.addPodFault({ fault: 'image-pull', labelSelector: 'dust/role=head' });
    const r = await run(`cluster up -f ${specFile(1)} --yes`);
    expect(r.ok).to.equal(false);
    expect(r.text).to.match(/no head pod came up .*ImagePullBackOff.*\[DUST_KUBE_WORKERS\]/);
    expect(podNames(), 'the head that never came up was deleted').to.deep.equal([]);
    const down = await run('cluster down ray1 --yes');
    expect(down.ok, down.text).to.equal(true);
    expect(podNames()).to.deep.equal([]);
  });

  it('cluster up NAME --k8s --image IMG --nodes N --timeout S: no spec file; pods that do not come up in time are deleted and named', async () => {
    await engine();
    f.emulator.core.addPodFault({ fault: 'never-start', name: 'grow1-worker-1' });
    const r = await run('cluster up grow1 --k8s --image busybox:1.36 --nodes 3 --timeout 2 --no-setup -y');
    expect(r.ok, r.text).to.equal(true);
    expect(r.text).to.match(/pod grow1-worker-1: failed \(not ready after 2 s \(Pending \(unschedulable: .*Insufficient cpu/);
    expect(f.emulator.core.podNames('default').filter((n) => n.startsWith('grow1-')).sort()).to.deep.equal(['grow1-head-0', 'grow1-worker-0']);
    const status = await run('cluster status grow1 --no-probe');
    expect(status.text).to.match(/1 worker pod; the spec wants 2/);
    // A flag that does not fit, or one missing, is one line.
    const noImage = await run('cluster up grow2 --k8s -y');
    expect(noImage.ok).to.equal(false);
    expect(noImage.text).to.match(/cluster up grow2: a cluster of pods needs an image — give --image IMG .*\[DUST_USAGE\]/);
    const bad = await run('cluster up grow2 --k8s --provider ec2 -y');
    expect(bad.ok).to.equal(false);
    expect(bad.text).to.match(/--k8s and --provider ec2 disagree.*\[DUST_USAGE\]/);
    const down = await run('cluster down grow1 -y');
    expect(down.ok, down.text).to.equal(true);
  });
});
