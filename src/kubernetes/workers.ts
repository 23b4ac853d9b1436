/**
 * Growing worker pods from a REPL, the way K8sClusterManagers.jl grows Julia workers: create N pods labelled
 * `dust/cluster=NAME` from a base manifest (or the user's pod.yaml), let a `mutate` hook change each manifest
 * before it is created, wait until each pod is Running *and* its shell answers, keep the ones that came up in
 * time (partial readiness), delete the rest and say which and why. `deleteCluster` removes a cluster by its
 * label, `listClusters` summarises them. The library behind `cluster up NAME --k8s`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { expandHome } from '../config/paths.js';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { exitFromStatus } from './exec-protocol.js';
import { startCommand } from './exec-start.js';
import { translateKubeError } from './errors.js';
import { StartLimiter } from './limiter.js';
import { CLUSTER_LABEL, defaultContainer, type PodLike } from './pod-node.js';
import { podStatusWord } from './pod-status.js';
import { listPodsPaged, PodReflector } from './pod-watch.js';
import type { KubeSdk } from './sdk.js';
import { podLookup } from './transport.js';

/** Label saying what a pod is in its cluster (`worker`, `head`). */
export const ROLE_LABEL = 'dust/role';
/** Label with the pod's number within its role, so a cluster grown twice continues the numbering. */
export const INDEX_LABEL = 'dust/index';

/** Keeps a container alive without depending on anything but sh and sleep, and exits at once on SIGTERM. */
export const KEEPALIVE_COMMAND = ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

/** A pod manifest: any JSON object (validated by the API server). */
export type PodManifest = Record<string, unknown>;

export type WorkerStage = 'creating' | 'created' | 'pending' | 'running' | 'ready' | 'failed' | 'deleting' | 'deleted';

/** One step of one worker, for a progress line. */
export interface WorkerProgress {
  pod: string;
  stage: WorkerStage;
  /** Why (pending: `ImagePullBackOff`; failed: the reason). */
  detail?: string;
}

export interface KubeClients {
  sdk: KubeSdk;
  kc: KubeConfig;
  api: CoreV1Api;
  /** For messages. */
  context?: string;
}

export interface CreateWorkersOptions extends KubeClients {
  /** The cluster: label value and pod name prefix (`NAME-worker-0`). A DNS label of up to 40 characters. */
  name: string;
  namespace: string;
  /** What these pods are in the cluster (`dust/role` label, middle of the pod name). Default `worker`; e.g. `head`. */
  role?: string;
  /** How many workers to add. */
  count: number;
  /** Image of the first container (overrides the manifest's). Required unless the manifest names one. */
  image?: string;
  /** Base manifest: an object, or a path to a YAML/JSON file holding one Pod. Default: one container, a keepalive command. */
  manifest?: PodManifest | string;
  /** Called per pod before it is created (the seed's `configure`): change the manifest in place or return a new one. */
  mutate?: (manifest: PodManifest, index: number) => PodManifest | void | Promise<PodManifest | void>;
  onProgress?: (event: WorkerProgress) => void;
  /** How long to wait for the workers to be ready. Default 180 s (the seed's retry_seconds). */
  timeoutMs?: number;
  /** How often a Running pod whose shell did not answer yet is asked again. Default 1 s. */
  probeIntervalMs?: number;
  /** Stop waiting now (Ctrl-C): keep what is ready, delete the rest. */
  signal?: AbortSignal;
}

export interface WorkerFailure {
  pod: string;
  reason: string;
}

