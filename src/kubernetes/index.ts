/**
 * Kubernetes pods as dust nodes. Import `createKubernetesIntegration` (it loads client-node lazily); the
 * emulator lives in `./emulator/index.js`, the worker-pod library in `./workers.js`.
 */
export { createKubernetesIntegration, type KubernetesIntegration, type KubernetesIntegrationOptions } from './integration.js';
export { KubernetesConfigSchema, type KubernetesConfig } from './config.js';
export { KubernetesInventoryProvider, type KubernetesInventoryProviderOptions } from './inventory-provider.js';
export { KubernetesTransport, type KubernetesTransportOptions } from './transport.js';
export { CLUSTER_LABEL, defaultContainer, disambiguatePodNames, type PodLike, podState, podToDraft } from './pod-node.js';
export { listPodsPaged, PodReflector, type PodScope } from './pod-watch.js';
export { loadKubeconfig, type ResolvedKubeconfig } from './kubeconfig.js';
export { kubeSdkLoaded, loadKubeSdk, type KubeSdk } from './sdk.js';
export { EXEC_PROTOCOLS, type ExecProtocol } from './exec-protocol.js';
export { translateKubeError } from './errors.js';
export {
  type ClusterSummary, createWorkers, type CreateWorkersOptions, type CreateWorkersResult, deleteCluster, listClusters,
  readPodManifest, type WorkerFailure, type WorkerProgress,
} from './workers.js';
