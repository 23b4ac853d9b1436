/**
 * What `cluster up|down|list --k8s` (a command of its own, elsewhere) calls: worker-pod clusters on the configured
 * Kubernetes context, with every manifest passing through the plugins' `pod:spec` handlers. Light on purpose
 * (types only): a command can import it on start-up without loading the Kubernetes code, let alone client-node.
 */
import type { ClusterState } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { ClusterPod, ClusterSummary, CreateWorkersResult, PodManifest, WorkerProgress } from './workers.js';

export interface CreatePodClusterOptions {
  /** The cluster: `dust/cluster` label and pod name prefix (`NAME-worker-0`). */
  name: string;
  /** How many pods to add (a cluster that exists grows; numbering continues). */
  count: number;
  /** Image of the first container (overrides the manifest's). */
  image?: string;
  /** A Pod manifest, or the path of a YAML/JSON file holding one (or a bare pod spec). */
  manifest?: PodManifest | string;
  /** `worker` (default), `head`, ...: the `dust/role` label and the middle of the pod names. */
  role?: string;
  /** Where the pods go. Default: the namespace dust lists, else (listing every namespace) the context's. */
  namespace?: string;
  /** How long to wait for the pods to be Running with a shell that answers. Default 180 s. */
  timeoutMs?: number;
  /** Runs before the plugins' `pod:spec` handlers (a command's own flags: `--gpu 1`). */
  mutate?: (manifest: PodManifest, index: number) => PodManifest | void | Promise<PodManifest | void>;
  onProgress?: (event: WorkerProgress) => void;
  /** Stop waiting (Ctrl-C): keep what is ready, delete the rest. */
  signal?: AbortSignal;
}

/** Where dust's pods are: the context, the namespace listed (undefined: every one), and where new pods go. */
export interface PodClusterTarget {
  context: string;
  server: string;
  namespace: string | undefined;
  /** The namespace `create` uses when none is given. */
  createNamespace: string;
}

export interface KubernetesClusters {
  target(): Promise<PodClusterTarget>;
  create(options: CreatePodClusterOptions): Promise<CreateWorkersResult>;
  /** Deletes every pod of the cluster (default: in the namespace listed, or every namespace); returns their names. */
  delete(name: string, options?: { namespace?: string }): Promise<string[]>;
  /** The dust clusters of pods (default: in the namespace listed, or every namespace); `heads`: with each head pod. */
  list(options?: { namespace?: string; heads?: boolean }): Promise<ClusterSummary[]>;
  /** The pods of one cluster, head first (default: in the namespace listed, or every namespace). */
  pods(name: string, options?: { namespace?: string }): Promise<ClusterPod[]>;
  /** Deletes these pods of a cluster (scaling it down); returns their names. */
  deletePods(name: string, pods: readonly { name: string; namespace: string }[]): Promise<string[]>;
}

export type { ClusterPod, ClusterSummary, CreateWorkersResult, PodManifest, WorkerProgress };

/** One per engine: every client's ClusterState leads to its engine's clusters. */
const byEngine = new WeakMap<object, KubernetesClusters>();

function engineOf(state: ClusterState): object {
  const engine = (state as { engine?: unknown }).engine;
  return typeof engine === 'object' && engine !== null ? engine : state;
}

/** Called by the Kubernetes plugin's setup (`api.state`). */
export function registerKubernetesClusters(state: ClusterState, clusters: KubernetesClusters): void {
  byEngine.set(engineOf(state), clusters);
}

/**
 * The worker-pod clusters of this dust's Kubernetes context (pass `ctx.state`). Throws `DUST_KUBE_NOT_ENABLED`
 * when Kubernetes is off in this session.
 */
export function kubernetesClusters(state: ClusterState): KubernetesClusters {
  const clusters = byEngine.get(engineOf(state));
  if (!clusters) {
    throw new DustError(ErrorCodes.KubeNotEnabled, 'Kubernetes is not enabled in this session', {
      hint: 'start dust with --kube-context NAME (or --kubeconfig FILE), or put `kubernetes: { enabled: true }` in the config (docs/kubernetes.md)',
    });
  }
  return clusters;
}