export interface CreateWorkersResult {
  cluster: string;
  namespace: string;
  /** Pods that are Running and whose shell answered, in index order. */
  ready: string[];
  /** Pods that were not ready in time (or failed), each deleted, with why. */
  failed: WorkerFailure[];
  /** Whether the wait was cut short by the signal. */
  aborted: boolean;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_CREATES_IN_FLIGHT = 8;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function usage(message: string, hint: string): DustError {
  return new DustError(ErrorCodes.Usage, message, { hint });
}

/**
 * Reads a pod manifest file: one YAML or JSON document, a Pod (`kind: Pod`, or `metadata`/`spec` without a kind)
 * or a bare PodSpec (`containers:` at the top), which becomes the Pod's spec.
 */
export function readPodManifest(file: string): PodManifest {
  const full = path.resolve(expandHome(file));
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new DustError(ErrorCodes.Usage, `cannot read pod spec ${full}`, { hint: 'give the path of a YAML or JSON Pod manifest', cause: err });
  }
  let doc: unknown;
  try {
    const docs = yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
    if (docs.length !== 1) throw new Error(`expected one document, found ${docs.length}`);
    doc = docs[0];
  } catch (err) {
    throw new DustError(ErrorCodes.Usage, `pod spec ${full} is not one YAML/JSON document: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`, { hint: 'one Pod manifest per file (kind: Pod)', cause: err });
  }
  if (!isObject(doc) || (doc['kind'] !== undefined && doc['kind'] !== 'Pod')) {
    throw new DustError(ErrorCodes.Usage, `pod spec ${full} is not a Pod (kind: ${isObject(doc) ? String(doc['kind']) : typeof doc})`, { hint: 'give a manifest with kind: Pod (or a bare pod spec); Deployments and Jobs are not workers' });
  }
  if (doc['kind'] === undefined && doc['spec'] === undefined && Array.isArray(doc['containers'])) return { spec: doc };
  return doc;
}

/** The manifest of worker `index` before `mutate`: the base, named, labelled, with the image and a keepalive command. */
export function workerManifest(base: PodManifest, opts: { cluster: string; namespace: string; index: number; image: string | undefined; role?: string }): PodManifest {
  const role = opts.role ?? 'worker';
  const manifest = structuredClone(base);
  manifest['apiVersion'] = 'v1';
  manifest['kind'] = 'Pod';
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  manifest['metadata'] = metadata;
  delete metadata['generateName'];
  delete metadata['resourceVersion'];
  delete metadata['uid'];
  metadata['name'] = `${opts.cluster}-${role}-${opts.index}`;
  metadata['namespace'] = opts.namespace;
  metadata['labels'] = { ...(isObject(metadata['labels']) ? metadata['labels'] : {}), [CLUSTER_LABEL]: opts.cluster, [ROLE_LABEL]: role, [INDEX_LABEL]: String(opts.index) };
  const spec = isObject(manifest['spec']) ? manifest['spec'] : {};
  manifest['spec'] = spec;
  // A worker that dies stays dead (and visible as Failed) instead of restarting under the user's shells.
  spec['restartPolicy'] ??= 'Never';
  const containers = Array.isArray(spec['containers']) ? (spec['containers'] as unknown[]) : [];
  if (containers.length === 0) containers.push({ name: role });
  spec['containers'] = containers;
  const first = containers[0];
  if (isObject(first)) {
    first['name'] ??= role;
    if (opts.image !== undefined) first['image'] = opts.image;
    // An image's own entrypoint (python, julia) would exit at once without a terminal.
    if (first['command'] === undefined && first['args'] === undefined) first['command'] = [...KEEPALIVE_COMMAND];
  }
  return manifest;
}

/** Why a pod is not (yet) up, in kubectl's words plus the scheduler's or kubelet's message. */
function podReason(pod: PodLike): string {
  const word = podStatusWord(pod);
  const raw = pod as { status?: { conditions?: { type?: string; status?: string; message?: string }[]; containerStatuses?: { state?: { waiting?: { message?: string }; terminated?: { exitCode?: number; message?: string } } }[] } };
  const unscheduled = raw.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unscheduled?.message) return `${word} (unschedulable: ${unscheduled.message})`;
  const state = raw.status?.containerStatuses?.[0]?.state;
  if (state?.waiting?.message) return `${word}: ${state.waiting.message}`;
  if (state?.terminated) return `${word} (exit code ${state.terminated.exitCode ?? '?'})`;
  return word;
}

interface Tracker {
  name: string;
  state: 'creating' | 'waiting' | 'probing' | 'ready' | 'failed';
  reason: string;
  lastWord: string | undefined;
  nextProbe: number;
}

