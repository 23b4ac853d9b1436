import type { Instance, Tag } from '@aws-sdk/client-ec2';
import type { Progress } from '../../plugins/api.js';
import { DEFAULT_CLUSTER_TAG } from '../aws-settings.js';
import type { LifecycleDeps, LifecycleEvent, LifecycleStep } from './deps.js';
import { CLUSTER_ROLE_TAG, MANAGED_TAG, type NodeRole } from './names.js';

/** One node of a cluster as the lifecycle functions report it. */
export interface NodeInfo {
  /** The Name tag (`head`, `worker0`), else the instance id. */
  name: string;
  role: NodeRole | 'other';
  instanceId: string;
  state: string;
  instanceType: string;
  publicIp: string | undefined;
  privateIp: string | undefined;
  /** Where dust would SSH to: the public address, else the private one. */
  address: string | undefined;
  availabilityZone: string | undefined;
  lifecycle: 'spot' | 'on-demand';
  /** Why it is in its state (`Server.SpotInstanceTermination`, `Client.UserInitiatedShutdown`). */
  stateReason: { code: string; message: string } | undefined;
  launchTime: Date | undefined;
}

export const tagOf = (tags: readonly Tag[] | undefined, key: string): string | undefined => tags?.find((t) => t.Key === key)?.Value;

/** States an instance does not come back from. */
export const GONE_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

export function isGone(i: Instance): boolean {
  return GONE_STATES.has(i.State?.Name ?? '');
}

/** Whether a resource carries dust's own tags for this cluster (dust tags only what it creates). */
export function managedBy(tags: readonly Tag[] | undefined, clusterTag: string, cluster: string): boolean {
  return tagOf(tags, MANAGED_TAG) === 'true' && tagOf(tags, clusterTag) === cluster;
}

export function roleOf(i: Instance): NodeRole | 'other' {
  const role = tagOf(i.Tags, CLUSTER_ROLE_TAG);
  return role === 'head' || role === 'worker' ? role : 'other';
}

export function nodeInfo(i: Instance): NodeInfo {
  const publicIp = i.PublicIpAddress;
  const privateIp = i.PrivateIpAddress;
  return {
    name: tagOf(i.Tags, 'Name') ?? i.InstanceId ?? '?',
    role: roleOf(i),
    instanceId: i.InstanceId ?? '?',
    state: i.State?.Name ?? 'unknown',
    instanceType: String(i.InstanceType ?? '?'),
    publicIp,
    privateIp,
    address: publicIp ?? privateIp,
    availabilityZone: i.Placement?.AvailabilityZone,
    lifecycle: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    stateReason: i.StateReason?.Code ? { code: i.StateReason.Code, message: i.StateReason.Message ?? '' } : undefined,
    launchTime: i.LaunchTime,
  };
}

/** Node names sort as people count: head first, then worker2 before worker10. */
export function byNodeName(a: { name: string; role: string }, b: { name: string; role: string }): number {
  if (a.role !== b.role) return a.role === 'head' ? -1 : b.role === 'head' ? 1 : a.role.localeCompare(b.role);
  return a.name.localeCompare(b.name, undefined, { numeric: true });
}

/** The AWS error code behind a translated DustError (its cause is the SDK's error, whose name is the code). */
export function awsCodeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { name?: unknown; Code?: unknown } } | undefined)?.cause;
  if (typeof cause?.Code === 'string') return cause.Code;
  if (typeof cause?.name === 'string') return cause.name;
  return undefined;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The settings every lifecycle call resolves the same way. */
export function settingsOf(deps: LifecycleDeps): {
  clusterTag: string;
  now: () => Date;
  emit: (step: LifecycleStep, phase: LifecycleEvent['phase'], message: string) => void;
} {
  return {
    clusterTag: deps.clusterTag && deps.clusterTag.trim() !== '' ? deps.clusterTag.trim() : DEFAULT_CLUSTER_TAG,
    now: deps.now ?? (() => new Date()),
    emit: (step, phase, message) => {
      try {
        deps.onProgress?.({ step, phase, message });
      } catch {
        // A progress display that throws must not break provisioning half-way.
      }
    },
  };
}

/** waitForState's progress line, forwarded to the lifecycle callback. */
export function progressFor(emit: (step: LifecycleStep, phase: LifecycleEvent['phase'], message: string) => void, step: LifecycleStep): Progress {
  return {
    update: (text) => emit(step, 'wait', text),
    done: (text) => {
      if (text !== undefined) emit(step, 'done', text);
    },
  };
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
