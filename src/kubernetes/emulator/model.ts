/**
 * Pods as the emulator keeps them, how a create request becomes one (validation with the API server's
 * wording, defaults), and how one is rendered back as `v1.Pod` JSON.
 */
import { randomUUID } from 'node:crypto';
import { isLabelKey, isLabelValue } from './selectors.js';
import { KubeErrors, type StatusCause } from './status.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/**
 * What goes wrong with a pod, set at creation (annotation `emulator.dust.dev/fault`, an image named
 * `*distroless*`, or `core.addPodFault`) or later through the control API:
 * - `never-start`: unschedulable, stays Pending with no node;
 * - `image-pull`: stays Pending, its container waiting in `ImagePullBackOff`;
 * - `fail`: Pending → Failed when it would have started (container exit 1);
 * - `crash`: Running, then Failed after the crash delay (exit 137), taking its exec streams with it;
 * - `no-shell`: runs, but its image has no `/bin/sh` (nor anything else): every exec fails as on containerd.
 */
export type PodFault = 'never-start' | 'image-pull' | 'fail' | 'crash' | 'no-shell';
export const POD_FAULTS: readonly PodFault[] = ['never-start', 'image-pull', 'fail', 'crash', 'no-shell'];

/** Annotation that sets a pod's fault when it is created (`kubectl run --annotations`, a manifest). */
export const FAULT_ANNOTATION = 'emulator.dust.dev/fault';

export interface ContainerRecord {
  name: string;
  image: string;
  /** The container manifest as submitted (with defaults), echoed back in `spec.containers`. */
  manifest: Record<string, unknown>;
  /** `env` entries with literal values (valueFrom is accepted and ignored). */
  env: Record<string, string>;
}

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt: number | undefined; finishedAt: number };

/** One pod. Mutable: the lifecycle and the control API change it in place, then bump `resourceVersion`. */
export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  generateName: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: unknown[] | undefined;
  createdAt: number;
  /** The submitted spec with defaults, minus `containers` (rendered from `containers`). */
  spec: Record<string, unknown>;
  containers: ContainerRecord[];
  restartPolicy: string;
  nodeName: string | undefined;
  hostIP: string | undefined;
  podIP: string | undefined;
  phase: PodPhase;
  startedAt: number | undefined;
  /** Per-container state; every container shares it (the emulator runs pods, not containers). */
  containerState: ContainerState;
  restarts: number;
  fault: PodFault | undefined;
  deletionAt: number | undefined;
  resourceVersion: number;
  /** Next lifecycle step and when it is due (emulator clock). */
  due: { at: number; step: 'start' | 'crash' | 'remove' } | undefined;
  /** Why the pod is stuck or failed, for `status.conditions` / `status.message`. */
  statusMessage: string | undefined;
}

/** The API server's name rules. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

const SUBDOMAIN_HELP =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HELP =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** generateName's suffix alphabet (the API server's: no vowels, no look-alikes). */
const SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_CHARS[Math.floor(Math.random() * SUFFIX_CHARS.length)];
  return `${prefix}${suffix}`;
}

function stringMap(value: unknown, field: string, causes: StatusCause[], check: (k: string, v: string) => void): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    causes.push({ reason: 'FieldValueInvalid', field, message: 'Invalid value: must be a map of strings' });
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      causes.push({ reason: 'FieldValueInvalid', field: `${field}.${k}`, message: 'Invalid value: must be a string' });
      continue;
    }
    check(k, v);
    out[k] = v;
  }
  return out;
}

/** The fields of a validated create request, before the core gives it a name, node and address. */
export interface PodDraft {
  name: string | undefined;
  generateName: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: unknown[] | undefined;
  spec: Record<string, unknown>;
  containers: ContainerRecord[];
  restartPolicy: string;
}

/**
 * Validates a pod create body against `namespace` (from the URL). Throws a 400 (wrong kind, namespace
 * mismatch) or a 422 Invalid listing every field problem, as the API server does.
 */
