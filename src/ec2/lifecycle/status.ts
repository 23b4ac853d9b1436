import type { Instance } from '@aws-sdk/client-ec2';
import type { Ec2ClusterSpec } from '../../clusters/spec.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { listInstances } from '../inventory-provider.js';
import type { LifecycleDeps } from './deps.js';
import { byNodeName, chunks, isGone, managedBy, type NodeInfo, nodeInfo, plural, settingsOf } from './common.js';
import { type ClusterState, readClusterState, stateFile } from './state.js';

/** A cluster as it is now, next to what its spec asked for. */
export interface ClusterStatus {
  name: string;
  region: string;
  /** The state file, when the cluster was brought up from a spec on this machine. */
  stateFile: string | undefined;
  /** What the spec asked for (from the state file). */
  spec: Ec2ClusterSpec | undefined;
  /** The head: the live one, else the most recent one EC2 still lists (terminated, with its reason). */
  head: NodeInfo | undefined;
  /** Every worker EC2 still lists, live first, by name (terminated ones carry the reason they went). */
  workers: NodeInfo[];
  /** Instances with the cluster tag that dust did not launch from a spec (e.g. `cluster up --nodes`). */
  others: NodeInfo[];
  resources: Pick<ClusterState, 'keyPair' | 'securityGroup' | 'placementGroup'>;
  /** The head is running. */
  ready: boolean;
  /** Workers running now. */
  runningWorkers: number;
  /** Where the cluster differs from its spec, one line each (empty when it matches). */
  drift: string[];
}

const LIVE = (n: NodeInfo) => n.state !== 'terminated' && n.state !== 'shutting-down';

function reasonText(n: NodeInfo): string {
  return n.stateReason ? `: ${n.stateReason.code}` : '';
}

/**
 * The data behind `cluster status`: per node state, addresses and lifecycle, and the drift from the
 * spec (fewer workers running than asked, a head that is not running, spot nodes EC2 took back).
 * Read-only: it only describes.
 */
export async function clusterStatus(name: string, deps: LifecycleDeps): Promise<ClusterStatus> {
  const settings = settingsOf(deps);
  const state = readClusterState(deps.dustHome, name);
  const region = state?.region ?? deps.defaultRegion;
  if (region === undefined) {
    throw new DustError(ErrorCodes.ClusterState, `cluster status ${name}: no state file and no region to look in`, { hint: 'give dust a region (--region, AWS_REGION)' });
  }
  const clusterTag = state?.clusterTag ?? settings.clusterTag;
  const client = await deps.client(region);
  const byTag = await listInstances(client, { filters: [{ Name: `tag:${clusterTag}`, Values: [name] }] });
  const known = new Set(byTag.map((i) => i.InstanceId));
  const recorded = (state?.launches ?? []).flatMap((l) => l.instanceIds).filter((id) => id !== '' && !known.has(id));
  const extra: Instance[] = [];
  for (const ids of chunks(recorded, 200)) extra.push(...(await listInstances(client, { filters: [{ Name: 'instance-id', Values: ids }] })));
  const all = [...byTag, ...extra];

  const ours = all.filter((i) => managedBy(i.Tags, clusterTag, name)).map(nodeInfo);
  const others = all.filter((i) => !managedBy(i.Tags, clusterTag, name) && !isGone(i)).map(nodeInfo).sort(byNodeName);
  const newestFirst = (a: NodeInfo, b: NodeInfo) => (b.launchTime?.getTime() ?? 0) - (a.launchTime?.getTime() ?? 0);
  const heads = ours.filter((n) => n.role === 'head');
  const head = heads.find(LIVE) ?? [...heads].sort(newestFirst)[0];
  const workers = ours.filter((n) => n.role === 'worker').sort((a, b) => (LIVE(a) === LIVE(b) ? byNodeName(a, b) : LIVE(a) ? -1 : 1));
  const liveWorkers = workers.filter(LIVE);
  const running = liveWorkers.filter((n) => n.state === 'running');

  const drift: string[] = [];
  const spec = state?.spec;
  if (!state && all.length > 0) drift.push(`no state file: this cluster was not brought up from a spec on this machine (or its state was lost)`);
  if (spec) {
    if (!head || !LIVE(head)) drift.push(`no head${head ? ` (${head.instanceId} ${head.state}${reasonText(head)})` : ''}: \`cluster up\` launches one`);
    else if (head.state !== 'running') drift.push(`the head is ${head.state}${reasonText(head)}`);
    const asked = spec.workers.count;
    if (running.length < asked) {
      const gone = workers.filter((n) => !LIVE(n) && !liveWorkers.some((l) => l.name === n.name));
      const starting = liveWorkers.filter((n) => n.state !== 'running');
      const details = [
        ...starting.map((n) => `${n.name} ${n.state}${reasonText(n)}`),
        ...gone.map((n) => `${n.name} ${n.state}${reasonText(n)}`),
      ];
      const missing = asked - liveWorkers.length;
      drift.push(`${running.length} of ${plural(asked, 'worker')} running${details.length > 0 ? ` (${details.join(', ')})` : ''}${missing > 0 ? `: \`cluster up\` replaces the ${missing} missing` : ''}`);
    } else if (liveWorkers.length > asked) {
      drift.push(`${plural(liveWorkers.length, 'worker')}, the spec asks for ${asked}`);
    }
    // dust never replaces a running node to change its type: say so instead.
    const wrongType = [...(head && LIVE(head) ? [head] : []), ...liveWorkers].filter((n) => n.instanceType !== (n.role === 'head' ? spec.head.type : spec.workers.type));
    if (wrongType.length > 0) {
      drift.push(`${wrongType.map((n) => `${n.name} is ${n.instanceType}`).join(', ')}, the spec asks for ${[...new Set(wrongType.map((n) => (n.role === 'head' ? spec.head.type : spec.workers.type)))].join('/')}: terminate ${wrongType.length === 1 ? 'it' : 'them'} and \`cluster up\` to replace`);
    }
  }
  if (others.length > 0) drift.push(`${plural(others.length, 'instance')} with the cluster tag not launched from the spec: ${others.map((n) => n.name).join(', ')}`);

  return {
    name,
    region,
    stateFile: state ? stateFile(deps.dustHome, name) : undefined,
    spec,
    head,
    workers,
    others,
    resources: { ...(state?.keyPair ? { keyPair: state.keyPair } : {}), ...(state?.securityGroup ? { securityGroup: state.securityGroup } : {}), ...(state?.placementGroup ? { placementGroup: state.placementGroup } : {}) },
    ready: head?.state === 'running',
    runningWorkers: running.length,
    drift,
  };
}
