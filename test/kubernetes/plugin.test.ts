/**
 * The Kubernetes plugin inside a real engine (composeDust, as the CLI builds it) against the emulator: pods join
 * the inventory through the provider the plugin registers, `kubernetesClusters(state)` grows and removes worker
 * clusters, and every worker's manifest passes through the user plugins' `pod:spec` handlers, in order.
 */
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import { kubernetesClusters } from '../../src/kubernetes/clusters.js';
import { resolveKubernetesSettings } from '../../src/kubernetes/settings.js';
import type { DustApp } from '../../src/shell/app.js';
import { EventBus } from '../../src/plugins/events.js';
import { validateSubscription } from '../../src/plugins/spec-validation.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { kubeEngine, kubeFixture, type KubeFixture } from './helpers.js';

type Pod = { metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: { resources?: unknown; env?: { name: string; value: string }[] }[]; tolerations?: unknown[] } };

describe('kubernetes plugin: in the engine, worker clusters and pod:spec', function () {
  this.timeout(60000);
  let f: KubeFixture;
  let tmp: ReturnType<typeof makeTempHome>;
  let app: DustApp | undefined;
  let output: () => string;

  beforeEach(async () => {
    tmp = makeTempHome();
    f = await kubeFixture({ delays: { start: 20, crash: 0, deletion: 0 } });
    output = () => '';
  });
  afterEach(async () => {
    await app?.shutdown();
    app = undefined;
    await f.close();
    tmp.cleanup();
  });

  /** An engine from a config file (and drop-in plugin files), as the CLI would build it. */
  const engine = async (config: string, plugins: Record<string, string> = {}): Promise<DustApp> => {
    const e = await kubeEngine(tmp.home, config, { plugins });
    app = e.app;
    output = e.output;
    return app;
  };

  const pod = (name: string): Pod => f.emulator.core.getPod('default', name) as unknown as Pod;

  it('registers the pods as nodes through the public API and reaches them over its transport', async () => {
    f.emulator.core.seedPods([{ name: 'web-0', labels: { app: 'web' } }]);
    const a = await engine(`kubernetes: { kubeconfig: ${f.kubeconfig} }\n`);
    const nodes = await a.state.resolveTarget('tags=app:web');
    expect(nodes.map((n) => [n.name, n.source, n.state])).to.deep.equal([['web-0', 'kubernetes', 'running']]);
    expect(a.manager.transportFor(nodes[0]!).name).to.equal('kubernetes');
    const [r] = await a.sessions.run(nodes, 'hostname');
    expect(r?.output).to.deep.equal(['web-0']);
    // A pod created later joins without a refresh (the watch), and one deleted leaves.
    f.emulator.core.seedPods([{ name: 'web-1', labels: { app: 'web' } }]);
    f.emulator.core.deletePod('default', 'web-0');
    for (let i = 0; i < 200; i++) {
      const names = (await a.state.resolveTarget('*')).map((n) => n.name);
      if (names.join() === 'web-1') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect((await a.state.nodes()).map((n) => n.name)).to.deep.equal(['web-1']);
  });

  it('creates workers whose manifests went through pod:spec handlers in plugin order, then lists and deletes them', async () => {
    const a = await engine(`kubernetes: { kubeconfig: ${f.kubeconfig}, namespace: default }\n`, {
      '10-gpu.mjs': `export default { name: 'gpu', apiVersion: 2, setup(api) {
        api.on('pod:spec', async (e) => {
          await new Promise((r) => setTimeout(r, 10));
          e.manifest.metadata.labels.team = 'ml';
          e.manifest.spec.containers[0].resources = { limits: { 'nvidia.com/gpu': '1' } };
          e.manifest.spec.containers[0].env = [{ name: 'RANK', value: String(e.index) }, { name: 'WHERE', value: e.cluster + '/' + e.namespace + '/' + e.role + '/' + e.pod }];
        });
      } };`,
      '20-tolerate.mjs': `export default { name: 'tolerate', apiVersion: 2, setup(api) {
        api.on('pod:spec', (e) => {
          // Sees what the earlier plugin did, and may replace the manifest whole.
          if (e.manifest.metadata.labels.team !== 'ml') throw new Error('ran before gpu');
          e.manifest = { ...e.manifest, spec: { ...e.manifest.spec, tolerations: [{ key: 'gpu', operator: 'Exists' }] } };
          delete e.manifest.metadata.labels['dust/cluster'];
        });
      } };`,
    });
    const clusters = kubernetesClusters(a.state);
    expect(await clusters.target()).to.deep.include({ context: 'dust-emulator', namespace: 'default', createNamespace: 'default' });
    const result = await clusters.create({ name: 'spark', count: 2, image: 'busybox:1.36', timeoutMs: 20000 });
    expect(result.ready).to.deep.equal(['spark-worker-0', 'spark-worker-1']);
    const p = pod('spark-worker-1');
    expect(p.metadata.labels).to.deep.include({ team: 'ml', 'dust/cluster': 'spark', 'dust/role': 'worker', 'dust/index': '1' });
    expect(p.spec.containers[0]?.resources).to.deep.equal({ limits: { 'nvidia.com/gpu': '1' } });
    expect(p.spec.containers[0]?.env).to.deep.equal([{ name: 'RANK', value: '1' }, { name: 'WHERE', value: 'spark/default/worker/spark-worker-1' }]);
    expect(p.spec.tolerations).to.deep.equal([{ key: 'gpu', operator: 'Exists' }]);
    // The new pods are nodes of cluster spark at once.
    expect((await a.state.resolveTarget('spark')).map((n) => n.name)).to.deep.equal(['spark-worker-0', 'spark-worker-1']);
    expect(await clusters.list()).to.deep.equal([{ name: 'spark', namespaces: ['default'], count: 2, phases: { Running: 2 } }]);
    expect(await clusters.delete('spark')).to.deep.equal(['spark-worker-0', 'spark-worker-1']);
    expect(await clusters.list()).to.deep.equal([]);
  });

  it('a pod:spec handler that throws fails that pod only, naming the plugin', async () => {
    const a = await engine(`kubernetes: { kubeconfig: ${f.kubeconfig} }\n`, {
      'picky.mjs': `export default { name: 'picky', apiVersion: 2, setup(api) {
        api.on('pod:spec', (e) => { if (e.index === 1) throw new Error('no quota for rank 1'); });
      } };`,
    });
    const result = await kubernetesClusters(a.state).create({ name: 'half', count: 2, image: 'busybox:1.36', timeoutMs: 20000 });
    expect(result.ready).to.deep.equal(['half-worker-0']);
    expect(result.failed).to.deep.equal([{ pod: 'half-worker-1', reason: "plugin 'picky' failed handling pod:spec: no quota for rank 1" }]);
    expect(() => pod('half-worker-1')).to.throw();
    expect(output(), 'the shell reports nothing on its own: the failure is the command\'s to show').to.equal('');
  });

  it('pod:spec handlers run one after another; one that never settles is given up, naming its plugin; typos are caught', async () => {
    const bus = new EventBus(() => {});
    const order: string[] = [];
    bus.on('pod:spec', 'a', async () => { await new Promise((r) => setTimeout(r, 20)); order.push('a'); });
    bus.on('pod:spec', 'b', () => { order.push('b'); });
    const event = { cluster: 'c', namespace: 'n', role: 'worker', index: 0, pod: 'c-worker-0', manifest: {} };
    await bus.runHook('pod:spec', event);
    expect(order).to.deep.equal(['a', 'b']);
    bus.on('pod:spec', 'stuck', () => new Promise(() => {}));
    let error: unknown;
    try {
      await bus.runHook('pod:spec', event, { timeoutMs: 50 });
    } catch (err) {
      error = err;
    }
    expect(isDustError(error) && error.code).to.equal('DUST_PLUGIN_ERROR');
    expect((error as Error).message).to.equal("plugin 'stuck' did not finish handling pod:spec within 50 ms");
    expect(() => validateSubscription('pod:sepc', () => {})).to.throw(/on\('pod:sepc'\): no such event/);
    try {
      validateSubscription('pod:sepc', () => {});
    } catch (err) {
      expect((err as { hint: string }).hint).to.match(/^did you mean 'pod:spec'\?/);
    }
  });

  it('without Kubernetes on, kubernetesClusters says how to turn it on', async () => {
    const a = await engine('nodes: []\n');
    let error: unknown;
    try {
      kubernetesClusters(a.state);
    } catch (err) {
      error = err;
    }
    expect(isDustError(error) && error.code).to.equal('DUST_KUBE_NOT_ENABLED');
    expect(String((error as Error).message)).to.equal('Kubernetes is not enabled in this session');
  });

  it('settings: the command line or the config section turns it on, KUBECONFIG alone does not', () => {
    const env = { KUBECONFIG: '/k' };
    expect(resolveKubernetesSettings({ config: undefined, env })).to.deep.include({ enabled: false, kubeconfig: undefined });
    expect(resolveKubernetesSettings({ config: undefined, env }).reason).to.match(/KUBECONFIG is set, but dust lists pods only when asked/);
    expect(resolveKubernetesSettings({ config: {}, env })).to.deep.include({ enabled: true, reason: "the config's kubernetes: section" });
    expect(resolveKubernetesSettings({ config: { enabled: false, namespace: 'a' }, env })).to.deep.include({ enabled: false });
    expect(resolveKubernetesSettings({ config: { enabled: false, namespace: 'a', context: 'c' }, cli: { namespace: 'b' }, env }))
      .to.deep.include({ enabled: true, reason: '--namespace', namespace: 'b', context: 'c' });
    expect(resolveKubernetesSettings({ config: { keepaliveIntervalMs: 0, selector: 'app=web' }, cli: { context: 'x', kubeconfig: '/y' } }))
      .to.deep.include({ enabled: true, reason: '--kube-context, --kubeconfig', context: 'x', kubeconfig: '/y', keepaliveMs: 0, selector: 'app=web' });
  });
});
