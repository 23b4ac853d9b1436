import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { DustError } from '../errors/dust-error.js';
import type { ExecProtocol } from './exec-protocol.js';
import { KubernetesInventoryProvider } from './inventory-provider.js';
import { loadKubeconfig } from './kubeconfig.js';
import { loadKubeSdk, type KubeSdk } from './sdk.js';
import { KubernetesTransport } from './transport.js';

export interface KubernetesIntegrationOptions {
  /** Kubeconfig path(s), `:`-separated (default: KUBECONFIG, else ~/.kube/config, else in-cluster). */
  kubeconfig?: string | undefined;
  /** Context (default: the kubeconfig's current-context). */
  context?: string | undefined;
  /** Namespace (default: the context's, else `default`); `*` lists every namespace. */
  namespace?: string | undefined;
  /** Label selector in the API's syntax (`app=web,tier!=db`): only these pods become nodes. */
  selector?: string | undefined;
  /** LIST page size. Default 500. */
  pageSize?: number | undefined;
  /** WebSocket keepalive for exec streams (0 = off). Default 30 s. */
  keepaliveMs?: number | undefined;
  /** Exec subprotocols to offer (default v5, then v4). */
  protocols?: readonly ExecProtocol[] | undefined;
  /** How long a command may take to start once its exec stream is open. Default 30 s. */
  startTimeoutMs?: number | undefined;
  /** Exec streams being opened at once. Default 32. */
  maxConcurrentStarts?: number | undefined;
  /** Pauses before retrying an exec the API server throttled (429/503). Default 0.5, 1, 2, 4 s. */
  throttleBackoffMs?: readonly number[] | undefined;
  /** Told when the pod watch fails (it retries by itself). */
  onWatchError?: (err: DustError) => void;
  env?: NodeJS.ProcessEnv;
}

export interface KubernetesIntegration {
  provider: KubernetesInventoryProvider;
  transport: KubernetesTransport;
  /** The resolved context, namespace (undefined = all) and API server. */
  context: string;
  namespace: string | undefined;
  server: string;
  /** For the workers library and plugins: the loaded SDK, kubeconfig and core API client. */
  sdk: KubeSdk;
  kc: KubeConfig;
  api: CoreV1Api;
  close(): Promise<void>;
}

/**
 * Everything dust needs to treat the pods of one kubeconfig context as nodes: an inventory provider (pods as
 * nodes, kept live by a watch once subscribed) and a transport (shells, commands and files over exec). Loads
 * client-node on the first call: nothing of it is loaded before Kubernetes is configured and used.
 */
export async function createKubernetesIntegration(options: KubernetesIntegrationOptions = {}): Promise<KubernetesIntegration> {
  const sdk = await loadKubeSdk();
  const resolved = loadKubeconfig(sdk, {
    kubeconfig: options.kubeconfig,
    context: options.context,
    namespace: options.namespace,
    ...(options.env ? { env: options.env } : {}),
  });
  const api = resolved.kc.makeApiClient(sdk.CoreV1Api);
  const provider = new KubernetesInventoryProvider({
    sdk,
    kc: resolved.kc,
    api,
    context: resolved.context,
    scope: { namespace: resolved.namespace, labelSelector: options.selector },
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.onWatchError ? { onWatchError: options.onWatchError } : {}),
  });
  const transport = new KubernetesTransport({
    kc: resolved.kc,
    api,
    context: resolved.context,
    ...(options.protocols ? { protocols: options.protocols } : {}),
    ...(options.keepaliveMs !== undefined ? { keepaliveMs: options.keepaliveMs } : {}),
    ...(options.maxConcurrentStarts !== undefined ? { maxConcurrentStarts: options.maxConcurrentStarts } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    ...(options.throttleBackoffMs !== undefined ? { throttleBackoffMs: options.throttleBackoffMs } : {}),
  });
  return {
    provider,
    transport,
    context: resolved.context,
    namespace: resolved.namespace,
    server: resolved.server,
    sdk,
    kc: resolved.kc,
    api,
    close: async () => {
      await provider.close();
      await transport.close();
    },
  };
}
