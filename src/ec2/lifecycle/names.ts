import { createHash } from 'node:crypto';

/**
 * Names and tags of what `cluster up` creates. Everything dust creates for a cluster carries the
 * cluster tag (so `cluster list`, targets and `show cluster=NAME` see it) and MANAGED_TAG; dust tags
 * nothing it did not create, so those two tags are also how `cluster down` recognises its own
 * resources when the state file is gone.
 */

/** Tag saying whether an instance is its cluster's head/master or a worker (shared with the `cluster` command). */
export const CLUSTER_ROLE_TAG = 'dust:cluster-role';
/** Tag on every resource dust created from a spec (value `true`). */
export const MANAGED_TAG = 'dust:managed';

export type NodeRole = 'head' | 'worker';

/** The name of the cluster's key pair, security group and placement group. */
export function resourceName(cluster: string): string {
  return `dust-${cluster}`;
}

/** Node names: `head`, `worker0`, `worker1`, … (the Name tag). */
export function workerName(index: number): string {
  return `worker${index}`;
}
export const HEAD_NAME = 'head';

/** The tags dust puts on a resource it creates for `cluster`. */
export function clusterTags(clusterTag: string, cluster: string, extra: Record<string, string> = {}): { Key: string; Value: string }[] {
  return [{ Key: clusterTag, Value: cluster }, { Key: MANAGED_TAG, Value: 'true' }, ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value }))];
}

/**
 * The RunInstances ClientToken of one launch: derived from the cluster, its region, the cluster's
 * launch id (new for every cluster brought up from nothing, so an old cluster's tokens never answer
 * for a new one), the role and the launch's sequence number. A retried or repeated launch sends the
 * same token, and EC2 answers with the instances it already launched.
 */
export function launchToken(cluster: string, region: string, launchId: string, role: NodeRole, seq: number): string {
  const digest = createHash('sha256').update(`${cluster}\u0000${region}\u0000${launchId}\u0000${role}\u0000${seq}`).digest('hex');
  // EC2 allows 64 ASCII characters.
  return `dust-${role}-${seq}-${digest.slice(0, 40)}`;
}
