/**
 * Listing and watching pods: a paginated LIST (`limit` + `continue`, restarted when the continue token expires),
 * and a reflector (list, then watch from the list's resourceVersion; re-watch when the server ends the watch,
 * re-list on 410 Gone, back off on errors) that keeps a live map of pods, as client-go's informers do.
 */
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { DustError } from '../errors/dust-error.js';
import { httpFailure, translateKubeError } from './errors.js';
import type { PodLike } from './pod-node.js';
import type { KubeSdk } from './sdk.js';

/** Which pods: one namespace (or every one) and optional selectors in the API's syntax. */
export interface PodScope {
  /** undefined = every namespace. */
  namespace: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

interface PodListPage {
  items: PodLike[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}

/** Every pod in scope, page by page. A continue token that expired mid-way (410) restarts the list once. */
export async function listPodsPaged(api: CoreV1Api, scope: PodScope, pageSize = 500): Promise<{ pods: PodLike[]; resourceVersion: string }> {
  for (let attempt = 0; ; attempt++) {
    const pods: PodLike[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    try {
      do {
        const common = {
          ...(scope.labelSelector ? { labelSelector: scope.labelSelector } : {}),
          ...(scope.fieldSelector ? { fieldSelector: scope.fieldSelector } : {}),
          limit: pageSize,
          ...(token ? { _continue: token } : {}),
        };
        const page = (scope.namespace === undefined
          ? await api.listPodForAllNamespaces(common)
          : await api.listNamespacedPod({ namespace: scope.namespace, ...common })) as unknown as PodListPage;
        pods.push(...page.items);
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        token = page.metadata?._continue ?? page.metadata?.continue;
        if (token === '') token = undefined;
      } while (token !== undefined);
      return { pods, resourceVersion };
    } catch (err) {
      if (attempt === 0 && token !== undefined && httpFailure(err)?.statusCode === 410) continue;
      throw err;
    }
  }
}

/** The API path of a pod collection. */
export function podsPath(namespace: string | undefined): string {
  return namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
}

const key = (pod: PodLike): string => `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;

export interface PodReflectorOptions {
  sdk: KubeSdk;
  kc: KubeConfig;
  api: CoreV1Api;
  scope: PodScope;
  pageSize?: number;
  /** Called after the cache changed (a list that differs, or any watch event). */
  onChange: () => void;
  /** Called when listing or watching failed; the reflector retries with backoff. */
  onError?: (err: DustError) => void;
  /** First and longest wait between failed attempts. Default 500 ms and 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** For messages. */
  context?: string;
  /** How long the server keeps one watch open (default 5–10 minutes, random). */
  watchTimeoutSeconds?: number;
}

/**
 * A live copy of the pods in scope. `start()` resolves after the first successful list (or rejects with why it
 * failed); afterwards the reflector keeps itself up to date until `stop()`.
 */
export class PodReflector {
  private readonly pods = new Map<string, PodLike>();
  private stopped = false;
  private controller: AbortController | undefined;
  private synced = false;
  private wake: (() => void) | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly options: PodReflectorOptions) {}

  /** Whether the cache reflects the server (false before the first list and while re-listing after a failure). */
  get isSynced(): boolean {
    return this.synced && !this.stopped;
  }

  snapshot(): PodLike[] {
    return [...this.pods.values()];
  }

  start(): Promise<void> {
    this.started ??= new Promise<void>((resolve, reject) => {
      void this.run(resolve, reject);
    });
    return this.started;
  }

  stop(): void {
    this.stopped = true;
    this.synced = false;
    this.controller?.abort();
    this.wake?.();
  }

  private async run(firstSynced: () => void, firstFailed: (err: unknown) => void): Promise<void> {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    let delay = initialMs;
    let first = true;
    while (!this.stopped) {
      try {
        const { pods, resourceVersion } = await listPodsPaged(this.options.api, this.options.scope, this.options.pageSize);
        if (this.stopped) return;
        this.replace(pods);
        this.synced = true;
        if (first) {
          first = false;
          firstSynced();
        }
        delay = initialMs;
        let rv = resourceVersion;
        let quickEnds = 0;
        // Re-watch from the last version seen until the server says it is too old (then re-list) or fails.
        for (;;) {
          const began = Date.now();
          const outcome = await this.watchOnce(rv, (next) => {
            rv = next;
          });
          if (this.stopped) return;
          if (outcome === 'expired') break;
          if (outcome instanceof Error) throw outcome;
          // A proxy that ends every watch at once must not turn this loop into a request storm.
          quickEnds = Date.now() - began < 1000 ? quickEnds + 1 : 0;
          if (quickEnds > 1) await this.sleep(Math.min(maxMs, initialMs * 2 ** Math.min(quickEnds, 10)));
          if (this.stopped) return;
        }
      } catch (err) {
        if (this.stopped) return;
        this.synced = false;
        const error = translateKubeError(err, 'watch pods', this.options.context ? { context: this.options.context } : {});
        if (first) {
          first = false;
          firstFailed(error);
        }
        this.options.onError?.(error);
        await this.sleep(delay);
        delay = Math.min(maxMs, delay * 2);
      }
    }
  }

  private watchOnce(resourceVersion: string, advance: (rv: string) => void): Promise<'ended' | 'expired' | Error> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: 'ended' | 'expired' | Error): void => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const watch = new this.options.sdk.Watch(this.options.kc);
      // The server ends the watch after 5-10 minutes (client-go's spread), so a connection that died without a
      // word is noticed and replaced instead of leaving the copy silently stale.
      const params: Record<string, string | boolean | number> = {
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
      };
      if (this.options.scope.labelSelector) params['labelSelector'] = this.options.scope.labelSelector;
      if (this.options.scope.fieldSelector) params['fieldSelector'] = this.options.scope.fieldSelector;
      watch
        .watch(
          podsPath(this.options.scope.namespace),
          params,
          (type: string, object: unknown) => {
            const pod = object as PodLike & { code?: number; message?: string };
            if (type === 'ERROR') {
              if (pod.code === 410) finish('expired');
              else finish(new Error(`watch error: ${pod.message ?? 'unknown'}`));
              this.controller?.abort();
              return;
            }
            const rv = pod.metadata?.resourceVersion;
            if (rv) advance(rv);
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') this.pods.delete(key(pod));
            else this.pods.set(key(pod), pod);
            this.notify();
          },
          (err: unknown) => finish(err ? (err instanceof Error ? err : new Error(String(err))) : 'ended'),
        )
        .then(
          (controller) => {
            this.controller = controller;
            if (this.stopped) controller.abort();
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
    });
  }

  private replace(pods: PodLike[]): void {
    const next = new Map(pods.map((p) => [key(p), p] as const));
    let changed = next.size !== this.pods.size;
    if (!changed) {
      for (const [k, p] of next) {
        if (this.pods.get(k)?.metadata?.resourceVersion !== p.metadata?.resourceVersion) {
          changed = true;
          break;
        }
      }
    }
    this.pods.clear();
    for (const [k, p] of next) this.pods.set(k, p);
    if (changed) this.notify();
  }

  private notify(): void {
    try {
      this.options.onChange();
    } catch {
      // a listener's failure must not stop the watch
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
