/**
 * The Kubernetes emulator's state: namespaces, pods with a lifecycle on an injectable clock, a resourceVersion
 * and the event history watches replay from, the per-pod sandboxes and processes behind exec, and the control
 * API tests use to break things (faults, restarts, dropped streams). Transports (the HTTPS server) only parse
 * requests and call in here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebSocket } from 'ws';
import { type Ec2Clock as KubeClock, systemClock } from '../../ec2/emulator/clock.js';
import { loadNodePty } from '../../demo/node-pty.js';
import { DemoProcessTable, userPath } from '../../demo/session.js';
import { EXEC_PROTOCOLS, type ExecProtocol } from '../exec-protocol.js';
import { type ExecHandle, type ExecPlan, type ExecRuntime, startExec } from './exec-session.js';
import { KubeFaultInjector, type KubeVerb } from './faults.js';
import {
  type ContainerState, FAULT_ANNOTATION, generatedName, isDnsLabel, newUid, POD_FAULTS, type PodFault, type PodRecord, podDraftFromBody, podFields, renderPod,
} from './model.js';
import { podSandbox, preparePodSandbox, type PodSandbox, wipePodSandbox } from './sandbox.js';
import { type FieldSelector, type LabelSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { KubeApiError, KubeErrors } from './status.js';

export type { KubeClock };

/** How long lifecycle steps take, in ms of the emulator clock. */
export interface PodDelays {
  /** Pending → Running (or → Failed for a `fail` pod). */
  start: number;
  /** Running → Failed for a `crash` pod. */
  crash: number;
  /** How long a deleted pod stays Terminating before it is gone (a request's gracePeriodSeconds=0 skips it). */
  deletion: number;
}

export const DEFAULT_POD_DELAYS: Readonly<PodDelays> = { start: 1000, crash: 2000, deletion: 0 };

export interface KubeEmulatorOptions {
  /** Time source; a `ManualClock` in tests. Default: the wall clock. */
  clock?: KubeClock;
  /** Run lifecycle steps on timers (default: only with the wall clock; with a manual clock call `settle()`). */
  autoSettle?: boolean;
  delays?: Partial<PodDelays>;
  /** Namespaces that exist at start (default `default`, `kube-system`, `kube-public`). */
  namespaces?: readonly string[];
  /** Node names pods are scheduled on, round-robin (default `emulator-node-1`, `emulator-node-2`). */
  nodes?: readonly string[];
  /** Where pod sandboxes live (default: a fresh temporary directory, removed by `close()`). */
  sandboxDir?: string;
  /** Exec subprotocols the server accepts, in preference order (default v5, v4; `['v4.channel.k8s.io']` = a pre-1.29 server). */
  execProtocols?: readonly ExecProtocol[];
  /** How many events the watch history keeps (older resourceVersions get 410 Gone). Default 1000. */
  eventLimit?: number;
}

/** A pod to create directly, bypassing the API (tests, `dust emulator --k8s`). */
export interface SeedPod {
  name: string;
  namespace?: string;
  image?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers?: string[];
  fault?: PodFault;
  /** Start Running at once (default) or go through Pending like an API-created pod. */
  running?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType | 'ERROR' | 'BOOKMARK';
  object: Record<string, unknown>;
}

interface StoredEvent {
  rv: number;
  type: WatchEventType;
  namespace: string;
  object: Record<string, unknown>;
  labels: Record<string, string>;
  fields: Record<string, string>;
  /** Before a MODIFIED: whether a selector matched the old labels/fields decides ADDED/DELETED for it. */
  prevLabels: Record<string, string> | undefined;
  prevFields: Record<string, string> | undefined;
}

interface Watcher {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldSelector;
  listener: (event: WatchEvent) => void;
}

export interface PodListQuery {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continueToken?: string | undefined;
}

/** A rule that gives new pods a fault (see `addPodFault`). */
export interface PodFaultRule {
  fault: PodFault;
  /** Pod name (exact) or pattern. */
  name?: string | RegExp;
  namespace?: string;
  /** A label selector in the API's syntax. */
  labelSelector?: string;
  /** How many pods it applies to (default: every match). */
  times?: number;
}

