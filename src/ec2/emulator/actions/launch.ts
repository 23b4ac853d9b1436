import { Ec2Errors } from '../errors.js';
import { newId, newSpotRequestId } from '../ids.js';
import { enterState, USER_SHUTDOWN, userInitiatedReason } from '../lifecycle.js';
import type {
  GroupRef, ImageRecord, InstanceRecord, InstanceStateName, PlacementRef, RegionState, SpotLaunch, SubnetRecord,
} from '../model.js';
import { SPOT_PRODUCTS } from '../spot-prices.js';
import type { EmulatorEnv } from './context.js';

/** Tag that pins an instance's public address when set at launch (RunInstances TagSpecifications). */
export const PIN_PUBLIC_IP_TAG = 'emulator:public-ip';
/** Tag that pins an instance's private address when set at launch. */
export const PIN_PRIVATE_IP_TAG = 'emulator:private-ip';

/** Everything needed to create instances; RunInstances and seeding both build one. */
export interface LaunchPlan {
  image: ImageRecord | undefined;
  imageId: string;
  instanceType: string;
  keyName: string | undefined;
  subnet: SubnetRecord;
  vpcId: string;
  groups: GroupRef[];
  tags: ReadonlyMap<string, string>;
  clientToken: string | undefined;
  /** Digest of the RunInstances parameters, kept with the ClientToken (IdempotentParameterMismatch). */
  requestDigest: string;
  userData: string | undefined;
  /** Spot market options; each instance gets its own spot request. */
  spot: Omit<SpotLaunch, 'requestId'> | undefined;
  /** TagSpecifications with ResourceType spot-instances-request. */
  spotRequestTags?: ReadonlyMap<string, string>;
  /** The placement group; `partitionNumber` undefined = spread over the partitions. */
  placement: (Omit<PlacementRef, 'partitionNumber'> & { partitionNumber: number | undefined; partitionCount: number | undefined }) | undefined;
  /** A pinned public address, `null` for none at all, `undefined` to draw from the pool. */
  publicIp: string | null | undefined;
  privateIp: string | undefined;
  wantsPublicIp: boolean;
  extraDeviceNames: readonly string[];
  initialState: InstanceStateName;
  launchTime: number;
}

function randomMac(): string {
  const bytes = newId('eni').slice(4, 14);
  return `0e:${bytes.match(/../g)?.join(':') ?? '00:00:00:00:00'}`;
}

/** States in which an instance holds a public address (if it wants one). */
const HOLDS_PUBLIC_IP: ReadonlySet<InstanceStateName> = new Set(['pending', 'running', 'stopping']);

/**
 * Creates up to `maxCount` instances in one reservation (at least `minCount`, else nothing is created
 * and InsufficientFreeAddressesInSubnet is raised: the private pool is the only capacity limit).
 */
export function launchInstances(
  region: RegionState,
  env: EmulatorEnv,
  plan: LaunchPlan,
  minCount: number,
  maxCount: number,
  now: number,
): InstanceRecord[] {
  const reservationId = newId('r');
  const created: InstanceRecord[] = [];
  for (let index = 0; index < maxCount; index++) {
    let privateIp = plan.privateIp;
    if (privateIp !== undefined) env.privatePool.reserve(privateIp);
    else privateIp = env.privatePool.allocate();
    if (privateIp === undefined) break;
    created.push(buildInstance(region, env, plan, reservationId, index, privateIp, now, created));
  }
  if (created.length < minCount || created.length === 0) {
    for (const i of created) {
      env.privatePool.release(i.privateIp);
      env.publicPool.release(i.publicIp);
    }
    throw Ec2Errors.noFreeAddresses();
  }
  for (const i of created) {
    region.instances.set(i.id, i);
    if (i.spot) {
      region.spotRequests.set(i.spot.requestId, {
        id: i.spot.requestId,
        instanceId: i.id,
        type: i.spot.type,
        maxPrice: i.spot.maxPrice,
        interruptionBehavior: i.spot.interruptionBehavior,
        state: 'active',
        statusCode: 'fulfilled',
        statusMessage: 'Your spot request is fulfilled.',
        statusTime: now,
        createTime: now,
        instanceType: i.instanceType,
        availabilityZone: i.availabilityZone,
        imageId: i.imageId,
        productDescription: SPOT_PRODUCTS[0] as string,
        tags: new Map(plan.spotRequestTags),
      });
    }
  }
  if (plan.clientToken !== undefined) {
    region.clientTokens.set(plan.clientToken, { reservationId, requestDigest: plan.requestDigest });
  }
  return created;
}

