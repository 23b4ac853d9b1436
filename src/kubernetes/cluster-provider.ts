/**
 * Kubernetes as a ClusterProvider: `cluster up` with `provider: k8s` makes a head pod and the spec's worker pods
 * (through the worker-pod library, so every manifest passes the plugins' `pod:spec` handlers), `status` reads the
 * pods by their `dust/cluster` label, `down` deletes them. What runs on the pods afterwards (setup, submit) is
 * dust's sessions over the exec transport, the same as on EC2 instances.
 *
 * This machine's record of a cluster (`$DUST_HOME/clusters/NAME.yaml`, `provider: k8s`) holds the context,
 * namespace and spec it was brought up with: `status` compares the pods with it, and `down` knows where to look.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type {
  ClusterCallOptions, ClusterDownReport, ClusterListEntry, ClusterNodeReport, ClusterProvider, ClusterStatusReport,
  ClusterUpOptions, ClusterUpReport,
} from '../clusters/provider.js';
import { clusterRecordFile, recordedClusters } from '../clusters/records.js';
import type { ClusterSpec, K8sClusterSpec } from '../clusters/spec.js';
import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { ClusterPod, KubernetesClusters, PodClusterTarget } from './clusters.js';
import type { WorkerProgress } from './workers.js';
import { writePrivateFile } from '../state/private-file.js';

export interface K8sClusterProviderOptions {
  clusters: KubernetesClusters;
  dustHome: string;
  /** How long `up` waits for new pods to be Running with a shell that answers (default: the library's 180 s). */
  readyTimeoutMs?: number;
  /** Spec values `cluster init`/`cluster up NAME` start from (the namespace dust lists; the demo's image). */
  specDefaults?: Readonly<Record<string, unknown>>;
}

/** What this machine keeps of a pod cluster it brought up. */
interface K8sClusterRecord {
  provider: 'k8s';
  name: string;
  context: string;
  namespace: string;
  spec: K8sClusterSpec;
  updated: string;
}

async function readRecord(dustHome: string, name: string): Promise<K8sClusterRecord | undefined> {
  let text: string;
  try {
    text = fs.readFileSync(clusterRecordFile(dustHome, name), 'utf8');
  } catch {
    return undefined;
  }
  let doc: Partial<K8sClusterRecord> | null;
  try {
    doc = yaml.load(text) as Partial<K8sClusterRecord> | null;
  } catch (err) {
    throw new DustError(ErrorCodes.ClusterState, `cluster ${name}: its record ${clusterRecordFile(dustHome, name)} is not YAML (${(err as Error).message.split('\n')[0]})`, {
      hint: 'fix or delete that file (the pods themselves are untouched)',
    });
  }
  if (doc?.provider !== 'k8s' || typeof doc.namespace !== 'string') return undefined;
  // The schema (zod) loads with the first record read, not on start-up.
  const { ClusterSpecSchema } = await import('../clusters/spec.js');
  const spec = ClusterSpecSchema.safeParse(doc.spec);
  return {
    provider: 'k8s', name, context: String(doc.context ?? ''), namespace: doc.namespace,
    spec: spec.success && spec.data.provider === 'k8s' ? spec.data : { name, provider: 'k8s', image: '?', namespace: doc.namespace, workers: { count: 0 } } as unknown as K8sClusterSpec,
    updated: String(doc.updated ?? ''),
  };
}

async function writeRecord(dustHome: string, record: K8sClusterRecord): Promise<string> {
  const file = clusterRecordFile(dustHome, record.name);
  const header = '# dust: the Kubernetes cluster this machine brought up (`cluster status`/`down` read it)\n';
  await writePrivateFile(file, header + yaml.dump(record, { noRefs: true, lineWidth: 120 }));
  return file;
}

function nodeReport(p: ClusterPod): ClusterNodeReport {
  const live = p.phase === 'Running';
  return {
    name: p.name,
    role: p.role === 'head' ? 'head' : p.role === 'worker' ? 'worker' : 'other',
    state: p.phase,
    live,
    ...(p.ip ? { address: p.ip } : {}),
    ...(p.image ? { kind: `image ${p.image}` } : {}),
    ...(p.uid ? { id: p.uid } : {}),
    ...(!live && p.reason !== p.phase ? { reason: p.reason } : {}),
  };
}