interface PodRuntime {
  sandbox: PodSandbox;
  processes: DemoProcessTable;
  streams: Set<ExecHandle>;
  /** New exec streams open but never start their command (`stallExec`). */
  stalled: boolean;
  /** See `keepCommandsOnDisconnect`. */
  keepOnDisconnect: boolean;
}

interface NamespaceRecord {
  name: string;
  uid: string;
  createdAt: number;
  resourceVersion: number;
}

export interface ApiRequestLogEntry {
  verb: KubeVerb | 'discovery' | 'other';
  path: string;
  status: number;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export class KubeEmulatorCore {
  readonly clock: KubeClock;
  readonly faults = new KubeFaultInjector();
  /** Recent API requests, oldest first (the HTTPS server appends). */
  readonly requestLog: ApiRequestLogEntry[] = [];
  readonly execProtocols: readonly ExecProtocol[];
  private delays: PodDelays;
  private readonly autoSettle: boolean;
  private readonly nodes: readonly string[];
  private readonly sandboxRoot: string;
  private readonly ownsSandboxRoot: boolean;
  private readonly eventLimit: number;
  private readonly namespaces = new Map<string, NamespaceRecord>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly runtimes = new Map<string, PodRuntime>();
  private readonly events: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly faultRules: { rule: PodFaultRule; selector: LabelSelector; left: number }[] = [];
  private rv = 1;
  private nextNode = 0;
  private nextIp = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: KubeEmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.autoSettle = options.autoSettle ?? this.clock === systemClock;
    this.delays = { ...DEFAULT_POD_DELAYS, ...options.delays };
    this.nodes = options.nodes && options.nodes.length > 0 ? options.nodes : ['emulator-node-1', 'emulator-node-2'];
    this.execProtocols = options.execProtocols ?? EXEC_PROTOCOLS;
    this.eventLimit = options.eventLimit ?? 1000;
    this.ownsSandboxRoot = options.sandboxDir === undefined;
    this.sandboxRoot = options.sandboxDir ?? mkdtempSync(path.join(os.tmpdir(), 'dust-k8s-emulator-'));
    for (const ns of options.namespaces ?? ['default', 'kube-system', 'kube-public']) this.createNamespace(ns);
  }

  /**
   * Why TTY execs cannot run here (node-pty is optional and did not load), or undefined when they can. Set by
   * `loadTerminals()`; execs without a TTY work either way.
   */
  noTerminals: string | undefined = 'node-pty has not been loaded (call loadTerminals() first)';

  /** Loads node-pty for TTY execs; resolves with why it could not (terminals then fail, the rest works). */
  async loadTerminals(): Promise<string | undefined> {
    try {
      await loadNodePty();
      this.noTerminals = undefined;
    } catch (err) {
      const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
      this.noTerminals = `node-pty (optional) could not be loaded: ${(cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? ''}`;
    }
    return this.noTerminals;
  }

  /** The newest resourceVersion (what a list reports). */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Where pod sandboxes live. */
  get sandboxDir(): string {
    return this.sandboxRoot;
  }

  setDelays(delays: Partial<PodDelays>): void {
    this.delays = { ...this.delays, ...delays };
  }

  /** Throws the queued fault for `verb`, if any (the HTTPS server calls it before each request). */
  checkFault(verb: KubeVerb): void {
    const fault = this.faults.take(verb);
    if (fault) throw fault;
  }

  // ------------------------------------------------------------------------------------------ namespaces