function buildInstance(
  region: RegionState,
  env: EmulatorEnv,
  plan: LaunchPlan,
  reservationId: string,
  launchIndex: number,
  privateIp: string,
  now: number,
  siblings: readonly InstanceRecord[],
): InstanceRecord {
  const rootDeviceName = plan.image?.rootDeviceName ?? '/dev/xvda';
  const deviceNames = [rootDeviceName, ...plan.extraDeviceNames.filter((d) => d !== rootDeviceName)];
  const instance: InstanceRecord = {
    seq: region.nextSeq++,
    id: newId('i'),
    reservationId,
    imageId: plan.imageId,
    instanceType: plan.instanceType,
    keyName: plan.keyName,
    launchIndex,
    launchTime: plan.launchTime,
    clientToken: plan.clientToken,
    availabilityZone: plan.subnet.availabilityZone,
    vpcId: plan.vpcId,
    subnetId: plan.subnet.id,
    groups: plan.groups.map((g) => ({ ...g })),
    architecture: plan.image?.architecture ?? 'x86_64',
    platformDetails: plan.image?.platformDetails ?? 'Linux/UNIX',
    rootDeviceName,
    blockDevices: deviceNames.map((deviceName) => ({
      deviceName,
      volumeId: newId('vol'),
      attachTime: plan.launchTime,
      deleteOnTermination: deviceName === rootDeviceName,
    })),
    networkInterfaceId: newId('eni'),
    attachmentId: newId('eni-attach'),
    macAddress: randomMac(),
    privateIp,
    privateIpPinned: plan.privateIp !== undefined,
    publicIp: undefined,
    publicIpPinned: typeof plan.publicIp === 'string',
    wantsPublicIp: plan.publicIp !== null && plan.wantsPublicIp,
    state: plan.initialState,
    stateSince: now,
    transitionReason: '',
    stateReason: undefined,
    tags: new Map(plan.tags),
    userData: plan.userData,
    spot: plan.spot ? { ...plan.spot, requestId: newSpotRequestId() } : undefined,
    placement: plan.placement
      ? {
          groupName: plan.placement.groupName,
          groupId: plan.placement.groupId,
          partitionNumber: plan.placement.partitionNumber ?? leastUsedPartition([...region.instances.values(), ...siblings], plan.placement.groupId, plan.placement.partitionCount),
        }
      : undefined,
  };
  enterState(instance, plan.initialState, now);
  if (plan.initialState === 'stopped' || plan.initialState === 'terminated') {
    instance.stateReason = USER_SHUTDOWN;
    instance.transitionReason = userInitiatedReason(now);
  }
  if (plan.initialState === 'terminated') {
    env.privatePool.release(privateIp);
  } else {
    const holdsPublic =
      HOLDS_PUBLIC_IP.has(plan.initialState) || instance.publicIpPinned || !env.releasePublicIpOnStop;
    if (holdsPublic) assignPublicIp(instance, env, typeof plan.publicIp === 'string' ? plan.publicIp : undefined);
  }
  return instance;
}

/** Partition strategy: the partition with the fewest live instances (1-based); undefined for other strategies. */
function leastUsedPartition(instances: readonly InstanceRecord[], groupId: string, partitionCount: number | undefined): number | undefined {
  if (partitionCount === undefined) return undefined;
  const used = new Array<number>(partitionCount).fill(0);
  for (const i of instances) {
    const n = i.placement?.groupId === groupId && i.state !== 'terminated' ? i.placement.partitionNumber : undefined;
    if (n !== undefined && n >= 1 && n <= partitionCount) used[n - 1] = (used[n - 1] ?? 0) + 1;
  }
  return used.indexOf(Math.min(...used)) + 1;
}

/** Gives a running-bound instance its public address: the pinned one, or the next from the pool (or none if exhausted). */
export function assignPublicIp(instance: InstanceRecord, env: EmulatorEnv, pinned?: string): void {
  if (!instance.wantsPublicIp || instance.publicIp !== undefined) return;
  if (pinned !== undefined) {
    env.publicPool.reserve(pinned);
    instance.publicIp = pinned;
  } else {
    instance.publicIp = env.publicPool.allocate();
  }
}