export function podDraftFromBody(body: unknown, namespace: string): PodDraft {
  if (!isObject(body)) throw KubeErrors.badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
  if (body['kind'] !== undefined && body['kind'] !== 'Pod') {
    throw KubeErrors.badRequest(`the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (v1) or kind ${String(body['kind'])} is not Pod`);
  }
  const metadata = isObject(body['metadata']) ? body['metadata'] : {};
  const ns = metadata['namespace'];
  if (typeof ns === 'string' && ns !== '' && ns !== namespace) {
    throw KubeErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const causes: StatusCause[] = [];
  const name = typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : undefined;
  const generateName = typeof metadata['generateName'] === 'string' && metadata['generateName'] !== '' ? metadata['generateName'] : undefined;
  if (name === undefined && generateName === undefined) {
    causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (name !== undefined && !isDnsSubdomain(name)) {
    causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": ${SUBDOMAIN_HELP}` });
  } else if (name === undefined && generateName !== undefined && !isDnsSubdomain(`${generateName}x`)) {
    causes.push({ reason: 'FieldValueInvalid', field: 'metadata.generateName', message: `Invalid value: "${generateName}": ${SUBDOMAIN_HELP}` });
  }
  const labels = stringMap(metadata['labels'], 'metadata.labels', causes, (k, v) => {
    if (!isLabelKey(k)) causes.push({ reason: 'FieldValueInvalid', field: 'metadata.labels', message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'` });
    if (!isLabelValue(v)) causes.push({ reason: 'FieldValueInvalid', field: `metadata.labels`, message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character` });
  });
  const annotations = stringMap(metadata['annotations'], 'metadata.annotations', causes, () => {});
  const spec = isObject(body['spec']) ? { ...body['spec'] } : undefined;
  const containers: ContainerRecord[] = [];
  if (!spec) {
    causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
  } else {
    const list = spec['containers'];
    if (!Array.isArray(list) || list.length === 0) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
    } else {
      const seen = new Set<string>();
      list.forEach((raw: unknown, i) => {
        const at = `spec.containers[${i}]`;
        if (!isObject(raw)) {
          causes.push({ reason: 'FieldValueInvalid', field: at, message: 'Invalid value: must be an object' });
          return;
        }
        const cname = typeof raw['name'] === 'string' ? raw['name'] : '';
        if (cname === '') causes.push({ reason: 'FieldValueRequired', field: `${at}.name`, message: 'Required value' });
        else if (!isDnsLabel(cname)) causes.push({ reason: 'FieldValueInvalid', field: `${at}.name`, message: `Invalid value: "${cname}": ${LABEL_HELP}` });
        else if (seen.has(cname)) causes.push({ reason: 'FieldValueDuplicate', field: `${at}.name`, message: `Duplicate value: "${cname}"` });
        seen.add(cname);
        const image = typeof raw['image'] === 'string' ? raw['image'].trim() : '';
        if (image === '') causes.push({ reason: 'FieldValueRequired', field: `${at}.image`, message: 'Required value' });
        const env: Record<string, string> = {};
        if (Array.isArray(raw['env'])) {
          for (const e of raw['env']) if (isObject(e) && typeof e['name'] === 'string' && typeof e['value'] === 'string') env[e['name']] = e['value'];
        }
        const tagged = /:[^/]+$/.test(image.replace(/@.*$/, ''));
        const manifest: Record<string, unknown> = {
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: !tagged || image.endsWith(':latest') ? 'Always' : 'IfNotPresent',
          resources: {},
          ...raw,
        };
        containers.push({ name: cname, image, manifest, env });
      });
    }
    const policy = spec['restartPolicy'] ?? 'Always';
    if (policy !== 'Always' && policy !== 'OnFailure' && policy !== 'Never') {
      causes.push({ reason: 'FieldValueNotSupported', field: 'spec.restartPolicy', message: `Unsupported value: "${String(policy)}": supported values: "Always", "OnFailure", "Never"` });
    }
  }
  if (causes.length > 0) throw KubeErrors.invalid('pods', name ?? generateName ?? '', causes);
  const { containers: _containers, ...restSpec } = spec ?? {};
  return {
    name,
    generateName,
    labels,
    annotations,
    ownerReferences: Array.isArray(metadata['ownerReferences']) ? (metadata['ownerReferences'] as unknown[]) : undefined,
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      securityContext: {},
      ...restSpec,
    },
    containers,
    restartPolicy: typeof spec?.['restartPolicy'] === 'string' ? spec['restartPolicy'] : 'Always',
  };
}

export function newUid(): string {
  return randomUUID();
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function renderContainerState(state: ContainerState): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } };
    case 'running':
      return { running: { startedAt: iso(state.startedAt) } };
    case 'terminated':
      return {
        terminated: {
          exitCode: state.exitCode,
          reason: state.reason,
          ...(state.startedAt !== undefined ? { startedAt: iso(state.startedAt) } : {}),
          finishedAt: iso(state.finishedAt),
          containerID: 'containerd://emulated',
        },
      };
    default:
      return {};
  }
}

/** Fields a field selector may name, for one pod. */
export function podFields(pod: PodRecord): Record<string, string> {
  return {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'spec.nodeName': pod.nodeName ?? '',
    'spec.restartPolicy': pod.restartPolicy,
    'spec.schedulerName': String(pod.spec['schedulerName'] ?? 'default-scheduler'),
    'spec.serviceAccountName': String(pod.spec['serviceAccountName'] ?? 'default'),
    'spec.hostNetwork': String(pod.spec['hostNetwork'] === true),
    'status.phase': pod.phase,
    'status.podIP': pod.podIP ?? '',
    'status.nominatedNodeName': '',
  };
}

/** The `v1.Pod` JSON of a record. */
export function renderPod(pod: PodRecord): Record<string, unknown> {
  const running = pod.containerState.kind === 'running' && pod.deletionAt === undefined;
  const scheduled = pod.nodeName !== undefined;
  const condition = (type: string, ok: boolean, reason?: string, message?: string) => ({
    type,
    status: ok ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: iso(pod.startedAt ?? pod.createdAt),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  });
  const conditions = scheduled
    ? [
        condition('PodReadyToStartContainers', pod.phase !== 'Pending' || pod.containerState.kind !== 'waiting'),
        condition('Initialized', true),
        condition('Ready', running, running ? undefined : 'ContainersNotReady'),
        condition('ContainersReady', running, running ? undefined : 'ContainersNotReady'),
        condition('PodScheduled', true),
      ]
    : [condition('PodScheduled', false, 'Unschedulable', pod.statusMessage)];
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: pod.name,
      ...(pod.generateName ? { generateName: pod.generateName } : {}),
      namespace: pod.namespace,
      uid: pod.uid,
      resourceVersion: String(pod.resourceVersion),
      creationTimestamp: iso(pod.createdAt),
      ...(pod.deletionAt !== undefined
        ? { deletionTimestamp: iso(pod.deletionAt), deletionGracePeriodSeconds: Number(pod.spec['terminationGracePeriodSeconds'] ?? 30) }
        : {}),
      ...(Object.keys(pod.labels).length > 0 ? { labels: { ...pod.labels } } : {}),
      ...(Object.keys(pod.annotations).length > 0 ? { annotations: { ...pod.annotations } } : {}),
      ...(pod.ownerReferences ? { ownerReferences: pod.ownerReferences } : {}),
    },
    spec: {
      ...pod.spec,
      containers: pod.containers.map((c) => c.manifest),
      ...(pod.nodeName !== undefined ? { nodeName: pod.nodeName } : {}),
    },
    status: {
      phase: pod.phase,
      conditions,
      ...(pod.statusMessage && scheduled ? { message: pod.statusMessage } : {}),
      ...(pod.hostIP !== undefined ? { hostIP: pod.hostIP, hostIPs: [{ ip: pod.hostIP }] } : {}),
      ...(pod.podIP !== undefined ? { podIP: pod.podIP, podIPs: [{ ip: pod.podIP }] } : {}),
      ...(scheduled ? { startTime: iso(pod.createdAt) } : {}),
      ...(scheduled
        ? {
            containerStatuses: pod.containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: pod.containerState.kind === 'waiting' ? '' : `${c.image.replace(/[:@].*$/, '')}@sha256:${'0'.repeat(64)}`,
              ...(pod.containerState.kind !== 'waiting' ? { containerID: 'containerd://emulated' } : {}),
              ready: running,
              started: running,
              restartCount: pod.restarts,
              state: renderContainerState(pod.containerState),
            })),
          }
        : {}),
      qosClass: 'BestEffort',
    },
  };
}
