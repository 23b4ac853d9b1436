/**
 * A pod as a dust node. Name: the pod name (qualified as `<pod>.<namespace>` when the same name is listed in
 * several namespaces). Tags: its labels (`tags=app:web`). State: its phase lower-cased (`state=running`), or
 * `terminating` once it is being deleted (it still says Running then, but no new shell should go to it).
 * Cluster: the `dust/cluster` label, else the namespace.
 */
import type { PropertyValue } from '../inventory/node.js';
import type { NodeDraft } from '../inventory/provider.js';
import { humanAge, podStatusWord } from './pod-status.js';

/** The label that says which dust cluster a pod belongs to (set by `cluster up --k8s`, i.e. workers.ts). */
export const CLUSTER_LABEL = 'dust/cluster';
/** The annotation kubectl reads for the container `exec` goes to by default. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

type Stamp = Date | string | undefined | null;

/** The parts of a `v1.Pod` dust reads: client-node's typed objects (dates as Date) and watch JSON (strings) alike. */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: Stamp;
    deletionTimestamp?: Stamp;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
    resourceVersion?: string;
  };
  spec?: { nodeName?: string; containers?: { name?: string; image?: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    containerStatuses?: { name?: string; ready?: boolean; restartCount?: number; state?: Record<string, unknown> }[];
  };
}

export interface PodNodeOptions {
  /** The kubeconfig context the pod was listed from (`props.context`; the transport claims by it). */
  context: string;
  /** "now", for `age`. */
  now: number;
}

function time(stamp: Stamp): number | undefined {
  if (stamp === undefined || stamp === null) return undefined;
  const ms = stamp instanceof Date ? stamp.getTime() : Date.parse(stamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The container `exec` targets: the default-container annotation, else the first container. */
export function defaultContainer(pod: PodLike): string | undefined {
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  const names = (pod.spec?.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  return annotated !== undefined && names.includes(annotated) ? annotated : names[0];
}

/** Lower-cased phase, or `terminating` for a pod being deleted. */
export function podState(pod: PodLike): string {
  if (pod.metadata?.deletionTimestamp) return 'terminating';
  return (pod.status?.phase ?? 'unknown').toLowerCase();
}

export function podToDraft(pod: PodLike, options: PodNodeOptions): NodeDraft {
  const meta = pod.metadata ?? {};
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? 'default';
  const labels = { ...(meta.labels ?? {}) };
  const container = defaultContainer(pod);
  const containerSpec = pod.spec?.containers?.find((c) => c.name === container);
  const statuses = pod.status?.containerStatuses ?? [];
  const created = time(meta.creationTimestamp);
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  const containers = (pod.spec?.containers ?? []).map((c) => c.name).filter((n): n is string => typeof n === 'string');
  const props: Record<string, PropertyValue> = {
    pod: name,
    namespace,
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    host_ip: pod.status?.hostIP,
    container,
    containers: containers.length > 1 ? containers.join(',') : undefined,
    image: containerSpec?.image,
    age: created !== undefined ? humanAge(options.now - created) : undefined,
    created: created !== undefined ? new Date(created).toISOString() : undefined,
    owner: owner?.kind && owner.name ? `${owner.kind}/${owner.name}` : undefined,
    phase: pod.status?.phase,
    status: podStatusWord(pod),
    ready: `${statuses.filter((s) => s.ready === true).length}/${containers.length}`,
    restarts,
    uid: meta.uid,
    context: options.context,
  };
  for (const [k, v] of Object.entries(props)) if (v === undefined || v === '') delete props[k];
  return {
    name,
    source: 'kubernetes',
    cluster: labels[CLUSTER_LABEL] || namespace,
    state: podState(pod),
    host: pod.status?.podIP ?? '',
    // Pods are reached through the API server, not at an address and port of their own.
    port: 0,
    user: undefined,
    identityFile: undefined,
    proxyJump: undefined,
    tags: labels,
    annotations: {},
    props,
  };
}

/**
 * Pod names are unique per namespace only. Listing several namespaces, a name found in more than one becomes
 * `<pod>.<namespace>` for each of them (a StatefulSet's `web-0` in staging and prod: `web-0.staging`,
 * `web-0.prod`; `@web-0.*` still reaches both); unique names stay bare. `props.pod` keeps the real name.
 */
export function disambiguatePodNames(drafts: NodeDraft[]): NodeDraft[] {
  const namespacesByName = new Map<string, Set<unknown>>();
  for (const d of drafts) {
    const set = namespacesByName.get(d.name) ?? new Set();
    set.add(d.props['namespace']);
    namespacesByName.set(d.name, set);
  }
  return drafts.map((d) => ((namespacesByName.get(d.name)?.size ?? 0) > 1 ? { ...d, name: `${d.name}.${String(d.props['namespace'])}` } : d));
}