/**
 * Creates `count` worker pods and waits for them (see the module comment). Resolves with the ready and the
 * failed (deleted) workers; rejects only when nothing could be created at all, or every worker failed.
 */
export async function createWorkers(options: CreateWorkersOptions): Promise<CreateWorkersResult> {
  const { api, name, namespace } = options;
  if (!CLUSTER_NAME.test(name) || name.length > 40) {
    throw usage(`invalid cluster name '${name}' for Kubernetes`, 'lower-case letters, digits and -, starting and ending with a letter or digit, up to 40 characters (pods are named NAME-worker-N)');
  }
  const role = options.role ?? 'worker';
  if (!CLUSTER_NAME.test(role) || role.length > 12) {
    throw usage(`invalid role '${role}' for Kubernetes pods`, 'lower-case letters, digits and -, up to 12 characters (e.g. worker, head)');
  }
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 1000) {
    throw usage(`the number of workers must be 1..1000, not ${options.count}`, 'e.g. --nodes 4');
  }
  const base = typeof options.manifest === 'string' ? readPodManifest(options.manifest) : (options.manifest ?? {});
  const baseImage = (() => {
    const c = isObject(base['spec']) && Array.isArray(base['spec']['containers']) ? base['spec']['containers'][0] : undefined;
    return isObject(c) && typeof c['image'] === 'string' ? c['image'] : undefined;
  })();
  if (options.image === undefined && baseImage === undefined) throw usage('which image should the workers run?', 'give --image IMAGE (or an image in the --spec pod.yaml)');
  const where = { ...(options.context ? { context: options.context } : {}) };
  const progress = (event: WorkerProgress): void => {
    try {
      options.onProgress?.(event);
    } catch {
      // a progress printer must not stop the workers
    }
  };

  // Growing an existing cluster continues its numbering.
  let existing: PodLike[];
  try {
    existing = (await listPodsPaged(api, { namespace, labelSelector: `${CLUSTER_LABEL}=${name},${ROLE_LABEL}=${role}` })).pods;
  } catch (err) {
    throw translateKubeError(err, `list the pods of cluster ${name}`, where);
  }
  const used = new Set(existing.map((p) => Number(p.metadata?.labels?.[INDEX_LABEL])).filter((n) => Number.isInteger(n)));
  const taken = new Set(existing.map((p) => p.metadata?.name));
  const indexes: number[] = [];
  for (let i = 0; indexes.length < options.count; i++) if (!used.has(i) && !taken.has(`${name}-${role}-${i}`)) indexes.push(i);

  const trackers = new Map<string, Tracker>();
  const failures: WorkerFailure[] = [];
  const created: string[] = [];
  // Create with a bounded number of requests in flight.
  const queue = [...indexes];
  const createOne = async (index: number): Promise<void> => {
    let manifest = workerManifest(base, { cluster: name, namespace, index, image: options.image, role });
    const podName = String((manifest['metadata'] as Record<string, unknown>)['name']);
    progress({ pod: podName, stage: 'creating' });
    try {
      const changed = await options.mutate?.(manifest, index);
      if (isObject(changed)) manifest = changed;
      // The name and the labels are how dust finds its workers again: the hook may not take them away.
      const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
      manifest['metadata'] = metadata;
      metadata['name'] = podName;
      metadata['namespace'] = namespace;
      metadata['labels'] = { ...(isObject(metadata['labels']) ? metadata['labels'] : {}), [CLUSTER_LABEL]: name, [ROLE_LABEL]: role, [INDEX_LABEL]: String(index) };
      await api.createNamespacedPod({ namespace, body: manifest as never });
      created.push(podName);
      trackers.set(podName, { name: podName, state: 'waiting', reason: 'Pending', lastWord: undefined, nextProbe: 0 });
      progress({ pod: podName, stage: 'created' });
    } catch (err) {
      const reason = isDustError(err) ? err.message : translateKubeError(err, `create pod ${podName}`, where).message;
      failures.push({ pod: podName, reason });
      progress({ pod: podName, stage: 'failed', detail: reason });
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CREATES_IN_FLIGHT, queue.length) }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await createOne(i);
  }));
  if (created.length === 0) {
    throw new DustError(ErrorCodes.KubeWorkers, `no worker pod of cluster ${name} could be created: ${failures[0]?.reason ?? 'unknown reason'}`, {
      hint: 'fix the image or manifest (the API server\'s message is above), then run it again',
    });
  }

  const aborted = await waitForWorkers(options, trackers, progress);

  // Keep what came up; delete the rest, saying why each did not make it.
  const ready = [...trackers.values()].filter((t) => t.state === 'ready').map((t) => t.name);
  const notReady = [...trackers.values()].filter((t) => t.state !== 'ready');
  const limit = options.timeoutMs ?? 180_000;
  for (const t of notReady) {
    const reason = t.state === 'failed' ? t.reason : aborted ? `stopped waiting (${t.reason})` : `not ready after ${Math.round(limit / 1000)} s (${t.reason})`;
    failures.push({ pod: t.name, reason });
    progress({ pod: t.name, stage: 'failed', detail: reason });
  }
  await Promise.all(notReady.map(async (t) => {
    progress({ pod: t.name, stage: 'deleting' });
    try {
      await api.deleteNamespacedPod({ name: t.name, namespace });
      progress({ pod: t.name, stage: 'deleted' });
    } catch (err) {
      const e = translateKubeError(err, `delete pod ${t.name}`, where);
      if (!/not found/.test(e.message)) {
        const failure = failures.find((f) => f.pod === t.name);
        if (failure) failure.reason += `; deleting it failed too: ${e.message}`;
      }
    }
  }));
  const byIndex = (a: string, b: string) => Number(a.slice(a.lastIndexOf('-') + 1)) - Number(b.slice(b.lastIndexOf('-') + 1));
  ready.sort(byIndex);
  failures.sort((a, b) => byIndex(a.pod, b.pod));
  if (ready.length === 0) {
    throw new DustError(ErrorCodes.KubeWorkers, `no worker of cluster ${name} came up: ${failures.map((f) => `${f.pod}: ${f.reason}`).join('; ')}`, {
      hint: `\`kubectl describe pod -n ${namespace} -l ${CLUSTER_LABEL}=${name}\` shows what the pods waited for; they have been deleted`,
    });
  }
  return { cluster: name, namespace, ready, failed: failures, aborted };
}