  createNamespace(name: string): Record<string, unknown> {
    if (!isDnsLabel(name)) {
      throw KubeErrors.invalid('namespaces', name, [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'` }]);
    }
    if (this.namespaces.has(name)) throw KubeErrors.namespaceExists(name);
    const ns: NamespaceRecord = { name, uid: newUid(), createdAt: this.clock.now(), resourceVersion: ++this.rv };
    this.namespaces.set(name, ns);
    return this.renderNamespace(ns);
  }

  getNamespace(name: string): Record<string, unknown> {
    const ns = this.namespaces.get(name);
    if (!ns) throw KubeErrors.namespaceNotFound(name);
    return this.renderNamespace(ns);
  }

  listNamespaces(): Record<string, unknown> {
    return {
      kind: 'NamespaceList',
      apiVersion: 'v1',
      metadata: { resourceVersion: this.resourceVersion },
      items: [...this.namespaces.values()].sort((a, b) => a.name.localeCompare(b.name)).map((ns) => this.renderNamespace(ns)),
    };
  }

  private renderNamespace(ns: NamespaceRecord): Record<string, unknown> {
    return {
      kind: 'Namespace',
      apiVersion: 'v1',
      metadata: {
        name: ns.name,
        uid: ns.uid,
        resourceVersion: String(ns.resourceVersion),
        creationTimestamp: new Date(ns.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
        labels: { 'kubernetes.io/metadata.name': ns.name },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }

  // ------------------------------------------------------------------------------------------ pods

  createPod(namespace: string, body: unknown): Record<string, unknown> {
    this.settle();
    if (!this.namespaces.has(namespace)) throw KubeErrors.namespaceNotFound(namespace);
    const draft = podDraftFromBody(body, namespace);
    let name = draft.name;
    if (name === undefined) {
      do name = generatedName(draft.generateName ?? ''); while (this.pods.has(key(namespace, name)));
    } else if (this.pods.has(key(namespace, name))) {
      throw KubeErrors.podExists(name);
    }
    const now = this.clock.now();
    const fault = this.faultFor(namespace, name, draft.labels, draft.annotations, draft.containers.map((c) => c.image));
    const pod: PodRecord = {
      uid: newUid(),
      namespace,
      name,
      generateName: draft.generateName,
      labels: draft.labels,
      annotations: draft.annotations,
      ownerReferences: draft.ownerReferences,
      createdAt: now,
      spec: draft.spec,
      containers: draft.containers,
      restartPolicy: draft.restartPolicy,
      nodeName: undefined,
      hostIP: undefined,
      podIP: undefined,
      phase: 'Pending',
      startedAt: undefined,
      containerState: { kind: 'waiting', reason: 'ContainerCreating' },
      restarts: 0,
      fault,
      deletionAt: undefined,
      resourceVersion: 0,
      due: undefined,
      statusMessage: undefined,
    };
    if (fault === 'never-start') {
      const n = this.nodes.length;
      pod.statusMessage = `0/${n} nodes are available: ${n} Insufficient cpu. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;
    } else {
      this.schedule(pod);
      if (fault === 'image-pull') {
        const image = pod.containers[0]?.image ?? '';
        pod.containerState = { kind: 'waiting', reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` };
      } else {
        pod.due = { at: now + this.delays.start, step: 'start' };
      }
    }
    this.pods.set(key(namespace, name), pod);
    this.record('ADDED', pod, undefined);
    this.scheduleTimer();
    return renderPod(pod);
  }

  getPod(namespace: string, name: string): Record<string, unknown> {
    this.settle();
    return renderPod(this.requirePod(namespace, name));
  }

  listPods(query: PodListQuery = {}): Record<string, unknown> {
    this.settle();
    const labels = parseLabelSelector(query.labelSelector);
    const fields = parseFieldSelector(query.fieldSelector);
    if (query.namespace !== undefined && !this.namespaces.has(query.namespace)) {
      // The real server answers an empty list for a missing namespace.
      return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: this.resourceVersion }, items: [] };
    }
    let after: string | undefined;
    if (query.continueToken) {
      const token = decodeContinue(query.continueToken);
      if (!token) throw KubeErrors.badRequest('continue key is not valid: illegal base64 data');
      if (this.oldestRetainedRv() > token.rv + 1) {
        throw KubeErrors.gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      after = token.after;
    }
    const matching = [...this.pods.values()]
      .filter((p) => query.namespace === undefined || p.namespace === query.namespace)
      .filter((p) => matchesLabels(labels, p.labels) && matchesFields(fields, podFields(p)))
      .sort((a, b) => compareKeys(key(a.namespace, a.name), key(b.namespace, b.name)));
    const start = after === undefined ? matching : matching.filter((p) => compareKeys(key(p.namespace, p.name), after) > 0);
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : undefined;
    const page = limit !== undefined ? start.slice(0, limit) : start;
    const remaining = start.length - page.length;
    const last = page[page.length - 1];
    const metadata: Record<string, unknown> = { resourceVersion: this.resourceVersion };
    if (remaining > 0 && last) {
      metadata['continue'] = encodeContinue({ rv: this.rv, after: key(last.namespace, last.name) });
      metadata['remainingItemCount'] = remaining;
    }
    return { kind: 'PodList', apiVersion: 'v1', metadata, items: page.map(renderPod) };
  }

  /**
   * Deletes a pod: it turns Terminating (deletionTimestamp set, its processes killed and exec streams closed),
   * then disappears after the deletion delay, or at once with `gracePeriodSeconds: 0`.
   */
  deletePod(namespace: string, name: string, options: { gracePeriodSeconds?: number | undefined } = {}): Record<string, unknown> {
    this.settle();
    const pod = this.requirePod(namespace, name);
    const now = this.clock.now();
    const graceMs = options.gracePeriodSeconds === 0 ? 0 : this.delays.deletion;
    if (pod.deletionAt === undefined) {
      const before = this.snapshotOf(pod);
      pod.deletionAt = now;
      this.stopContainers(pod);
      pod.due = { at: now + graceMs, step: 'remove' };
      this.record('MODIFIED', pod, before);
    } else if (graceMs === 0) {
      pod.due = { at: now, step: 'remove' };
    }
    const rendered = renderPod(pod);
    this.settle();
    this.scheduleTimer();
    return rendered;
  }

  /**
   * Streams pod events to `listener`: from `resourceVersion` (replayed from history; 410 Gone when it is older
   * than the history), or, without one (or "0"), an ADDED for every existing pod first. Returns the unsubscribe.
   */
  watchPods(
    query: { namespace?: string | undefined; labelSelector?: string | undefined; fieldSelector?: string | undefined; resourceVersion?: string | undefined },
    listener: (event: WatchEvent) => void,
  ): () => void {
    this.settle();
    const watcher: Watcher = {
      namespace: query.namespace,
      labels: parseLabelSelector(query.labelSelector),
      fields: parseFieldSelector(query.fieldSelector),
      listener,
    };
    const from = query.resourceVersion === undefined || query.resourceVersion === '' || query.resourceVersion === '0' ? undefined : Number(query.resourceVersion);
    if (from !== undefined && !Number.isInteger(from)) throw KubeErrors.badRequest(`invalid resource version "${query.resourceVersion}"`);
    if (from === undefined) {
      const pods = [...this.pods.values()].sort((a, b) => compareKeys(key(a.namespace, a.name), key(b.namespace, b.name)));
      for (const pod of pods) {
        if ((watcher.namespace === undefined || pod.namespace === watcher.namespace) && matchesLabels(watcher.labels, pod.labels) && matchesFields(watcher.fields, podFields(pod))) {
          listener({ type: 'ADDED', object: renderPod(pod) });
        }
      }
    } else {
      if (from + 1 < this.oldestRetainedRv()) throw KubeErrors.gone(`too old resource version: ${from} (${this.oldestRetainedRv() - 1})`);
      for (const event of this.events) if (event.rv > from) this.deliver(watcher, event);
    }
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /** Throws the 400 a bad label or field selector gets (before a watch answers 200). */
  checkSelectors(labelSelector: string | undefined, fieldSelector: string | undefined): void {
    parseLabelSelector(labelSelector);
    parseFieldSelector(fieldSelector);
  }

  /** How many watches are open (for tests: a client that closed its watch is gone from here). */
  get watchCount(): number {
    return this.watchers.size;
  }

  // ------------------------------------------------------------------------------------------ exec

  /**
   * Checks an exec request against the pod (exists, scheduled, running, container, command, streams) and
   * returns what `attachExec` needs, or throws the 4xx the API server would answer before upgrading.
   */
  prepareExec(namespace: string, name: string, query: URLSearchParams): { plan: Omit<ExecPlan, 'protocol'>; runtime: ExecRuntime } {
    this.settle();
    const pod = this.requirePod(namespace, name);
    const flag = (k: string): boolean => ['true', '1'].includes(query.get(k) ?? '');
    let container = query.get('container') ?? '';
    if (container === '') {
      const preferred = pod.annotations['kubectl.kubernetes.io/default-container'];
      if (pod.containers.length > 1 && preferred === undefined) {
        throw KubeErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${pod.containers.map((c) => c.name).join(' ')}]`);
      }
      container = preferred ?? pod.containers[0]?.name ?? '';
    }
    const spec = pod.containers.find((c) => c.name === container);
    if (!spec) throw KubeErrors.badRequest(`container ${container} is not valid for pod ${name}`);
    if (pod.nodeName === undefined) throw KubeErrors.badRequest(`pod ${name} does not have a host assigned`);
    if (pod.phase === 'Succeeded' || pod.phase === 'Failed') {
      throw KubeErrors.badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.phase}`);
    }
    const runtime = this.runtimes.get(pod.uid);
    if (pod.containerState.kind !== 'running' || pod.deletionAt !== undefined || !runtime) {
      throw KubeErrors.badRequest(`container not found ("${container}")`);
    }
    const argv = query.getAll('command');
    if (argv.length === 0) throw KubeErrors.badRequest('you must specify at least one command for the container');
    const stdin = flag('stdin');
    const stdout = flag('stdout');
    const stderr = flag('stderr');
    const tty = flag('tty');
    if (!stdin && !stdout && !stderr) throw KubeErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
    const inherited: Record<string, string> = {};
    for (const k of ['LANG', 'LC_ALL', 'TZ']) {
      const v = process.env[k];
      if (v !== undefined) inherited[k] = v;
    }
    return {
      // With a terminal, stderr is the terminal too (the kubelet drops the stderr stream).
      plan: { namespace, pod: name, container, argv, tty, stdin, stdout, stderr: stderr && !tty },
      runtime: {
        sandbox: runtime.sandbox,
        processes: runtime.processes,
        noShell: pod.fault === 'no-shell' || spec.image.includes('distroless'),
        stalled: runtime.stalled,
        keepOnDisconnect: runtime.keepOnDisconnect,
        noTerminals: this.noTerminals,
        env: {
          ...inherited,
          PATH: `${runtime.sandbox.bin}:${userPath()}`,
          ...spec.env,
          HOME: runtime.sandbox.home,
          HOSTNAME: name,
          DUST_POD_BIN: runtime.sandbox.bin,
          KUBERNETES_SERVICE_HOST: '10.96.0.1',
          KUBERNETES_SERVICE_PORT: '443',
        },
      },
    };
  }

  /** Runs a prepared exec on an upgraded WebSocket and tracks it with its pod. */
  attachExec(ws: WebSocket, plan: ExecPlan, runtime: ExecRuntime): ExecHandle {
    const handle = startExec(ws, plan, runtime);
    const pod = this.pods.get(key(plan.namespace, plan.pod));
    const podRuntime = pod ? this.runtimes.get(pod.uid) : undefined;
    if (podRuntime) {
      podRuntime.streams.add(handle);
      void handle.ended.then(() => podRuntime.streams.delete(handle));
    }
    return handle;
  }

  // ------------------------------------------------------------------------------------------ control API

  /** Creates pods directly, Running at once unless `running: false`. */
  seedPods(pods: readonly SeedPod[]): Record<string, unknown>[] {
    return pods.map((spec) => {
      const namespace = spec.namespace ?? 'default';
      if (!this.namespaces.has(namespace)) this.createNamespace(namespace);
      const annotations = { ...spec.annotations, ...(spec.fault ? { [FAULT_ANNOTATION]: spec.fault } : {}) };
      const containers = (spec.containers ?? ['main']).map((name) => ({ name, image: spec.image ?? 'busybox:1.36', command: ['sleep', 'infinity'] }));
      this.createPod(namespace, { metadata: { name: spec.name, labels: spec.labels ?? {}, annotations }, spec: { containers } });
      if (spec.running !== false) {
        const pod = this.requirePod(namespace, spec.name);
        if (pod.due?.step === 'start') {
          pod.due.at = this.clock.now();
          this.settle();
        }
      }
      return this.getPod(namespace, spec.name);
    });
  }

  /** Gives pods created from now on a fault when they match (name, namespace, labels). */
  addPodFault(rule: PodFaultRule): { remove(): void } {
    const entry = { rule, selector: parseLabelSelector(rule.labelSelector), left: rule.times ?? Infinity };
    this.faultRules.push(entry);
    return {
      remove: () => {
        const i = this.faultRules.indexOf(entry);
        if (i >= 0) this.faultRules.splice(i, 1);
      },
    };
  }

  /** Changes an existing pod's fault (`no-shell` takes effect on the next exec; `crash` on a running pod crashes it now). */
  setPodFault(namespace: string, name: string, fault: PodFault | undefined): void {
    this.settle();
    const pod = this.requirePod(namespace, name);
    pod.fault = fault;
    if (fault === 'crash' && pod.phase === 'Running') this.crashPod(namespace, name);
  }

  /** The pod's container dies now: Running → Failed (exit 1), processes killed, exec streams dropped. */
  crashPod(namespace: string, name: string): void {
    this.settle();
    const pod = this.requirePod(namespace, name);
    if (pod.phase !== 'Running') return;
    const before = this.snapshotOf(pod);
    this.crash(pod);
    this.record('MODIFIED', pod, before);
    this.scheduleTimer();
  }

  /**
   * Restarts the pod's container: processes killed, exec streams dropped, the sandbox wiped (a container
   * restarts from its image), restartCount + 1, Running again.
   */
  restartPod(namespace: string, name: string): void {
    this.settle();
    const pod = this.requirePod(namespace, name);
    if (pod.deletionAt !== undefined) throw KubeErrors.badRequest(`pod ${name} is being deleted`);
    const before = this.snapshotOf(pod);
    this.stopContainers(pod);
    const runtime = this.runtimes.get(pod.uid);
    if (runtime) wipePodSandbox(runtime.sandbox);
    this.runtimes.delete(pod.uid);
    pod.restarts += 1;
    pod.phase = 'Pending';
    this.start(pod, this.clock.now(), true);
    this.record('MODIFIED', pod, before);
    this.scheduleTimer();
  }

  /**
   * Ends every exec stream of the pod without a status: as a kubelet's idle timeout does (default), or
   * `abrupt` (a TCP reset), or `freeze` (a network partition: the stream goes silent and answers no pings).
   */
  dropExecStreams(namespace: string, name: string, options: { abrupt?: boolean; freeze?: boolean } = {}): number {
    const pod = this.requirePod(namespace, name);
    const runtime = this.runtimes.get(pod.uid);
    const streams = runtime ? [...runtime.streams] : [];
    for (const s of streams) s.drop(options.freeze ? 'freeze' : options.abrupt ? 'reset' : 'close');
    return streams.length;
  }

  /** A wedged container runtime: exec streams to the pod open, but their commands never start (until `false`). */
  stallExec(namespace: string, name: string, stalled = true): void {
    const pod = this.requirePod(namespace, name);
    const runtime = this.runtimes.get(pod.uid);
    if (!runtime) throw KubeErrors.badRequest(`pod ${name} is not running`);
    runtime.stalled = stalled;
  }

  /**
   * The kubelet's own behaviour for commands without a terminal: a client that goes away only closes their stdin,
   * nothing is signalled, and the command runs on. (By default the emulator hangs up on them, so that no test
   * leaves processes behind.)
   */
  keepCommandsOnDisconnect(namespace: string, name: string, keep = true): void {
    const pod = this.requirePod(namespace, name);
    const runtime = this.runtimes.get(pod.uid);
    if (!runtime) throw KubeErrors.badRequest(`pod ${name} is not running`);
    runtime.keepOnDisconnect = keep;
  }

  /** Live exec streams of a pod. */
  execStreams(namespace: string, name: string): ExecHandle[] {
    const pod = this.pods.get(key(namespace, name));
    const runtime = pod ? this.runtimes.get(pod.uid) : undefined;
    return runtime ? [...runtime.streams] : [];
  }

  /** The pod's sandbox (HOME and working directory of its commands), once it has started. */
  sandboxOf(namespace: string, name: string): PodSandbox | undefined {
    const pod = this.pods.get(key(namespace, name));
    return pod ? this.runtimes.get(pod.uid)?.sandbox : undefined;
  }

  /** Pod names per namespace, for assertions. */
  podNames(namespace?: string): string[] {
    this.settle();
    return [...this.pods.values()].filter((p) => namespace === undefined || p.namespace === namespace).map((p) => p.name).sort(compareKeys);
  }

  /** Applies every lifecycle step that is due by the clock and tells watches. Reads call it; so do timers. */
  settle(): void {
    if (this.closed) return;
    const now = this.clock.now();
    for (;;) {
      let next: PodRecord | undefined;
      for (const pod of this.pods.values()) if (pod.due && pod.due.at <= now && (!next || pod.due.at < (next.due?.at ?? Infinity))) next = pod;
      if (!next?.due) break;
      const step = next.due.step;
      const at = next.due.at;
      next.due = undefined;
      const before = this.snapshotOf(next);
      if (step === 'start') {
        this.start(next, at, false);
        this.record('MODIFIED', next, before);
      } else if (step === 'crash') {
        this.crash(next);
        this.record('MODIFIED', next, before);
      } else {
        this.pods.delete(key(next.namespace, next.name));
        const runtime = this.runtimes.get(next.uid);
        if (runtime) wipePodSandbox(runtime.sandbox);
        this.runtimes.delete(next.uid);
        this.record('DELETED', next, before);
      }
    }
  }

  /** Kills every pod process, closes every stream and removes the sandbox directory (when the core made it). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watchers.clear();
    const runtimes = [...this.runtimes.values()];
    for (const r of runtimes) for (const s of r.streams) s.drop('reset');
    await Promise.all(runtimes.map((r) => r.processes.killAll(500)));
    if (this.ownsSandboxRoot) rmSync(this.sandboxRoot, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------------------------------ internals

  private requirePod(namespace: string, name: string): PodRecord {
    const pod = this.pods.get(key(namespace, name));
    if (!pod) throw KubeErrors.podNotFound(name);
    return pod;
  }

  private faultFor(namespace: string, name: string, labels: Record<string, string>, annotations: Record<string, string>, images: string[]): PodFault | undefined {
    const annotated = annotations[FAULT_ANNOTATION];
    if (annotated !== undefined) {
      if (!(POD_FAULTS as readonly string[]).includes(annotated)) {
        throw KubeErrors.invalid('pods', name, [{ reason: 'FieldValueNotSupported', field: `metadata.annotations[${FAULT_ANNOTATION}]`, message: `Unsupported value: "${annotated}": supported values: ${POD_FAULTS.map((f) => `"${f}"`).join(', ')}` }]);
      }
      return annotated as PodFault;
    }
    for (const entry of this.faultRules) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.namespace !== undefined && rule.namespace !== namespace) continue;
      if (rule.name !== undefined && (typeof rule.name === 'string' ? rule.name !== name : !rule.name.test(name))) continue;
      if (!matchesLabels(entry.selector, labels)) continue;
      entry.left -= 1;
      return rule.fault;
    }
    return images.some((i) => i.includes('distroless')) ? 'no-shell' : undefined;
  }

  private schedule(pod: PodRecord): void {
    const index = this.nextNode++ % this.nodes.length;
    pod.nodeName = this.nodes[index];
    pod.hostIP = `172.18.0.${index + 2}`;
  }

  private start(pod: PodRecord, at: number, restarted: boolean): void {
    if (pod.fault === 'fail' && !restarted) {
      pod.phase = 'Failed';
      pod.containerState = { kind: 'terminated', exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at };
      pod.statusMessage = undefined;
      return;
    }
    pod.phase = 'Running';
    pod.startedAt = at;
    pod.containerState = { kind: 'running', startedAt: at };
    if (pod.podIP === undefined) {
      const n = this.nextIp++;
      pod.podIP = `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
    }
    const sandbox = podSandbox(this.sandboxRoot, pod.namespace, pod.name);
    preparePodSandbox(sandbox, pod.name, pod.namespace);
    this.runtimes.set(pod.uid, { sandbox, processes: new DemoProcessTable(), streams: new Set(), stalled: false, keepOnDisconnect: false });
    if (pod.fault === 'crash') pod.due = { at: at + this.delays.crash, step: 'crash' };
  }

  private crash(pod: PodRecord): void {
    this.stopContainers(pod);
    const now = this.clock.now();
    pod.phase = 'Failed';
    const state: ContainerState = { kind: 'terminated', exitCode: 1, reason: 'Error', startedAt: pod.startedAt, finishedAt: now };
    pod.containerState = state;
  }

  /** The container's processes die and its exec streams end (no status: the container is gone). */
  private stopContainers(pod: PodRecord): void {
    const runtime = this.runtimes.get(pod.uid);
    if (!runtime) return;
    for (const s of runtime.streams) s.drop('close');
    void runtime.processes.killAll(500);
  }

  private snapshotOf(pod: PodRecord): { labels: Record<string, string>; fields: Record<string, string> } {
    return { labels: { ...pod.labels }, fields: podFields(pod) };
  }

  private record(type: WatchEventType, pod: PodRecord, before: { labels: Record<string, string>; fields: Record<string, string> } | undefined): void {
    this.rv += 1;
    if (type !== 'DELETED') pod.resourceVersion = this.rv;
    const object = renderPod(pod);
    if (type === 'DELETED') (object['metadata'] as Record<string, unknown>)['resourceVersion'] = String(this.rv);
    const event: StoredEvent = {
      rv: this.rv,
      type,
      namespace: pod.namespace,
      object,
      labels: { ...pod.labels },
      fields: podFields(pod),
      prevLabels: before?.labels,
      prevFields: before?.fields,
    };
    this.events.push(event);
    if (this.events.length > this.eventLimit) this.events.splice(0, this.events.length - this.eventLimit);
    for (const watcher of [...this.watchers]) this.deliver(watcher, event);
  }

  private deliver(watcher: Watcher, event: StoredEvent): void {
    if (watcher.namespace !== undefined && watcher.namespace !== event.namespace) return;
    const matches = (labels: Record<string, string>, fields: Record<string, string>) => matchesLabels(watcher.labels, labels) && matchesFields(watcher.fields, fields);
    const now = matches(event.labels, event.fields);
    let type: WatchEventType | undefined = event.type;
    if (event.type === 'MODIFIED' && event.prevLabels && event.prevFields) {
      const was = matches(event.prevLabels, event.prevFields);
      type = was && now ? 'MODIFIED' : !was && now ? 'ADDED' : was && !now ? 'DELETED' : undefined;
    } else if (!now) {
      type = undefined;
    }
    if (type === undefined) return;
    try {
      watcher.listener({ type, object: event.object });
    } catch {
      // A broken watch connection must not break the change that caused the event.
    }
  }

  private oldestRetainedRv(): number {
    return this.events[0]?.rv ?? this.rv + 1;
  }

  private scheduleTimer(): void {
    if (!this.autoSettle || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const pod of this.pods.values()) if (pod.due && pod.due.at < next) next = pod.due.at;
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.settle();
      this.scheduleTimer();
    }, Math.max(0, next - this.clock.now()));
    this.timer.unref();
  }
}

/** Namespace/name order, byte-wise (the API server lists in key order). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeContinue(token: { rv: number; after: string }): string {
  return Buffer.from(JSON.stringify({ v: 'dust.emulator/v1', rv: token.rv, start: token.after })).toString('base64url');
}

function decodeContinue(text: string): { rv: number; after: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (parsed.v !== 'dust.emulator/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') return undefined;
    return { rv: parsed.rv, after: parsed.start };
  } catch {
    return undefined;
  }
}

export { KubeApiError };
