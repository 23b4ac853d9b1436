/**
 * Kubernetes as a built-in plugin: the pods of one kubeconfig context become nodes (`api.registerInventoryProvider`)
 * reached over exec (`api.registerTransport`) — the same two calls a third-party plugin makes. The composition
 * root sets it up only when Kubernetes is on (src/kubernetes/settings.ts), and even then client-node loads on the
 * inventory's first read or the first use of a pod, not at start-up: `dust -c help` with a kubeconfig configured
 * costs nothing.
 */
import { DUST_PLUGIN_API, type DustNode, type DustPlugin, type NodeDraft, type PodSpecEvent } from '../plugins/api.js';
import type { InventoryProvider } from '../inventory/provider.js';
import type { ExecProcess, ExecRequest, RemoteFiles, ShellChannel, ShellRequest, Transport } from '../sessions/transport.js';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { createKubernetesIntegration, type KubernetesIntegration } from './integration.js';
import { type KubernetesClusters, registerKubernetesClusters } from './clusters.js';
import type { KubernetesSettings } from './settings.js';
import { k8sClusterProvider } from './cluster-provider.js';
import type { PodManifest } from './workers.js';

export interface KubernetesPluginOptions {
  settings: KubernetesSettings;
  /** Runs the plugins' `pod:spec` handlers on one worker's manifest (the engine's event bus). */
  podSpec(event: PodSpecEvent): Promise<void>;
  /** How long `cluster up` waits for new pods to answer (default 180 s; tests shorten it). */
  readyTimeoutMs?: number;
  /** Spec values for `cluster init --provider k8s` besides the namespace listed (the demo's image). */
  clusterSpecDefaults?: Readonly<Record<string, unknown>>;
  /** Builds the integration (default: from `settings`, with client-node). Tests and the demo pass their own. */
  connect?: () => Promise<KubernetesIntegration>;
}

/**
 * The integration, made on first need and kept for the life of the process (a `plugins reload` sets the built-ins
 * up again; their watches and open exec streams must survive it). A failed attempt (no kubeconfig yet, server
 * down) is forgotten, so the next use tries again.
 */
class LazyIntegration {
  private pending: Promise<KubernetesIntegration> | undefined;
  private closed = false;
  loaded: KubernetesIntegration | undefined;

  constructor(private readonly connect: () => Promise<KubernetesIntegration>) {}