/** Watches the cluster's pods until every tracker is ready or failed, the timeout passes, or the signal fires. */
async function waitForWorkers(options: CreateWorkersOptions, trackers: Map<string, Tracker>, progress: (e: WorkerProgress) => void): Promise<boolean> {
  const { sdk, kc, api, name, namespace } = options;
  const lookup = podLookup(api);
  // Hundreds of workers turning Running together must not probe the API server as one burst.
  const limiter = new StartLimiter(32);
  const probeEvery = options.probeIntervalMs ?? 1000;
  const pending = (): Tracker[] => [...trackers.values()].filter((t) => t.state === 'waiting' || t.state === 'probing');
  if (pending().length === 0) return false;
  return new Promise<boolean>((resolve) => {
    let finished = false;
    let reflector: PodReflector | undefined;
    let tick: NodeJS.Timeout | undefined;
    const finish = (aborted: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearInterval(tick);
      reflector?.stop();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(aborted);
    };
    const deadline = setTimeout(() => finish(false), options.timeoutMs ?? 180_000);
    const onAbort = (): void => finish(true);
    if (options.signal?.aborted) return finish(true);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const probe = (t: Tracker, pod: PodLike): void => {
      t.state = 'probing';
      const container = defaultContainer(pod);
      const ref = { namespace, pod: t.name, container, image: pod.spec?.containers?.find((c) => c.name === container)?.image, context: options.context ?? '' };
      limiter.run(() => startCommand(kc, ref, { command: 'true', streams: { tty: false, stdin: false, stdout: true, stderr: true } }, lookup))
        .then((started) => new Promise<boolean>((answer) => {
          started.attach({
            onEnd: (end) => {
              const outcome = end.status ? exitFromStatus(end.status) : undefined;
              answer(outcome !== undefined && 'exitCode' in outcome && outcome.exitCode === 0);
            },
          });
        }))
        .then((ok) => {
          if (finished || t.state !== 'probing') return;
          if (ok) {
            t.state = 'ready';
            progress({ pod: t.name, stage: 'ready' });
          } else {
            t.state = 'waiting';
            t.nextProbe = Date.now() + probeEvery;
          }
        }, (err: unknown) => {
          if (finished || t.state !== 'probing') return;
          // A container without a shell never will have one; anything else (still starting) is asked again.
          if (isDustError(err) && (err.code === ErrorCodes.KubeNoShell || err.code === ErrorCodes.KubePodGone)) {
            t.state = 'failed';
            t.reason = err.message;
            progress({ pod: t.name, stage: 'failed', detail: err.message });
          } else {
            t.state = 'waiting';
            t.reason = isDustError(err) ? err.message : String(err);
            t.nextProbe = Date.now() + probeEvery;
          }
        })
        .finally(() => {
          if (pending().length === 0) finish(false);
        });
    };

    const evaluate = (): void => {
      if (finished || !reflector) return;
      const pods = new Map(reflector.snapshot().map((p) => [p.metadata?.name ?? '', p] as const));
      for (const t of pending()) {
        const pod = pods.get(t.name);
        if (!pod) {
          if (reflector.isSynced) {
            t.state = 'failed';
            t.reason = 'deleted while starting';
            progress({ pod: t.name, stage: 'failed', detail: t.reason });
          }
          continue;
        }
        const phase = pod.status?.phase;
        const word = podStatusWord(pod);
        if (phase === 'Failed' || phase === 'Succeeded' || pod.metadata?.deletionTimestamp) {
          t.state = 'failed';
          t.reason = pod.metadata?.deletionTimestamp ? 'deleted while starting' : `${phase}: ${podReason(pod)}`;
          progress({ pod: t.name, stage: 'failed', detail: t.reason });
          continue;
        }
        t.reason = podReason(pod);
        if (word !== t.lastWord) {
          t.lastWord = word;
          progress({ pod: t.name, stage: phase === 'Running' ? 'running' : 'pending', detail: word });
        }
        if (phase === 'Running' && t.state === 'waiting' && Date.now() >= t.nextProbe) probe(t, pod);
      }
      if (pending().length === 0) finish(false);
    };

    reflector = new PodReflector({
      sdk, kc, api,
      scope: { namespace, labelSelector: `${CLUSTER_LABEL}=${name}` },
      onChange: evaluate,
      ...(options.context ? { context: options.context } : {}),
    });
    reflector.start().then(evaluate, () => {});
    // Probes that failed are retried on this tick even when no pod event comes.
    tick = setInterval(evaluate, probeEvery);
    tick.unref();
  });
}