const workerOrder = (a: ClusterPod, b: ClusterPod): number => (a.index ?? 1e9) - (b.index ?? 1e9) || a.name.localeCompare(b.name);

export function k8sClusterProvider(options: K8sClusterProviderOptions): ClusterProvider {
  const { clusters, dustHome } = options;
  let known: PodClusterTarget | undefined;
  const target = async (): Promise<PodClusterTarget> => (known = await clusters.target());
  const where = (namespace: string, t: PodClusterTarget): string => `namespace ${namespace}, context ${t.context}`;
  const podsOf = (name: string, namespace: string | undefined) => clusters.pods(name, namespace !== undefined ? { namespace } : {});

  const provider: ClusterProvider = {
    kind: 'k8s',
    describe: () => (known ? `Kubernetes (context ${known.context})` : 'Kubernetes'),
    specDefaults: () => options.specDefaults ?? {},

    async up(anySpec: ClusterSpec, opts: ClusterUpOptions): Promise<ClusterUpReport> {
      if (anySpec.provider !== 'k8s') throw new Error(`the k8s provider was handed a ${anySpec.provider} spec`);
      const spec = anySpec;
      const t = await target();
      if (spec.context !== undefined && spec.context !== t.context) {
        throw new DustError(ErrorCodes.ClusterProvider, `cluster up ${spec.name}: the spec is for context ${spec.context}, and dust is on context ${t.context}`, {
          hint: `start dust with --kube-context ${spec.context}, or drop context: from the spec`,
        });
      }
      if (t.namespace !== undefined && t.namespace !== spec.namespace) {
        // Pods dust does not list would be no nodes: setup could not reach them, nor could @cluster=NAME.
        throw new DustError(ErrorCodes.ClusterProvider, `cluster up ${spec.name}: the spec puts the pods in namespace ${spec.namespace}, and dust lists namespace ${t.namespace}`, {
          hint: `set namespace: ${t.namespace} in the spec, or start dust with --namespace ${spec.namespace} (or --namespace '*')`,
        });
      }
      const recorded = await readRecord(dustHome, spec.name);
      if (recorded && recorded.namespace !== spec.namespace) {
        throw new DustError(ErrorCodes.ClusterConflict, `cluster up ${spec.name}: it runs in namespace ${recorded.namespace}, and the spec says ${spec.namespace}`, {
          hint: `\`cluster down ${spec.name}\` first to move it, or set namespace: ${recorded.namespace}`,
        });
      }
      const progress = (step: string, phase: 'start' | 'done' | 'skip' | 'wait', message: string): void => opts.onProgress?.({ step, phase, message });
      const onPod = (e: WorkerProgress): void => {
        if (e.stage === 'created') progress('create-pods', 'done', `pod ${e.pod}: created`);
        else if (e.stage === 'pending' || e.stage === 'running') progress('wait-pods', 'wait', `pod ${e.pod}: ${e.detail ?? e.stage}`);
        else if (e.stage === 'ready') progress('wait-pods', 'done', `pod ${e.pod}: ready`);
        else if (e.stage === 'failed') progress('wait-pods', 'done', `pod ${e.pod}: failed (${e.detail ?? 'no reason given'})`);
      };
      const manifest = spec.podSpec !== undefined ? path.resolve(opts.specDir, spec.podSpec) : undefined;
      if (manifest !== undefined && !fs.existsSync(manifest)) {
        throw new DustError(ErrorCodes.ClusterSpecInvalid, `cluster up ${spec.name}: podSpec ${manifest} does not exist`, { hint: 'podSpec is relative to the spec file' });
      }
      const create = (role: string, count: number) => clusters.create({
        name: spec.name, role, count, namespace: spec.namespace, image: spec.image,
        ...(manifest !== undefined ? { manifest } : {}),
        ...((opts.readyTimeoutMs ?? options.readyTimeoutMs) !== undefined ? { timeoutMs: opts.readyTimeoutMs ?? options.readyTimeoutMs } : {}),
        onProgress: onPod,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });

      const changes: string[] = [];
      /** A change made, said as it happens and kept for the report. */
      const note = (step: string, message: string): void => {
        changes.push(message);
        progress(step, 'done', message);
      };
      const failures: string[] = [];
      let aborted = false;
      const before = await podsOf(spec.name, spec.namespace);
      // Pods that ended (Failed, Succeeded) count as missing: their shells are gone for good.
      const usable = (p: ClusterPod): boolean => p.phase === 'Running' || p.phase === 'Pending';
      const ended = before.filter((p) => !usable(p) && p.phase !== 'Terminating');
      if (ended.length > 0) {
        const gone = await clusters.deletePods(spec.name, ended);
        note('delete-pods', `deleted ${gone.length} ended pod${gone.length === 1 ? '' : 's'}: ${gone.join(', ')}`);
      }
      const heads = before.filter((p) => p.role === 'head' && usable(p));
      const workers = before.filter((p) => p.role === 'worker' && usable(p)).sort(workerOrder);
      // Record first: a cluster that is half made is still this machine's to take down.
      const record: K8sClusterRecord = { provider: 'k8s', name: spec.name, context: t.context, namespace: spec.namespace, spec, updated: new Date().toISOString() };
      const stateFile = await writeRecord(dustHome, record);

      const grow = async (role: string, count: number): Promise<void> => {
        progress('create-pods', 'start', `creating ${count} ${role} pod${count === 1 ? '' : 's'} of ${spec.image}`);
        try {
          const r = await create(role, count);
          if (r.ready.length > 0) changes.push(`created ${r.ready.length} ${role} pod${r.ready.length === 1 ? '' : 's'}: ${r.ready.join(', ')}`);
          for (const f of r.failed) failures.push(`${f.pod}: ${f.reason}`);
          aborted ||= r.aborted;
        } catch (err) {
          if (!isDustError(err)) throw err;
          failures.push(err.message);
        }
      };
      const noHead = (): DustError => new DustError(ErrorCodes.KubeWorkers, `cluster up ${spec.name}: no head pod came up in ${where(spec.namespace, t)}: ${failures[0] ?? (aborted ? 'stopped waiting' : 'unknown reason')}`, {
        hint: 'fix the image or podSpec (kubectl describe pod shows the events), then run `cluster up` again; `cluster down` removes what was made',
      });
      if (heads.length === 0) {
        await grow('head', 1);
        // Workers without a head are no cluster: make none until it comes up.
        if (!(await podsOf(spec.name, spec.namespace)).some((p) => p.role === 'head' && p.phase !== 'Terminating')) throw noHead();
      }
      if (heads.length > 1) {
        const extra = await clusters.deletePods(spec.name, heads.slice(1));
        note('delete-pods', `deleted extra head pod${extra.length === 1 ? '' : 's'}: ${extra.join(', ')}`);
      }
      const missing = spec.workers.count - workers.length;
      if (missing > 0 && !aborted) await grow('worker', missing);
      if (missing < 0) {
        // Scale down from the highest index, as a StatefulSet would.
        const extra = await clusters.deletePods(spec.name, workers.slice(spec.workers.count));
        note('delete-pods', `deleted ${extra.length} worker pod${extra.length === 1 ? '' : 's'} (the spec wants ${spec.workers.count}): ${extra.join(', ')}`);
      }

      const now = await podsOf(spec.name, spec.namespace);
      const head = now.find((p) => p.role === 'head' && p.phase !== 'Terminating');
      if (!head) throw noHead();
      for (const f of failures) changes.push(`not ready, deleted: ${f}`);
      return {
        name: spec.name,
        location: where(spec.namespace, t),
        head: nodeReport(head),
        workers: now.filter((p) => p.role === 'worker' && p.phase !== 'Terminating').sort(workerOrder).map(nodeReport),
        changes,
        ready: head.phase === 'Running',
        stateFile,
      };
    },

    async status(name: string): Promise<ClusterStatusReport | undefined> {
      const record = await readRecord(dustHome, name);
      const t = await target();
      const pods = await podsOf(name, record?.namespace);
      if (pods.length === 0 && !record) return undefined;
      const head = pods.find((p) => p.role === 'head');
      const workers = pods.filter((p) => p.role === 'worker').sort(workerOrder);
      const drift: string[] = [];
      if (record) {
        if (record.context !== t.context) drift.push(`brought up on context ${record.context}; dust is on ${t.context}`);
        if (!head) drift.push('no head pod');
        const alive = workers.filter((p) => p.phase !== 'Terminating').length;
        if (alive !== record.spec.workers.count) drift.push(`${alive} worker pod${alive === 1 ? '' : 's'}; the spec wants ${record.spec.workers.count} (\`cluster up ${name}\` reconciles)`);
        const wrongImage = pods.filter((p) => p.image !== undefined && p.image !== record.spec.image);
        if (wrongImage.length > 0) drift.push(`${wrongImage.map((p) => p.name).join(', ')}: image ${wrongImage[0]!.image}, the spec says ${record.spec.image}`);
      }
      for (const p of pods) if (p.phase !== 'Running') drift.push(`${p.name}: ${p.reason}`);
      const namespaces = [...new Set(pods.map((p) => p.namespace))];
      const namespace = record?.namespace ?? namespaces.join(', ');
      return {
        name,
        location: where(namespace, t),
        nodes: [...(head ? [head] : []), ...workers, ...pods.filter((p) => p.role !== 'head' && p.role !== 'worker')].map(nodeReport),
        ready: head?.phase === 'Running',
        drift,
        resources: [],
        ...(record ? { spec: record.spec, stateFile: clusterRecordFile(dustHome, name) } : {}),
      };
    },

    async down(name: string, opts: ClusterCallOptions = {}): Promise<ClusterDownReport> {
      const record = await readRecord(dustHome, name);
      opts.onProgress?.({ step: 'delete-pods', phase: 'start', message: `deleting the pods of cluster ${name}` });
      const pods = await podsOf(name, record?.namespace);
      const removed = pods.length > 0 ? await clusters.deletePods(name, pods) : [];
      opts.onProgress?.({ step: 'delete-pods', phase: removed.length > 0 ? 'done' : 'skip', message: `${removed.length} pod${removed.length === 1 ? '' : 's'} deleted` });
      const file = clusterRecordFile(dustHome, name);
      const hadRecord = fs.existsSync(file);
      fs.rmSync(file, { force: true });
      return { name, removed, deleted: [], kept: [], nothingFound: removed.length === 0 && !hadRecord };
    },

    async list(): Promise<ClusterListEntry[]> {
      const t = await target();
      const summaries = await clusters.list({ heads: true });
      // Each record read once: whether the cluster came from a spec here, and where one without pods was.
      const records = new Map<string, K8sClusterRecord | undefined>();
      for (const r of recordedClusters(dustHome)) if (r.provider === 'k8s') records.set(r.name, await readRecord(dustHome, r.name));
      const entries = new Map<string, ClusterListEntry>();
      for (const s of summaries) {
        const states = Object.fromEntries(Object.entries(s.phases).map(([k, v]) => [k.toLowerCase(), v]));
        const head = s.head && s.head.phase !== 'Terminating' ? { state: s.head.phase.toLowerCase(), ...(s.head.ip ? { address: s.head.ip } : {}) } : undefined;
        entries.set(s.name, { name: s.name, location: where(s.namespaces.join(', '), t), states, ...(head ? { head } : {}), fromSpec: records.get(s.name) !== undefined });
      }
      // Recorded here but no pod left (deleted behind dust's back): still listed, so `cluster down` can tidy up.
      for (const [name, record] of records) {
        if (!entries.has(name)) entries.set(name, { name, location: where(record?.namespace ?? '?', t), states: {}, fromSpec: true });
      }
      return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
  };
  return provider;
}
