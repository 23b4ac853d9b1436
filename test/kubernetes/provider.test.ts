import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Chalk } from 'chalk';
import yaml from 'js-yaml';
import type { DustError } from '../../src/errors/dust-error.js';
import { Inventory } from '../../src/inventory/inventory.js';
import { renderNodeTable } from '../../src/output/node-table.js';
import { createKubernetesIntegration } from '../../src/kubernetes/integration.js';
import { disambiguatePodNames, podToDraft } from '../../src/kubernetes/pod-node.js';
import { PodReflector } from '../../src/kubernetes/pod-watch.js';
import { eventually, kubeFixture, type KubeFixture, rejection } from './helpers.js';

const listRequests = (f: KubeFixture) => f.emulator.core.requestLog.filter((e) => e.verb === 'list');

describe('kubernetes provider: pods as nodes', function () {
  let f: KubeFixture;

  beforeEach(async () => {
    f = await kubeFixture({ delays: { start: 0, crash: 0, deletion: 60_000 } });
  });
  afterEach(async () => {
    await f.close();
  });

  it('maps a pod: name, source, state, labels as tags, cluster, and the props targets use', async () => {
    const core = f.emulator.core;
    core.createPod('default', {
      metadata: {
        name: 'web-7d9f-x2',
        labels: { app: 'web', 'dust/cluster': 'spark1' },
        annotations: { 'kubectl.kubernetes.io/default-container': 'app' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: 'u1', controller: true }],
      },
      spec: { containers: [{ name: 'sidecar', image: 'envoy:1.30' }, { name: 'app', image: 'nginx:1.27' }] },
    });
    core.seedPods([{ name: 'plain', labels: { app: 'db' } }]);
    await eventually(() => core.podNames().length === 2 && (core.getPod('default', 'web-7d9f-x2')['status'] as { phase: string }).phase === 'Running', 'pods running');
    const k = await f.integration();
    const drafts = await k.provider.list();
    const web = drafts.find((d) => d.name === 'web-7d9f-x2');
    expect(web).to.include({ source: 'kubernetes', state: 'running', cluster: 'spark1', port: 0 });
    expect(web?.tags).to.deep.equal({ app: 'web', 'dust/cluster': 'spark1' });
    expect(web?.host).to.match(/^10\.244\./);
    expect(web?.props).to.include({
      pod: 'web-7d9f-x2', namespace: 'default', container: 'app', containers: 'sidecar,app', image: 'nginx:1.27',
      owner: 'ReplicaSet/web-7d9f', phase: 'Running', status: 'Running', ready: '2/2', restarts: 0, context: 'dust-emulator',
    });
    expect(web?.props['node']).to.match(/^emulator-node-/);
    expect(web?.props['ip']).to.equal(web?.host);
    expect(web?.props['age']).to.match(/^\d+s$/);
    expect(drafts.find((d) => d.name === 'plain')?.cluster, 'no dust/cluster label: the namespace').to.equal('default');
  });

  it('lower-cases phases into states, and a pod being deleted is terminating', async () => {
    f.emulator.core.seedPods([{ name: 'up' }, { name: 'waiting', fault: 'image-pull' }, { name: 'dying' }, { name: 'gone-bad', fault: 'fail', running: false }]);
    await eventually(() => (f.emulator.core.getPod('default', 'gone-bad')['status'] as { phase: string }).phase === 'Failed', 'the failing pod to fail');
    f.emulator.core.deletePod('default', 'dying');
    const k = await f.integration();
    const states = Object.fromEntries((await k.provider.list()).map((d) => [d.name, [d.state, d.props['status']]]));
    expect(states).to.deep.equal({
      up: ['running', 'Running'],
      waiting: ['pending', 'ImagePullBackOff'],
      dying: ['terminating', 'Terminating'],
      'gone-bad': ['failed', 'Error'],
    });
  });

  it('lists the context\'s namespace by default, every namespace with *, and qualifies names found in several', async () => {
    f.emulator.core.seedPods([
      { name: 'web-0', namespace: 'default' },
      { name: 'web-0', namespace: 'prod' },
      { name: 'api-0', namespace: 'prod' },
    ]);
    const here = await f.integration();
    expect((await here.provider.list()).map((d) => d.name)).to.deep.equal(['web-0']);
    const all = await f.integration({ namespace: '*' });
    const drafts = await all.provider.list();
    expect(drafts.map((d) => d.name).sort()).to.deep.equal(['api-0', 'web-0.default', 'web-0.prod']);
    expect(drafts.find((d) => d.name === 'web-0.prod')?.props['pod']).to.equal('web-0');
    const prod = await f.integration({ namespace: 'prod' });
    expect((await prod.provider.list()).map((d) => d.name).sort()).to.deep.equal(['api-0', 'web-0']);
  });

  it('keeps only the pods the label selector picks', async () => {
    f.emulator.core.seedPods([{ name: 'a', labels: { app: 'web' } }, { name: 'b', labels: { app: 'db' } }]);
    const k = await f.integration({ selector: 'app=web' });
    expect((await k.provider.list()).map((d) => d.name)).to.deep.equal(['a']);
  });

  it('reads every page', async () => {
    f.emulator.core.seedPods(Array.from({ length: 5 }, (_, i) => ({ name: `p${i}` })));
    const k = await f.integration({ pageSize: 2 });
    const before = listRequests(f).length;
    expect((await k.provider.list()).map((d) => d.name)).to.deep.equal(['p0', 'p1', 'p2', 'p3', 'p4']);
    const pages = listRequests(f).slice(before);
    expect(pages).to.have.length(3);
    expect(pages.every((p) => p.path.includes('limit=2'))).to.equal(true);
  });

  it('feeds subscribe from a watch: changes are told, list() answers from the live copy, unsubscribing ends the watch', async () => {
    f.emulator.core.seedPods([{ name: 'first' }]);
    const k = await f.integration();
    let changes = 0;
    const unsubscribe = k.provider.subscribe(() => changes++);
    await k.provider.ready();
    const listsAfterSync = listRequests(f).length;
    await eventually(() => f.emulator.core.watchCount === 1, 'the watch to open');
    f.emulator.core.seedPods([{ name: 'second', running: false }]);
    await eventually(async () => (await k.provider.list()).find((d) => d.name === 'second')?.state === 'running', 'second to show as running');
    expect(changes).to.be.greaterThanOrEqual(2);
    f.emulator.core.deletePod('default', 'first', { gracePeriodSeconds: 0 });
    await eventually(async () => !(await k.provider.list()).some((d) => d.name === 'first'), 'first to disappear');
    expect(listRequests(f).length, 'served from the watch, not by listing again').to.equal(listsAfterSync);
    unsubscribe();
    await eventually(() => f.emulator.core.watchCount === 0, 'the watch to close');
  });

  it('drives the inventory: a changed pod invalidates its cache', async () => {
    const k = await f.integration();
    const inventory = new Inventory([k.provider], []);
    const unsubscribe = k.provider.subscribe(() => inventory.invalidate());
    await k.provider.ready();
    expect(await inventory.nodes()).to.have.length(0);
    f.emulator.core.seedPods([{ name: 'newcomer', labels: { role: 'worker' } }]);
    const nodes = await eventually(async () => {
      const n = await inventory.nodes();
      return n.length === 1 ? n : undefined;
    }, 'the inventory to show the new pod');
    expect(nodes[0]).to.include({ name: 'newcomer', index: 1, source: 'kubernetes' });
    unsubscribe();
  });

  it('renews a watch the server ended (timeoutSeconds) from the last version, without listing again', async () => {
    const k = await f.integration();
    let changes = 0;
    const reflector = new PodReflector({ sdk: k.sdk, kc: k.kc, api: k.api, scope: { namespace: 'default' }, watchTimeoutSeconds: 1, onChange: () => changes++ });
    try {
      await reflector.start();
      const lists = listRequests(f).length;
      await eventually(() => f.emulator.core.requestLog.filter((e) => e.verb === 'watch').length >= 2, 'a second watch');
      expect(f.emulator.core.requestLog.filter((e) => e.verb === 'watch').every((e) => e.path.includes('timeoutSeconds=1'))).to.equal(true);
      f.emulator.core.seedPods([{ name: 'late' }]);
      await eventually(() => reflector.snapshot().some((p) => p.metadata?.name === 'late'), 'the pod created after the renewal');
      expect(listRequests(f).length).to.equal(lists);
      expect(changes).to.be.greaterThan(0);
    } finally {
      reflector.stop();
    }
  });

  it('recovers when the watch fails: it backs off, lists again and watches on', async () => {
    const errors: DustError[] = [];
    const k = await f.integration({ onWatchError: (e) => errors.push(e) });
    f.emulator.core.faults.add({ verb: 'watch', code: 500, times: 1 });
    let changes = 0;
    k.provider.subscribe(() => changes++);
    await k.provider.ready();
    await eventually(() => errors.length === 1, 'the failure to be reported');
    expect(errors[0]?.code).to.equal('DUST_KUBE_API');
    await eventually(() => f.emulator.core.watchCount === 1, 'a watch after the retry');
    f.emulator.core.seedPods([{ name: 'after-retry' }]);
    await eventually(async () => (await k.provider.list()).some((d) => d.name === 'after-retry'), 'the pod created after the retry');
    expect(changes).to.be.greaterThan(0);
    await k.provider.close();
    await eventually(() => f.emulator.core.watchCount === 0, 'close to end the watch');
  });
});

