import https from 'node:https';
import { expect } from 'chai';
import { type CoreV1Api, KubeConfig, Watch, CoreV1Api as CoreV1ApiClass, ApiException } from '@kubernetes/client-node';
import { ManualClock, KubeEmulatorCore } from '../../src/kubernetes/emulator/index.js';
import { eventually, kubeFixture, type KubeFixture } from './helpers.js';

function apiFor(f: KubeFixture, mutate?: (kc: KubeConfig) => void): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(f.kubeconfig);
  mutate?.(kc);
  return kc.makeApiClient(CoreV1ApiClass);
}

async function apiError(promise: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(ApiException);
    const e = err as ApiException<unknown>;
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as Record<string, unknown>) : (e.body as Record<string, unknown>);
    return { code: e.code, body: body ?? {} };
  }
  throw new Error('expected the call to fail');
}

const podBody = (name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', 'infinity'] }], ...extra },
});

describe('kubernetes emulator: the API as client-node sees it', function () {
  let f: KubeFixture;
  let api: CoreV1Api;

  beforeEach(async () => {
    f = await kubeFixture();
    api = apiFor(f);
  });
  afterEach(async () => {
    await f.close();
  });

  it('creates, gets, lists and deletes pods; a new pod goes Pending → Running', async () => {
    const created = await api.createNamespacedPod({ namespace: 'default', body: podBody('web-0', { app: 'web' }) });
    expect(created.metadata?.name).to.equal('web-0');
    expect(created.status?.phase).to.equal('Pending');
    expect(created.metadata?.uid).to.be.a('string');
    const running = await eventually(async () => {
      const pod = await api.readNamespacedPod({ name: 'web-0', namespace: 'default' });
      return pod.status?.phase === 'Running' ? pod : undefined;
    }, 'web-0 Running');
    expect(running.status?.podIP).to.match(/^10\.244\./);
    expect(running.spec?.nodeName).to.match(/^emulator-node-/);
    expect(running.status?.containerStatuses?.[0]?.ready).to.equal(true);
    const list = await api.listNamespacedPod({ namespace: 'default' });
    expect(list.items.map((p) => p.metadata?.name)).to.deep.equal(['web-0']);
    expect(Number(list.metadata?.resourceVersion)).to.be.greaterThan(0);
    const deleted = await api.deleteNamespacedPod({ name: 'web-0', namespace: 'default' });
    expect(deleted.metadata?.deletionTimestamp).to.not.equal(undefined);
    expect((await api.listNamespacedPod({ namespace: 'default' })).items).to.have.length(0);
  });

  it('answers errors with Status objects: 404 NotFound, 409 AlreadyExists, 422 Invalid, 400 for a bad selector', async () => {
    const missing = await apiError(api.readNamespacedPod({ name: 'nope', namespace: 'default' }));
    expect(missing.code).to.equal(404);
    expect(missing.body).to.include({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'pods "nope" not found', code: 404 });

    await api.createNamespacedPod({ namespace: 'default', body: podBody('dup') });
    const dup = await apiError(api.createNamespacedPod({ namespace: 'default', body: podBody('dup') }));
    expect(dup.code).to.equal(409);
    expect(dup.body).to.include({ reason: 'AlreadyExists', message: 'pods "dup" already exists' });

    const invalid = await apiError(api.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'main' }] } } }));
    expect(invalid.code).to.equal(422);
    expect(invalid.body['reason']).to.equal('Invalid');
    const causes = (invalid.body['details'] as { causes: { field: string }[] }).causes.map((c) => c.field);
    expect(causes).to.include.members(['metadata.name', 'spec.containers[0].image']);

    const badSelector = await apiError(api.listNamespacedPod({ namespace: 'default', labelSelector: 'app in (' }));
    expect(badSelector.code).to.equal(400);
    expect(badSelector.body['reason']).to.equal('BadRequest');

    const noNamespace = await apiError(api.createNamespacedPod({ namespace: 'nowhere', body: podBody('x') }));
    expect(noNamespace.code).to.equal(404);
    expect(noNamespace.body['message']).to.equal('namespaces "nowhere" not found');
  });

  it('refuses a wrong bearer token with 401 and serves /version without one', async () => {
    const wrong = apiFor(f, (kc) => {
      const user = kc.getCurrentUser();
      if (user) (user as { token?: string }).token = 'not-the-token';
    });
    const refused = await apiError(wrong.listNamespacedPod({ namespace: 'default' }));
    expect(refused.code).to.equal(401);
    const version = await new Promise<string>((resolve, reject) => {
      https.get(`${f.emulator.url}/version`, { ca: f.emulator.caCert }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    expect(JSON.parse(version)).to.include({ major: '1', minor: '32' });
  });

  it('selects by label with =, !=, in, notin, exists and !exists, and by field', async () => {
    f.emulator.core.seedPods([
      { name: 'a', labels: { app: 'web', tier: 'front' } },
      { name: 'b', labels: { app: 'web', tier: 'back', gpu: 'yes' } },
      { name: 'c', labels: { app: 'db' } },
      { name: 'd', labels: {}, fault: 'image-pull' },
    ]);
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await api.listNamespacedPod({ namespace: 'default', ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items.map((p) => p.metadata?.name);
    expect(await names('app=web')).to.deep.equal(['a', 'b']);
    expect(await names('app==web,tier!=front')).to.deep.equal(['b']);
    expect(await names('app!=web')).to.deep.equal(['c', 'd']);
    expect(await names('tier in (front,back)')).to.deep.equal(['a', 'b']);
    expect(await names('app notin (web)')).to.deep.equal(['c', 'd']);
    expect(await names('gpu')).to.deep.equal(['b']);
    expect(await names('!gpu,app')).to.deep.equal(['a', 'c']);
    expect(await names(undefined, 'status.phase=Running')).to.deep.equal(['a', 'b', 'c']);
    expect(await names(undefined, 'metadata.name=c')).to.deep.equal(['c']);
    expect(await names('app=web', 'metadata.name!=a')).to.deep.equal(['b']);
    const badField = await apiError(api.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.foo=x' }));
    expect(badField.code).to.equal(400);
    expect(badField.body['message']).to.equal('field label not supported: spec.foo');
  });

  it('pages with limit and continue across namespaces, with remainingItemCount', async () => {
    f.emulator.core.seedPods(Array.from({ length: 7 }, (_, i) => ({ name: `p${i}`, namespace: i % 2 === 0 ? 'default' : 'team' })));
    const first = await api.listPodForAllNamespaces({ limit: 3 });
    expect(first.items).to.have.length(3);
    expect(first.metadata?.remainingItemCount).to.equal(4);
    const token = first.metadata?._continue;
    expect(token).to.be.a('string');
    const second = await api.listPodForAllNamespaces({ limit: 3, _continue: token as string });
    const third = await api.listPodForAllNamespaces({ limit: 3, _continue: second.metadata?._continue as string });
    expect(third.metadata?._continue ?? undefined).to.equal(undefined);
    const all = [...first.items, ...second.items, ...third.items].map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    expect(all).to.deep.equal(['default/p0', 'default/p2', 'default/p4', 'default/p6', 'team/p1', 'team/p3', 'team/p5']);
    const garbage = await apiError(api.listPodForAllNamespaces({ limit: 3, _continue: 'garbage' }));
    expect(garbage.code).to.equal(400);
  });

  it('streams ADDED, MODIFIED and DELETED watch events over chunked HTTP, from a resourceVersion', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.kubeconfig);
    const list = await api.listNamespacedPod({ namespace: 'default' });
    const events: string[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'app=web' },
      (type: string, obj: { metadata?: { name?: string }; status?: { phase?: string } }) => events.push(`${type} ${obj.metadata?.name} ${obj.status?.phase}`),
      () => {},
    );
    try {
      await api.createNamespacedPod({ namespace: 'default', body: podBody('w1', { app: 'web' }) });
      await api.createNamespacedPod({ namespace: 'default', body: podBody('other', { app: 'db' }) });
      await eventually(() => events.includes('MODIFIED w1 Running'), 'w1 Running event');
      await api.deleteNamespacedPod({ name: 'w1', namespace: 'default' });
      await eventually(() => events.some((e) => e.startsWith('DELETED w1')), 'w1 DELETED event');
      expect(events[0]).to.equal('ADDED w1 Pending');
      expect(events.some((e) => e.includes('other'))).to.equal(false);
    } finally {
      controller.abort();
    }
    await eventually(() => f.emulator.core.watchCount === 0, 'the watch to be gone on the server');
  });

  it('answers a watch with a bad selector with 400, not an open stream', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(f.kubeconfig);
    const err = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch('/api/v1/pods', { labelSelector: 'app in (' }, () => {}, resolve);
    });
    expect((err as { statusCode?: number }).statusCode).to.equal(400);
    expect(f.emulator.core.watchCount).to.equal(0);
  });

  it('sends ERROR 410 Expired on a watch from a resourceVersion older than its history', async () => {
    const small = await kubeFixture({ eventLimit: 4 });
    try {
      small.emulator.core.seedPods(Array.from({ length: 5 }, (_, i) => ({ name: `p${i}` })));
      const kc = new KubeConfig();
      kc.loadFromFile(small.kubeconfig);
      const first = await new Promise<{ type: string; obj: { code?: number; reason?: string } }>((resolve) => {
        void new Watch(kc).watch('/api/v1/namespaces/default/pods', { resourceVersion: '1' }, (type: string, obj: { code?: number; reason?: string }) => resolve({ type, obj }), () => {});
      });
      expect(first.type).to.equal('ERROR');
      expect(first.obj).to.include({ code: 410, reason: 'Expired' });
    } finally {
      await small.close();
    }
  });

  it('serves discovery for kubectl: /api, /apis, /api/v1 with pods and pods/exec', async () => {
    const get = (path: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
      https.get(`${f.emulator.url}${path}`, { ca: f.emulator.caCert, headers: { authorization: `Bearer ${f.emulator.token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>));
      }).on('error', reject);
    });
    expect((await get('/api'))['versions']).to.deep.equal(['v1']);
    expect((await get('/apis'))['kind']).to.equal('APIGroupList');
    const resources = (await get('/api/v1'))['resources'] as { name: string; verbs: string[] }[];
    expect(resources.map((r) => r.name)).to.include.members(['pods', 'pods/exec', 'namespaces']);
    expect(resources.find((r) => r.name === 'pods')?.verbs).to.include.members(['list', 'watch', 'create', 'delete', 'get']);
  });
});

describe('kubernetes emulator: pod lifecycle and faults on a manual clock', () => {
  it('starts pods after the start delay, crashes, never-starts and fails them, and restarts them', async () => {
    const clock = new ManualClock();
    const core = new KubeEmulatorCore({ clock, delays: { start: 1000, crash: 5000 } });
    try {
      const body = (name: string, annotations: Record<string, string> = {}) => ({ metadata: { name, annotations }, spec: { containers: [{ name: 'main', image: 'busybox' }] } });
      core.createPod('default', body('ok'));
      core.createPod('default', body('never', { 'emulator.dust.dev/fault': 'never-start' }));
      core.createPod('default', body('fails', { 'emulator.dust.dev/fault': 'fail' }));
      core.createPod('default', body('crashes', { 'emulator.dust.dev/fault': 'crash' }));
      const phase = (name: string) => (core.getPod('default', name)['status'] as { phase: string }).phase;
      expect(['ok', 'never', 'fails', 'crashes'].map(phase)).to.deep.equal(['Pending', 'Pending', 'Pending', 'Pending']);
      clock.advance(999);
      expect(phase('ok')).to.equal('Pending');
      clock.advance(1);
      expect(['ok', 'never', 'fails', 'crashes'].map(phase)).to.deep.equal(['Running', 'Pending', 'Failed', 'Running']);
      expect((core.getPod('default', 'never')['spec'] as { nodeName?: string }).nodeName).to.equal(undefined);
      clock.advance(5000);
      expect(phase('crashes')).to.equal('Failed');
      core.restartPod('default', 'ok');
      const status = core.getPod('default', 'ok')['status'] as { phase: string; containerStatuses: { restartCount: number }[] };
      expect(status.phase).to.equal('Running');
      expect(status.containerStatuses[0]?.restartCount).to.equal(1);
      expect(() => core.createPod('default', body('bad', { 'emulator.dust.dev/fault': 'explode' }))).to.throw(/Unsupported value: "explode"/);
      const rule = core.addPodFault({ name: /^w-/, fault: 'never-start', times: 1 });
      core.createPod('default', body('w-1'));
      core.createPod('default', body('w-2'));
      clock.advance(1000);
      expect([phase('w-1'), phase('w-2')]).to.deep.equal(['Pending', 'Running']);
      rule.remove();
    } finally {
      await core.close();
    }
  });

  it('injects API faults for a verb a given number of times', async () => {
    const f = await kubeFixture();
    try {
      const api = apiFor(f);
      f.emulator.core.faults.add({ verb: 'list', code: 503, times: 1 });
      const failed = await apiError(api.listNamespacedPod({ namespace: 'default' }));
      expect(failed.code).to.equal(503);
      expect(failed.body['reason']).to.equal('ServiceUnavailable');
      expect((await api.listNamespacedPod({ namespace: 'default' })).items).to.deep.equal([]);
    } finally {
      await f.close();
    }
  });
});