/** One pod of a dust cluster, as `cluster status` shows it. */
export interface ClusterPod {
  name: string;
  namespace: string;
  /** The `dust/role` label (`head`, `worker`). */
  role: string;
  /** The `dust/index` label, when it is a number. */
  index: number | undefined;
  /** `Running`, `Pending`, `Terminating`, ... */
  phase: string;
  /** One word with the reason when the pod is not plainly running (`Pending: ImagePullBackOff`). */
  reason: string;
  ip: string | undefined;
  image: string | undefined;
  uid: string | undefined;
}

/** The pods labelled `dust/cluster=NAME` (in `namespace`, or every namespace), head first, then by role and index. */
export async function listClusterPods(clients: KubeClients, name: string, namespace: string | undefined): Promise<ClusterPod[]> {
  let pods: PodLike[];
  try {
    pods = (await listPodsPaged(clients.api, { namespace, labelSelector: `${CLUSTER_LABEL}=${name}` })).pods;
  } catch (err) {
    throw translateKubeError(err, `list the pods of cluster ${name}`, clients.context ? { context: clients.context } : {});
  }
  const rank = (role: string): number => (role === 'head' ? 0 : role === 'worker' ? 1 : 2);
  return pods.map((p): ClusterPod => {
    const labels = p.metadata?.labels ?? {};
    const index = Number(labels[INDEX_LABEL]);
    const raw = p as { status?: { podIP?: string }; spec?: { containers?: { image?: string }[] } };
    return {
      name: p.metadata?.name ?? '',
      namespace: p.metadata?.namespace ?? 'default',
      role: labels[ROLE_LABEL] ?? 'other',
      index: Number.isInteger(index) ? index : undefined,
      phase: p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown'),
      reason: podReason(p),
      ip: raw.status?.podIP || undefined,
      image: raw.spec?.containers?.[0]?.image,
      uid: p.metadata?.uid,
    };
  }).sort((a, b) => rank(a.role) - rank(b.role) || a.role.localeCompare(b.role) || (a.index ?? 1e9) - (b.index ?? 1e9) || a.name.localeCompare(b.name));
}

