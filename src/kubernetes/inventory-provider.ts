import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { DustError } from '../errors/dust-error.js';
import type { InventoryProvider, NodeDraft } from '../inventory/provider.js';
import { translateKubeError } from './errors.js';
import { disambiguatePodNames, type PodLike, podToDraft } from './pod-node.js';
import { listPodsPaged, PodReflector, type PodScope } from './pod-watch.js';
import type { KubeSdk } from './sdk.js';

export interface KubernetesInventoryProviderOptions {
  sdk: KubeSdk;
  kc: KubeConfig;
  api: CoreV1Api;
  /** The kubeconfig context (each node's `props.context`). */
  context: string;
  scope: PodScope;
  /** LIST page size. Default 500. */
  pageSize?: number;
  /** Provider name (`show -v` source column, inventory de-duplication). Default `kubernetes`. */
  name?: string;
  /** "now" for ages. Default Date.now. */
  now?: () => number;
  /** Told when the watch behind `subscribe` fails (it keeps retrying). */
  onWatchError?: (err: DustError) => void;
}

/**
 * The pods of one kubeconfig context (one namespace or all, optionally a label selector) as nodes. `list()`
 * pages through LIST; once someone `subscribe`s, a watch keeps a live copy, `list()` answers from it, and every
 * change (a pod added, Running, deleted) tells the subscribers so the inventory drops its cache.
 */
export class KubernetesInventoryProvider implements InventoryProvider {
  readonly name: string;
  private reflector: PodReflector | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: KubernetesInventoryProviderOptions) {
    this.name = options.name ?? 'kubernetes';
  }

  async list(): Promise<NodeDraft[]> {
    const pods = this.reflector?.isSynced ? this.reflector.snapshot() : await this.listFromServer();
    const now = (this.options.now ?? Date.now)();
    const drafts = pods.map((p) => podToDraft(p, { context: this.options.context, now }));
    return disambiguatePodNames(drafts);
  }

  subscribe(changed: () => void): () => void {
    this.listeners.add(changed);
    if (!this.reflector) {
      this.reflector = new PodReflector({
        sdk: this.options.sdk,
        kc: this.options.kc,
        api: this.options.api,
        scope: this.options.scope,
        context: this.options.context,
        ...(this.options.pageSize !== undefined ? { pageSize: this.options.pageSize } : {}),
        onChange: () => {
          for (const l of [...this.listeners]) l();
        },
        ...(this.options.onWatchError ? { onError: this.options.onWatchError } : {}),
      });
      // A failing first list is reported through onWatchError and retried; list() falls back to LIST meanwhile.
      this.reflector.start().catch(() => {});
    }
    return () => {
      this.listeners.delete(changed);
      if (this.listeners.size === 0) {
        this.reflector?.stop();
        this.reflector = undefined;
      }
    };
  }

  /** Resolves once the watch has its first full list (tests; callers that want a warm cache). */
  async ready(): Promise<void> {
    await this.reflector?.start();
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.reflector?.stop();
    this.reflector = undefined;
  }

  private async listFromServer(): Promise<PodLike[]> {
    try {
      return (await listPodsPaged(this.options.api, this.options.scope, this.options.pageSize)).pods;
    } catch (err) {
      throw translateKubeError(err, 'list pods', { context: this.options.context, server: this.options.kc.getCurrentCluster()?.server ?? '' });
    }
  }
}