  get(): Promise<KubernetesIntegration> {
    if (this.closed) return Promise.reject(new Error('Kubernetes is closed (dust is leaving)'));
    this.pending ??= this.connect().then(
      async (integration) => {
        if (this.closed) {
          await integration.close();
          throw new Error('Kubernetes is closed (dust is leaving)');
        }
        this.loaded = integration;
        return integration;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return this.pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    const integration = this.loaded;
    this.loaded = undefined;
    await integration?.close();
  }
}

/** The pod provider, connecting on the inventory's first read. */
class LazyPodProvider implements InventoryProvider {
  readonly name = 'kubernetes';
  private saidEmpty = false;

  constructor(
    private readonly lazy: LazyIntegration,
    private readonly onChange: () => void,
    /** Told once when the first successful list finds no pod (a namespace or context typo looks exactly like this). */
    private readonly onEmpty: (k: KubernetesIntegration) => void,
  ) {}

  async list(): Promise<NodeDraft[]> {
    const k = await this.lazy.get();
    const drafts = await k.provider.list();
    if (!this.saidEmpty) {
      this.saidEmpty = true;
      if (drafts.length === 0) this.onEmpty(k);
    }
    return drafts;
  }

  subscribe(changed: () => void): () => void {
    let unsubscribe: (() => void) | undefined;
    let cancelled = false;
    this.lazy.get().then((k) => {
      if (cancelled) return;
      unsubscribe = k.provider.subscribe(() => {
        this.onChange();
        changed();
      });
    }, () => {
      // list() reports why it cannot connect; the inventory subscribes again after its next successful list.
    });
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }

  async close(): Promise<void> {
    await this.lazy.loaded?.provider.close();
  }
}

/** The exec transport; it only ever claims pods its own provider listed, so it never has to connect to say no. */
class LazyPodTransport implements Transport {
  readonly name = 'kubernetes';

  constructor(private readonly lazy: LazyIntegration) {}

  claims(node: DustNode): boolean {
    return node.source === 'kubernetes' && (this.lazy.loaded?.transport.claims(node) ?? false);
  }

  async openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel> {
    return (await this.lazy.get()).transport.openShell(node, request);
  }

  async files(node: DustNode): Promise<RemoteFiles> {
    return (await this.lazy.get()).transport.files(node);
  }

  async exec(node: DustNode, request: ExecRequest): Promise<ExecProcess> {
    return (await this.lazy.get()).transport.exec(node, request);
  }

  async disconnect(node: DustNode): Promise<void> {
    await this.lazy.loaded?.transport.disconnect(node);
  }

  async close(): Promise<void> {
    await this.lazy.close();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function kubernetesPlugin(options: KubernetesPluginOptions): DustPlugin {
  const { settings } = options;
  let warn: (message: string) => void = () => {};
  let state: { invalidate(): void } | undefined;
  // One warning per distinct watch failure, again only after the watch has worked in between: the reflector
  // retries with backoff by itself, and a line every few seconds above the prompt would bury everything else.
  let lastWatchError: string | undefined;
  const lazy = new LazyIntegration(options.connect ?? (() => createKubernetesIntegration({
    kubeconfig: settings.kubeconfig,
    context: settings.context,
    namespace: settings.namespace,
    selector: settings.selector,
    pageSize: settings.pageSize,
    keepaliveMs: settings.keepaliveMs,
    maxConcurrentStarts: settings.maxConcurrentStarts,
    onWatchError: (err) => {
      const text = formatError(err);
      if (text === lastWatchError) return;
      lastWatchError = text;
      warn(`the pod watch failed (it retries by itself; pods are listed from the API server meanwhile): ${text}`);
    },
  })));
  const provider = new LazyPodProvider(lazy, () => {
    lastWatchError = undefined;
  }, (k) => {
    const where = k.namespace === undefined ? 'any namespace' : `namespace '${k.namespace}'`;
    const selector = settings.selector ? ` matching ${settings.selector}` : '';
    warn(`no pods${selector} in ${where} of context ${k.context} (${k.server})${k.namespace === undefined ? '' : ` — --namespace NS picks another, '*' every one`}`);
  });
  const transport = new LazyPodTransport(lazy);

  const target = async () => {
    const k = await lazy.get();
    const contextNamespace = k.kc.getContextObject(k.context)?.namespace;
    return { context: k.context, server: k.server, namespace: k.namespace, createNamespace: k.namespace ?? (contextNamespace || 'default') };
  };
  const clusters: KubernetesClusters = {
    target,
    async create(o) {
      const k = await lazy.get();
      const { createWorkers } = await import('./workers.js');
      const namespace = o.namespace ?? (await target()).createNamespace;
      const role = o.role ?? 'worker';
      const created = createWorkers({
        sdk: k.sdk, kc: k.kc, api: k.api, context: k.context,
        name: o.name, namespace, role, count: o.count,
        ...(o.image !== undefined ? { image: o.image } : {}),
        ...(o.manifest !== undefined ? { manifest: o.manifest } : {}),
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
        mutate: async (manifest: PodManifest, index: number) => {
          const own = await o.mutate?.(manifest, index);
          const event: PodSpecEvent = { cluster: o.name, namespace, role, index, pod: `${o.name}-${role}-${index}`, manifest: isObject(own) ? own : manifest };
          await options.podSpec(event);
          if (!isObject(event.manifest)) {
            throw new DustError(ErrorCodes.PluginError, `a pod:spec handler replaced the manifest of ${event.pod} with ${Array.isArray(event.manifest) ? 'a list' : typeof event.manifest}`, {
              hint: 'a pod:spec handler changes event.manifest in place or assigns another Pod object to it',
            });
          }
          return event.manifest;
        },
      });
      // The watch brings the new pods in anyway; this makes the next command look rather than trust the cache.
      return created.finally(() => state?.invalidate());
    },
    async delete(name, o = {}) {
      const k = await lazy.get();
      const { deleteCluster } = await import('./workers.js');
      return deleteCluster({ sdk: k.sdk, kc: k.kc, api: k.api, context: k.context }, name, o.namespace ?? k.namespace).finally(() => state?.invalidate());
    },
    async list(o = {}) {
      const k = await lazy.get();
      const { listClusters } = await import('./workers.js');
      return listClusters({ sdk: k.sdk, kc: k.kc, api: k.api, context: k.context }, o.namespace ?? k.namespace, o.heads ? { heads: true } : {});
    },
    async pods(name, o = {}) {
      const k = await lazy.get();
      const { listClusterPods } = await import('./workers.js');
      return listClusterPods({ sdk: k.sdk, kc: k.kc, api: k.api, context: k.context }, name, o.namespace ?? k.namespace);
    },
    async deletePods(name, pods) {
      const k = await lazy.get();
      const { deletePods } = await import('./workers.js');
      return deletePods({ sdk: k.sdk, kc: k.kc, api: k.api, context: k.context }, pods, `cluster ${name}`).finally(() => state?.invalidate());
    },
  };

  return {
    name: 'builtin:kubernetes',
    apiVersion: DUST_PLUGIN_API,
    description: 'Kubernetes: the pods of a kubeconfig context as nodes, shells and files over exec, worker-pod clusters',
    setup(api) {
      warn = (m) => api.log.warn(m);
      state = api.state;
      api.registerInventoryProvider(provider);
      api.registerTransport(transport);
      registerKubernetesClusters(api.state, clusters);
      // `cluster up|status|down` with `provider: k8s`, through the same call a third-party provider makes.
      api.registerClusterProvider(k8sClusterProvider({
        clusters, dustHome: api.state.dustHome,
        ...(options.readyTimeoutMs !== undefined ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
        specDefaults: {
          ...(settings.namespace !== undefined && settings.namespace !== '*' ? { namespace: settings.namespace } : {}),
          ...(options.clusterSpecDefaults ?? {}),
        },
      }));
    },
  };
}