describe('kubernetes provider: configuration and errors', function () {
  let f: KubeFixture;

  beforeEach(async () => {
    f = await kubeFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  it('says when there is no kubeconfig at all, or the named file is missing', async () => {
    const none = await rejection(createKubernetesIntegration({ env: { HOME: f.dir } }));
    expect(none.code).to.equal('DUST_KUBE_CONFIG');
    expect(none.message).to.match(/no kubeconfig found/);
    const missing = await rejection(createKubernetesIntegration({ kubeconfig: path.join(f.dir, 'nope.yaml') }));
    expect(missing.code).to.equal('DUST_KUBE_CONFIG');
    expect(missing.message).to.include('nope.yaml not found');
  });

  it('reads KUBECONFIG (several files merged) and names the contexts when the one asked for is missing', async () => {
    const other = path.join(f.dir, 'other.yaml');
    fs.writeFileSync(other, yaml.dump({
      apiVersion: 'v1', kind: 'Config',
      clusters: [{ name: 'far', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'far', user: { token: 'x' } }],
      contexts: [{ name: 'far', context: { cluster: 'far', user: 'far', namespace: 'ops' } }],
      'current-context': 'far',
    }));
    const merged = await createKubernetesIntegration({ env: { KUBECONFIG: `${f.kubeconfig}:${other}` } });
    expect(merged.context, 'the first file\'s current-context wins').to.equal('dust-emulator');
    await merged.close();
    const far = await createKubernetesIntegration({ env: { KUBECONFIG: `${f.kubeconfig}:${other}` }, context: 'far' });
    expect(far.namespace).to.equal('ops');
    await far.close();
    const wrong = await rejection(createKubernetesIntegration({ kubeconfig: f.kubeconfig, context: 'prod' }));
    expect(wrong.code).to.equal('DUST_KUBE_CONFIG');
    expect(wrong.message).to.include("no context 'prod'");
    expect(wrong.hint).to.equal('contexts there: dust-emulator');
  });

  it('turns an unreachable server, a refused token and a forbidden list into one line each', async () => {
    const text = fs.readFileSync(f.kubeconfig, 'utf8');
    const badToken = path.join(f.dir, 'bad-token');
    fs.writeFileSync(badToken, text.replace(f.emulator.token, 'wrong-token'));
    const refused = await rejection((await f.integration({ kubeconfig: badToken })).provider.list());
    expect(refused.code).to.equal('DUST_KUBE_UNAUTHORIZED');
    expect(refused.message).to.equal('Kubernetes: list pods: the API server refused the credentials (context dust-emulator)');
    expect(refused.message).to.not.include('wrong-token');

    f.emulator.core.faults.add({ verb: 'list', code: 403, message: 'pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "default"' });
    const forbidden = await rejection((await f.integration()).provider.list());
    expect(forbidden.code).to.equal('DUST_KUBE_UNAUTHORIZED');
    expect(forbidden.message).to.include('forbidden');
    expect(forbidden.hint).to.include('kubectl auth can-i');

    const k = await f.integration();
    await f.emulator.server.close();
    f.emulator.server.closeAllConnections();
    const down = await rejection(k.provider.list());
    expect(down.code).to.equal('DUST_KUBE_CONNECT');
    expect(down.message).to.include(`cannot reach the API server at ${f.emulator.url}`);
  });

  it('refuses a server whose certificate the kubeconfig\'s CA did not sign', async () => {
    // Another address, so another CA (certificates are made once per address and process).
    const other = await kubeFixture({ host: '127.0.0.2' });
    try {
      const text = fs.readFileSync(f.kubeconfig, 'utf8');
      const doc = yaml.load(text) as { clusters: { cluster: Record<string, string> }[] };
      const cluster = doc.clusters[0]?.cluster as Record<string, string>;
      // The other emulator's server with this one's CA: same issuer name, another key.
      cluster['server'] = other.emulator.url;
      const mismatched = path.join(f.dir, 'mismatched');
      fs.writeFileSync(mismatched, yaml.dump(doc));
      const k = await f.integration({ kubeconfig: mismatched });
      const err = await rejection(k.provider.list());
      expect(err.code).to.equal('DUST_KUBE_CONNECT');
      expect(err.message).to.match(/TLS verification|certificate|signature/i);
    } finally {
      await other.close();
    }
  });
});

describe('kubernetes provider: pure mapping', () => {
  it('shows a pod\'s address as its IP alone (port 0: reached through the API server)', () => {
    const draft = podToDraft({ metadata: { name: 'web-0', namespace: 'default' }, status: { phase: 'Running', podIP: '10.244.0.9' } }, { context: 'c', now: 0 });
    const table = renderNodeTable([{ ...draft, index: 1 }], { verbosity: 0, chalk: new Chalk({ level: 0 }), color: false });
    expect(table).to.include('10.244.0.9');
    expect(table).to.not.include('10.244.0.9:0');
  });

  it('disambiguates only the names found in several namespaces', () => {
    const pod = (name: string, namespace: string) => podToDraft({ metadata: { name, namespace }, status: { phase: 'Running' } }, { context: 'c', now: 0 });
    const names = disambiguatePodNames([pod('a', 'x'), pod('a', 'y'), pod('b', 'x')]).map((d) => d.name);
    expect(names).to.deep.equal(['a.x', 'a.y', 'b']);
  });
});
