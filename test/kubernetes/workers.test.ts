import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { KubernetesIntegration } from '../../src/kubernetes/integration.js';
import { createWorkers, deleteCluster, KEEPALIVE_COMMAND, listClusters, type WorkerProgress } from '../../src/kubernetes/workers.js';
import { kubeFixture, type KubeFixture, rejection } from './helpers.js';

describe('kubernetes workers: growing a cluster of pods', function () {
  let f: KubeFixture;
  let k: KubernetesIntegration;

  beforeEach(async () => {
    f = await kubeFixture({ delays: { start: 50, crash: 0, deletion: 0 } });
    k = await f.integration();
  });
  afterEach(async () => {
    await f.close();
  });

  const clients = () => ({ sdk: k.sdk, kc: k.kc, api: k.api, context: k.context });

  it('creates N labelled pods, calls mutate per pod, reports progress, and waits until each shell answers', async () => {
    const events: WorkerProgress[] = [];
    const seen: number[] = [];
    const result = await createWorkers({
      ...clients(),
      name: 'spark1',
      namespace: 'default',
      count: 3,
      image: 'busybox:1.36',
      timeoutMs: 20_000,
      mutate: (manifest, index) => {
        seen.push(index);
        const metadata = manifest['metadata'] as Record<string, unknown>;
        metadata['annotations'] = { 'example.com/rank': String(index) };
        // Taking dust's label away is undone: it is how the workers are found again.
        metadata['labels'] = { team: 'ml' };
      },
      onProgress: (e) => events.push(e),
    });
    expect(result).to.deep.equal({ cluster: 'spark1', namespace: 'default', ready: ['spark1-worker-0', 'spark1-worker-1', 'spark1-worker-2'], failed: [], aborted: false });
    expect(seen.sort()).to.deep.equal([0, 1, 2]);
    const pod = f.emulator.core.getPod('default', 'spark1-worker-1') as { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: { restartPolicy: string; containers: { image: string; command: string[] }[] } };
    expect(pod.metadata.labels).to.deep.equal({ team: 'ml', 'dust/cluster': 'spark1', 'dust/role': 'worker', 'dust/index': '1' });
    expect(pod.metadata.annotations).to.deep.equal({ 'example.com/rank': '1' });
    expect(pod.spec.restartPolicy).to.equal('Never');
    expect(pod.spec.containers[0]?.image).to.equal('busybox:1.36');
    expect(pod.spec.containers[0]?.command).to.deep.equal(KEEPALIVE_COMMAND);
    for (const name of result.ready) {
      const stages = events.filter((e) => e.pod === name).map((e) => e.stage);
      expect(stages[0]).to.equal('creating');
      expect(stages).to.include.members(['created', 'running', 'ready']);
      expect(stages.at(-1)).to.equal('ready');
    }
    // Ready means the shell answered: one exec of `true` per worker reached the server.
    const probes = f.emulator.core.requestLog.filter((e) => e.verb === 'exec' && e.status === 101);
    expect(probes.length).to.be.greaterThanOrEqual(3);
  });

  it('keeps the workers that came up and deletes the rest, saying why (never scheduled, no shell, failed)', async () => {
    f.emulator.core.addPodFault({ name: 'mix-worker-1', fault: 'never-start' });
    f.emulator.core.addPodFault({ name: 'mix-worker-3', fault: 'fail' });
    const result = await createWorkers({
      ...clients(),
      name: 'mix',
      namespace: 'default',
      count: 4,
      image: 'busybox:1.36',
      timeoutMs: 3000,
      probeIntervalMs: 100,
      mutate: (manifest, index) => {
        if (index === 2) ((manifest['spec'] as { containers: { image: string }[] }).containers[0] as { image: string }).image = 'gcr.io/distroless/base';
      },
    });
    expect(result.ready).to.deep.equal(['mix-worker-0']);
    expect(result.failed.map((x) => x.pod)).to.deep.equal(['mix-worker-1', 'mix-worker-2', 'mix-worker-3']);
    const [never, noShell, failed] = result.failed.map((x) => x.reason);
    expect(never).to.match(/^not ready after 3 s \(Pending \(unschedulable: 0\/2 nodes are available: 2 Insufficient cpu/);
    expect(noShell).to.equal('pod default/mix-worker-2: container worker has no /bin/sh (image gcr.io/distroless/base)');
    expect(failed).to.equal('Failed: Error (exit code 1)');
    expect(f.emulator.core.podNames('default')).to.deep.equal(['mix-worker-0']);
  });

  it('fails with one line when no worker comes up, and leaves no pods behind', async () => {
    f.emulator.core.addPodFault({ name: /^dead-/, fault: 'image-pull' });
    const err = await rejection(createWorkers({ ...clients(), name: 'dead', namespace: 'default', count: 2, image: 'nosuch:latest', timeoutMs: 1000 }));
    expect(err.code).to.equal('DUST_KUBE_WORKERS');
    expect(err.message).to.match(/^no worker of cluster dead came up: dead-worker-0: not ready after 1 s \(ImagePullBackOff: Back-off pulling image "nosuch:latest"\); dead-worker-1: /);
    expect(f.emulator.core.podNames('default')).to.deep.equal([]);
  });

  it('says so when the API server refuses every manifest', async () => {
    const err = await rejection(createWorkers({
      ...clients(), name: 'bad', namespace: 'default', count: 2, image: 'busybox',
      mutate: (m) => {
        ((m['spec'] as { containers: { name: string }[] }).containers[0] as { name: string }).name = 'Not_Valid';
      },
    }));
    expect(err.code).to.equal('DUST_KUBE_WORKERS');
    expect(err.message).to.match(/no worker pod of cluster bad could be created: .*Pod "bad-worker-\d" is invalid: spec\.containers\[0\]\.name/);
  });

  it('refuses bad names, counts, and a missing image before touching the cluster', async () => {
    expect((await rejection(createWorkers({ ...clients(), name: 'Spark_1', namespace: 'default', count: 1, image: 'x' }))).code).to.equal('DUST_USAGE');
    expect((await rejection(createWorkers({ ...clients(), name: 'ok', namespace: 'default', count: 0, image: 'x' }))).message).to.match(/1\.\.1000/);
    expect((await rejection(createWorkers({ ...clients(), name: 'ok', namespace: 'default', count: 1 }))).hint).to.match(/--image/);
    expect(f.emulator.core.requestLog.filter((e) => e.verb === 'create')).to.deep.equal([]);
  });

  it('grows an existing cluster with the next numbers, from a pod.yaml whose first image --image overrides', async () => {
    const spec = path.join(f.dir, 'pod.yaml');
    fs.writeFileSync(spec, [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  labels: { tier: compute }',
      'spec:',
      '  containers:',
      '    - name: main',
      '      image: python:3.12',
      '      command: ["sleep", "infinity"]',
      '      env: [{ name: RANK_BASE, value: "100" }]',
      '    - name: sidecar',
      '      image: busybox',
    ].join('\n'));
    const first = await createWorkers({ ...clients(), name: 'grow', namespace: 'default', count: 2, manifest: spec, timeoutMs: 20_000 });
    expect(first.ready).to.deep.equal(['grow-worker-0', 'grow-worker-1']);
    const second = await createWorkers({ ...clients(), name: 'grow', namespace: 'default', count: 2, manifest: spec, image: 'python:3.13', timeoutMs: 20_000 });
    expect(second.ready).to.deep.equal(['grow-worker-2', 'grow-worker-3']);
    const pod = f.emulator.core.getPod('default', 'grow-worker-3') as { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string; command: string[] }[] } };
    expect(pod.spec.containers.map((c) => [c.name, c.image])).to.deep.equal([['main', 'python:3.13'], ['sidecar', 'busybox']]);
    expect(pod.spec.containers[0]?.command, 'the spec\'s own command is kept').to.deep.equal(['sleep', 'infinity']);
    expect(pod.metadata.labels['tier']).to.equal('compute');
    const notPod = path.join(f.dir, 'deploy.yaml');
    fs.writeFileSync(notPod, 'kind: Deployment\nmetadata: { name: x }\n');
    const err = await rejection(createWorkers({ ...clients(), name: 'grow', namespace: 'default', count: 1, manifest: notPod }));
    expect(err.code).to.equal('DUST_USAGE');
    expect(err.message).to.include('is not a Pod (kind: Deployment)');
  });

  it('makes a head and workers of one cluster by role, from a bare pod spec file', async () => {
    const podSpec = path.join(f.dir, 'podspec.yaml');
    fs.writeFileSync(podSpec, 'containers:\n  - name: ray\n    image: rayproject/ray:2.40.0\nnodeSelector: { pool: gpu }\n');
    const head = await createWorkers({ ...clients(), name: 'ray1', namespace: 'default', count: 1, role: 'head', manifest: podSpec, timeoutMs: 20_000 });
    const workers = await createWorkers({ ...clients(), name: 'ray1', namespace: 'default', count: 2, manifest: podSpec, timeoutMs: 20_000 });
    expect(head.ready).to.deep.equal(['ray1-head-0']);
    expect(workers.ready).to.deep.equal(['ray1-worker-0', 'ray1-worker-1']);
    const pod = f.emulator.core.getPod('default', 'ray1-head-0') as { metadata: { labels: Record<string, string> }; spec: { nodeSelector: Record<string, string>; containers: { name: string; image: string }[] } };
    expect(pod.metadata.labels).to.include({ 'dust/cluster': 'ray1', 'dust/role': 'head', 'dust/index': '0' });
    expect(pod.spec.nodeSelector).to.deep.equal({ pool: 'gpu' });
    expect(pod.spec.containers[0]).to.include({ name: 'ray', image: 'rayproject/ray:2.40.0' });
    expect(await listClusters(clients(), 'default')).to.deep.equal([{ name: 'ray1', namespaces: ['default'], count: 3, phases: { Running: 3 } }]);
    expect((await rejection(createWorkers({ ...clients(), name: 'ray1', namespace: 'default', count: 1, role: 'Head!', image: 'x' }))).code).to.equal('DUST_USAGE');
  });

  it('stops waiting on the signal: keeps what is ready, deletes the rest', async () => {
    f.emulator.core.addPodFault({ name: 'cut-worker-1', fault: 'never-start' });
    const controller = new AbortController();
    const result = await createWorkers({
      ...clients(), name: 'cut', namespace: 'default', count: 2, image: 'busybox', timeoutMs: 60_000, signal: controller.signal,
      onProgress: (e) => {
        if (e.pod === 'cut-worker-0' && e.stage === 'ready') controller.abort();
      },
    });
    expect(result.aborted).to.equal(true);
    expect(result.ready).to.deep.equal(['cut-worker-0']);
    expect(result.failed[0]?.reason).to.match(/^stopped waiting \(Pending/);
    expect(f.emulator.core.podNames('default')).to.deep.equal(['cut-worker-0']);
  });

  it('lists clusters with counts and phases, and deletes one by its label only', async () => {
    f.emulator.core.seedPods([
      { name: 'a-worker-0', labels: { 'dust/cluster': 'a' } },
      { name: 'a-worker-1', labels: { 'dust/cluster': 'a' }, fault: 'image-pull' },
      { name: 'b-worker-0', namespace: 'team', labels: { 'dust/cluster': 'b' } },
      { name: 'unrelated', labels: { app: 'web' } },
    ]);
    expect(await listClusters(clients(), undefined)).to.deep.equal([
      { name: 'a', namespaces: ['default'], count: 2, phases: { Running: 1, Pending: 1 } },
      { name: 'b', namespaces: ['team'], count: 1, phases: { Running: 1 } },
    ]);
    expect((await listClusters(clients(), 'team')).map((c) => c.name)).to.deep.equal(['b']);
    expect(await deleteCluster(clients(), 'a', 'default')).to.deep.equal(['a-worker-0', 'a-worker-1']);
    expect(f.emulator.core.podNames()).to.deep.equal(['b-worker-0', 'unrelated']);
    expect(await deleteCluster(clients(), 'nosuch', undefined)).to.deep.equal([]);
  });
});