/** Deletes these pods (one already gone counts as deleted); returns the names deleted, or throws naming the first failure. */
export async function deletePods(clients: KubeClients, pods: readonly { name: string; namespace: string }[], what: string): Promise<string[]> {
  const where = clients.context ? { context: clients.context } : {};
  const deleted: string[] = [];
  const errors: string[] = [];
  await Promise.all(pods.map(async (p) => {
    try {
      await clients.api.deleteNamespacedPod({ name: p.name, namespace: p.namespace });
      deleted.push(p.name);
    } catch (err) {
      const e = translateKubeError(err, `delete pod ${p.name}`, where);
      if (/not found/.test(e.message)) deleted.push(p.name);
      else errors.push(e.message);
    }
  }));
  if (errors.length > 0) {
    throw new DustError(ErrorCodes.KubeWorkers, `${what}: ${errors.length} of ${pods.length} pods could not be deleted: ${errors[0]}`, { hint: 'run it again, or `kubectl delete pods -l dust/cluster=NAME`' });
  }
  return deleted.sort();
}

/** Deletes every pod labelled `dust/cluster=NAME` (in `namespace`, or every namespace); returns their names. */
export async function deleteCluster(clients: KubeClients, name: string, namespace: string | undefined): Promise<string[]> {
  const pods = await listClusterPods(clients, name, namespace);
  return deletePods(clients, pods, `cluster ${name}`);
}

/** One dust cluster of pods. */
export interface ClusterSummary {
  name: string;
  namespaces: string[];
  count: number;
  /** Pods per phase (`Running: 3, Pending: 1`). */
  phases: Record<string, number>;
  /** The cluster's head pod (role `head`), when it has one and `heads` was asked for. */
  head?: { phase: string; ip?: string };
}

/** The dust clusters (pods with a `dust/cluster` label) in `namespace`, or every namespace, by name. */
export async function listClusters(clients: KubeClients, namespace: string | undefined, opts: { heads?: boolean } = {}): Promise<ClusterSummary[]> {
  let pods: PodLike[];
  try {
    pods = (await listPodsPaged(clients.api, { namespace, labelSelector: CLUSTER_LABEL })).pods;
  } catch (err) {
    throw translateKubeError(err, 'list clusters', clients.context ? { context: clients.context } : {});
  }
  const byName = new Map<string, ClusterSummary>();
  for (const p of pods) {
    const cluster = p.metadata?.labels?.[CLUSTER_LABEL] ?? '';
    let summary = byName.get(cluster);
    if (!summary) {
      summary = { name: cluster, namespaces: [], count: 0, phases: {} };
      byName.set(cluster, summary);
    }
    const ns = p.metadata?.namespace ?? 'default';
    if (!summary.namespaces.includes(ns)) summary.namespaces.push(ns);
    summary.count += 1;
    const phase = p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown');
    summary.phases[phase] = (summary.phases[phase] ?? 0) + 1;
    const ip = (p as { status?: { podIP?: string } }).status?.podIP;
    if (opts.heads && p.metadata?.labels?.[ROLE_LABEL] === 'head' && !summary.head) summary.head = { phase, ...(ip ? { ip } : {}) };
  }
  return [...byName.values()].map((s) => ({ ...s, namespaces: s.namespaces.sort() })).sort((a, b) => a.name.localeCompare(b.name));
}
