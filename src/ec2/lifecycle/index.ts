/**
 * Clusters from a spec on EC2, as a library: `up` provisions (idempotently), `down` removes exactly
 * what `up` created, `clusterStatus` compares what runs with what the spec asked for. The `cluster`
 * commands are thin wrappers around these.
 */
export { up, createdSoFar, type UpResult } from './up.js';
export { down, type DownResult } from './down.js';
export { clusterStatus, type ClusterStatus } from './status.js';
export type { LifecycleDeps, LifecycleEvent, LifecycleStep } from './deps.js';
export type { NodeInfo } from './common.js';
export { CLUSTER_ROLE_TAG, MANAGED_TAG, HEAD_NAME, launchToken, resourceName, workerName, type NodeRole } from './names.js';
export {
  ClusterStateSchema, clustersDir, deleteClusterState, listClusterStates, readClusterState, stateFile, writeClusterState,
  type ClusterState, type LaunchRecord,
} from './state.js';
export { privateKeyFor, readLocalPublicKey, sameFingerprint, type LocalPublicKey } from './public-key.js';
