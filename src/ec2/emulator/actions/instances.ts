import { createHash } from 'node:crypto';
import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { IMAGE_ID } from '../ids.js';
import { enterState } from '../lifecycle.js';
import { STATE_CODES, type InstanceRecord, type InstanceStateName } from '../model.js';
import { paginate, readPageRequest } from '../pagination.js';
import { onDemandPrice } from '../spot-prices.js';
import type { XmlObject } from '../xml.js';
import { type ActionContext, type ActionHandler, liveInstances, resolveInstances, settleRegion } from './context.js';
import { instanceXml, privateDnsName, publicDnsName, stateXml } from './instance-xml.js';
import { assignPublicIp, launchInstances, type LaunchPlan, PIN_PRIVATE_IP_TAG, PIN_PUBLIC_IP_TAG } from './launch.js';
import { placementGroupById, placementGroupByName } from './placement-groups.js';
import { resolveGroups, resolveSubnet, validateNewTags } from './resolve.js';
import { checkSpotPrice, parsePrice, setSpotRequestStatus, spotRequestOf } from './spot.js';

const hasNetwork = (i: InstanceRecord) => i.state !== 'terminated';

/** DescribeInstances filter names → instance values (what EC2 documents; `tag:*`, `tag-key`, `tag-value` are generic). */
export function instanceFilterTable(region: string, accountId: string): FilterTable<InstanceRecord> {
  return {
    'instance-id': (i) => i.id,
    'instance-state-name': (i) => i.state,
    'instance-state-code': (i) => STATE_CODES[i.state],
    'instance-type': (i) => i.instanceType,
    'image-id': (i) => i.imageId,
    'key-name': (i) => i.keyName,
    'availability-zone': (i) => i.availabilityZone,
    'ip-address': (i) => (hasNetwork(i) ? i.publicIp : undefined),
    'association.public-ip': (i) => (hasNetwork(i) ? i.publicIp : undefined),
    'private-ip-address': (i) => (hasNetwork(i) ? i.privateIp : undefined),
    'network-interface.addresses.private-ip-address': (i) => (hasNetwork(i) ? i.privateIp : undefined),
    'private-dns-name': (i) => (hasNetwork(i) ? privateDnsName(i.privateIp, region) : undefined),
    'dns-name': (i) => (hasNetwork(i) && i.publicIp ? publicDnsName(i.publicIp, region) : undefined),
    'reservation-id': (i) => i.reservationId,
    'owner-id': () => accountId,
    'subnet-id': (i) => (hasNetwork(i) ? i.subnetId : undefined),
    'vpc-id': (i) => (hasNetwork(i) ? i.vpcId : undefined),
    'instance.group-id': (i) => (hasNetwork(i) ? i.groups.map((g) => g.id) : undefined),
    'instance.group-name': (i) => (hasNetwork(i) ? i.groups.map((g) => g.name) : undefined),
    'group-id': (i) => (hasNetwork(i) ? i.groups.map((g) => g.id) : undefined),
    'group-name': (i) => (hasNetwork(i) ? i.groups.map((g) => g.name) : undefined),
    'network-interface.network-interface-id': (i) => (hasNetwork(i) ? i.networkInterfaceId : undefined),
    'launch-index': (i) => i.launchIndex,
    'launch-time': (i) => new Date(i.launchTime).toISOString(),
    architecture: (i) => i.architecture,
    'root-device-type': () => 'ebs',
    'root-device-name': (i) => i.rootDeviceName,
    'platform-details': (i) => i.platformDetails,
    'client-token': (i) => i.clientToken,
    hypervisor: () => 'xen',
    'virtualization-type': () => 'hvm',
    'tenancy': () => 'default',
    'placement-group-name': (i) => i.placement?.groupName,
    'placement-partition-number': (i) => i.placement?.partitionNumber,
    'instance-lifecycle': (i) => (i.spot ? 'spot' : undefined),
    'spot-instance-request-id': (i) => i.spot?.requestId,
    'monitoring-state': () => 'disabled',
    'state-reason-code': (i) => i.stateReason?.code,
    'state-reason-message': (i) => i.stateReason?.message,
    reason: (i) => i.transitionReason,
  };
}

/** Instances grouped back into their reservations, keeping order (pagination counts instances). */
function reservationsXml(ctx: ActionContext, instances: readonly InstanceRecord[]): XmlObject[] {
  const byReservation = new Map<string, InstanceRecord[]>();
  for (const i of instances) {
    const list = byReservation.get(i.reservationId);
    if (list) list.push(i);
    else byReservation.set(i.reservationId, [i]);
  }
  return [...byReservation.entries()].map(([reservationId, members]) => ({
    reservationId,
    ownerId: ctx.env.accountId,
    groupSet: [],
    instancesSet: members.map((i) => instanceXml(i, ctx.region.name, ctx.env.accountId)),
  }));
}

export const describeInstances: ActionHandler = (ctx) => {
  const ids = ctx.params.list('InstanceId');
  const pageRequest = readPageRequest(ctx.params);
  if (ids.length > 0 && pageRequest.maxResults !== undefined) {
    throw Ec2Errors.invalidParameterCombination('The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const matches = compileFilters(
    ctx.params.filters(),
    instanceFilterTable(ctx.region.name, ctx.env.accountId),
    (i) => i.tags,
    ctx.env.questionMark,
  );
  const candidates = ids.length > 0 ? resolveInstances(ctx, ids) : liveInstances(ctx);
  const selected = candidates.filter(matches).sort((a, b) => a.seq - b.seq);
  const { page, nextToken } = paginate(selected, (i) => i.seq, pageRequest);
  return { reservationSet: reservationsXml(ctx, page), nextToken };
};

function positiveCount(ctx: ActionContext, name: string): number {
  const value = ctx.params.int(name);
  if (value === undefined) throw Ec2Errors.missingParameter(name);
  if (value < 1) throw Ec2Errors.invalidParameterValue(`Value (${value}) for parameter ${name} is invalid. Expected a positive integer.`);
  return value;
}

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

export const runInstances: ActionHandler = (ctx) => {
  const { params, region, env } = ctx;
  // Settle first: instances that finished terminating give their addresses back before we allocate.
  settleRegion(region, env, ctx.now);
  const maxCount = positiveCount(ctx, 'MaxCount');
  const minCount = positiveCount(ctx, 'MinCount');
  if (minCount > maxCount) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${minCount}' for minCount. Must be less than or equal to maxCount '${maxCount}'.`);
  }

  const clientToken = params.str('ClientToken') || undefined;
  const requestDigest = digestOf(params.toRecord());
  const previous = clientToken !== undefined ? region.clientTokens.get(clientToken) : undefined;
  if (previous !== undefined) {
    // Same token, same request: an idempotent retry, answered with the original reservation.
    // Same token, another request: EC2 refuses rather than guess which one was meant.
    if (previous.requestDigest !== requestDigest) throw Ec2Errors.idempotentParameterMismatch();
    const members = [...region.instances.values()].filter((i) => i.reservationId === previous.reservationId);
    return {
      reservationId: previous.reservationId,
      ownerId: env.accountId,
      groupSet: [],
      instancesSet: members.map((i) => instanceXml(i, region.name, env.accountId)),
    };
  }

  const imageId = params.required('ImageId');
  if (!IMAGE_ID.test(imageId)) throw Ec2Errors.amiMalformed(imageId);
  const image = region.images.find((img) => img.id === imageId);
  if (!image) throw Ec2Errors.amiNotFound([imageId]);

  const instanceType = params.str('InstanceType') ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${instanceType}' for InstanceType.`);
  }

  const keyName = params.str('KeyName');
  if (keyName !== undefined && !region.keyPairs.has(keyName)) throw Ec2Errors.keyPairNotFound(keyName);

  const nic = params.sub('NetworkInterface.1');
  const placement = readPlacement(ctx);
  const subnetId = params.str('SubnetId') ?? nic.str('SubnetId');
  const zone = params.str('Placement.AvailabilityZone');
  // A cluster placement group lives in one zone: an unpinned launch goes there, a pinned one elsewhere is refused.
  const groupZone = placement?.strategy === 'cluster' ? zoneInUse(ctx, placement.groupId) : undefined;
  const subnet = resolveSubnet(region, subnetId, zone ?? (subnetId === undefined ? groupZone : undefined));
  if (groupZone !== undefined && subnet.availabilityZone !== groupZone) {
    throw Ec2Errors.placementGroupInOtherZone(placement?.groupName ?? '', groupZone);
  }
  const spot = readSpotOptions(ctx, instanceType, subnet.availabilityZone);
  if (spot && placement && spot.interruptionBehavior !== 'terminate') {
    throw Ec2Errors.invalidParameterCombination(
      `You can't launch a Spot Instance that is configured to ${spot.interruptionBehavior} on interruption in a placement group.`,
    );
  }
  const groups = resolveGroups(
    region,
    [...params.list('SecurityGroupId'), ...nic.list('SecurityGroupId')],
    params.list('SecurityGroup'),
  );

  const tagList = params.tagSpecifications('instance');
  validateNewTags(tagList);
  const tags = new Map(tagList.map((t) => [t.key, t.value ?? '']));
  const spotTagList = params.tagSpecifications('spot-instances-request');
  validateNewTags(spotTagList);

  const privateIp = params.str('PrivateIpAddress') ?? nic.str('PrivateIpAddress') ?? tags.get(PIN_PRIVATE_IP_TAG);
  if (privateIp !== undefined) {
    const clash = [...region.instances.values()].some((i) => i.state !== 'terminated' && i.privateIp === privateIp);
    if (clash) throw Ec2Errors.addressInUse(privateIp);
    if (maxCount > 1) {
      throw Ec2Errors.invalidParameterCombination('A private IP address can only be given when launching a single instance (MaxCount 1)');
    }
  }

  const plan: LaunchPlan = {
    image,
    imageId,
    instanceType,
    keyName,
    subnet,
    vpcId: region.defaultVpcId,
    groups,
    tags,
    clientToken,
    requestDigest,
    userData: params.str('UserData'),
    spot,
    spotRequestTags: new Map(spotTagList.map((t) => [t.key, t.value ?? ''])),
    placement: placement
      ? { groupName: placement.groupName, groupId: placement.groupId, partitionNumber: placement.partitionNumber, partitionCount: placement.partitionCount }
      : undefined,
    publicIp: tags.get(PIN_PUBLIC_IP_TAG),
    privateIp,
    wantsPublicIp: nic.bool('AssociatePublicIpAddress') ?? true,
    extraDeviceNames: params
      .structs('BlockDeviceMapping')
      .filter((m) => m.str('NoDevice') === undefined && m.str('VirtualName') === undefined)
      .map((m) => m.str('DeviceName'))
      .filter((d): d is string => d !== undefined),
    initialState: 'pending',
    launchTime: ctx.now,
  };
  const created = launchInstances(region, env, plan, minCount, maxCount, ctx.now);
  return {
    reservationId: created[0]?.reservationId,
    ownerId: env.accountId,
    groupSet: [],
    instancesSet: created.map((i) => instanceXml(i, region.name, env.accountId)),
  };
};

/** A digest of a RunInstances request without its token (and the per-attempt parts), for ClientToken reuse checks. */
function digestOf(record: Readonly<Record<string, string>>): string {
  const ignored = new Set(['ClientToken', 'Action', 'Version', 'DryRun']);
  const canonical = Object.entries(record)
    .filter(([k]) => !ignored.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

interface PlacementRequest {
  groupName: string;
  groupId: string;
  strategy: 'cluster' | 'spread' | 'partition';
  partitionNumber: number | undefined;
  partitionCount: number | undefined;
}

/** `Placement.GroupName` / `Placement.GroupId` / `Placement.PartitionNumber`, checked against the region's groups. */
function readPlacement(ctx: ActionContext): PlacementRequest | undefined {
  const p = ctx.params.sub('Placement');
  const name = p.str('GroupName') || undefined;
  const id = p.str('GroupId') || undefined;
  const partitionNumber = p.int('PartitionNumber');
  if (name === undefined && id === undefined) {
    if (partitionNumber !== undefined) throw Ec2Errors.invalidParameterCombination('PartitionNumber requires a placement group');
    return undefined;
  }
  const group = id !== undefined ? placementGroupById(ctx.region, id) : placementGroupByName(ctx.region, name as string);
  if (name !== undefined && group.name !== name) {
    throw Ec2Errors.invalidParameterCombination(`Placement group id ${id} does not name the placement group '${name}'`);
  }
  if (partitionNumber !== undefined) {
    if (group.strategy !== 'partition') {
      throw Ec2Errors.invalidParameterCombination(`PartitionNumber can only be used with a partition placement group; '${group.name}' uses the ${group.strategy} strategy`);
    }
    if (partitionNumber < 1 || partitionNumber > (group.partitionCount ?? 0)) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${partitionNumber}' for PartitionNumber: placement group '${group.name}' has ${group.partitionCount} partitions`);
    }
  }
  return { groupName: group.name, groupId: group.id, strategy: group.strategy, partitionNumber, partitionCount: group.partitionCount };
}

/** The zone a placement group's live instances are in, if it has any. */
function zoneInUse(ctx: ActionContext, groupId: string): string | undefined {
  return liveInstances(ctx).find((i) => i.placement?.groupId === groupId && i.state !== 'terminated' && i.state !== 'shutting-down')
    ?.availabilityZone;
}

const SPOT_TYPES: ReadonlySet<string> = new Set(['one-time', 'persistent']);
const INTERRUPTION_BEHAVIORS: ReadonlySet<string> = new Set(['terminate', 'stop', 'hibernate']);

/**
 * `InstanceMarketOptions` with MarketType spot: the request's options, checked as EC2 does (persistent
 * requests must stop or hibernate, one-time ones terminate), and the max price against the zone's
 * current spot price (SpotMaxPriceTooLow). Undefined for on-demand launches.
 */
function readSpotOptions(ctx: ActionContext, instanceType: string, zone: string): LaunchPlan['spot'] {
  const market = ctx.params.sub('InstanceMarketOptions');
  const marketType = market.str('MarketType');
  if (marketType === undefined) {
    if (market.has('SpotOptions.MaxPrice') || market.has('SpotOptions.SpotInstanceType')) throw Ec2Errors.missingParameter('InstanceMarketOptions.MarketType');
    return undefined;
  }
  if (marketType !== 'spot') {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${marketType}' for InstanceMarketOptions.MarketType. The emulator supports spot.`);
  }
  const options = market.sub('SpotOptions');
  const type = options.str('SpotInstanceType') ?? 'one-time';
  if (!SPOT_TYPES.has(type)) throw Ec2Errors.invalidParameterValue(`Invalid value '${type}' for SpotInstanceType. Expected one-time or persistent.`);
  const behavior = options.str('InstanceInterruptionBehavior') ?? 'terminate';
  if (!INTERRUPTION_BEHAVIORS.has(behavior)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${behavior}' for InstanceInterruptionBehavior. Expected terminate, stop or hibernate.`);
  }
  if (type === 'persistent' && behavior === 'terminate') {
    throw Ec2Errors.invalidParameterCombination('Persistent Spot Instance requests launched with RunInstances must use the stop or hibernate interruption behavior.');
  }
  if (type === 'one-time' && behavior !== 'terminate') {
    throw Ec2Errors.invalidParameterCombination(`One-time Spot Instance requests can only use the terminate interruption behavior, not ${behavior}.`);
  }
  const rawMax = options.str('MaxPrice');
  const maxPrice = rawMax === undefined ? undefined : { value: parsePrice(rawMax, 'MaxPrice'), text: rawMax.trim() };
  checkSpotPrice(ctx.region, instanceType, zone, maxPrice, ctx.now);
  return {
    maxPrice: maxPrice?.value ?? onDemandPrice(instanceType),
    type: type as 'one-time' | 'persistent',
    interruptionBehavior: behavior as 'terminate' | 'stop' | 'hibernate',
  };
}

/** What a state-changing action does with an instance in a given state. */
type Transition = { to: InstanceStateName } | { echo: true } | { refuse: true };

function stateChange(
  verb: string,
  decide: (state: InstanceStateName) => Transition,
  apply?: (ctx: ActionContext, instance: InstanceRecord) => void,
  check?: (instance: InstanceRecord) => void,
): ActionHandler {
  return (ctx) => {
    const ids = ctx.params.list('InstanceId');
    if (ids.length === 0) throw Ec2Errors.missingParameter('InstanceId');
    const instances = resolveInstances(ctx, ids);
    // Decide for every instance before changing any: a refused instance fails the whole call.
    const decisions = instances.map((instance) => ({ instance, decision: decide(instance.state) }));
    for (const { instance, decision } of decisions) {
      if ('refuse' in decision) throw Ec2Errors.incorrectInstanceState(instance.id, verb);
      if ('to' in decision) check?.(instance);
    }
    const items = decisions.map(({ instance, decision }) => {
      const previousState = instance.state;
      if ('to' in decision) {
        enterState(instance, decision.to, ctx.now);
        apply?.(ctx, instance);
      }
      return { instanceId: instance.id, currentState: stateXml(instance.state), previousState: stateXml(previousState) };
    });
    return { instancesSet: items };
  };
}

export const startInstances = stateChange(
  'started',
  (s) => (s === 'stopped' ? { to: 'pending' } : s === 'pending' || s === 'running' ? { echo: true } : { refuse: true }),
  (ctx, instance) => {
    assignPublicIp(instance, ctx.env);
    const request = spotRequestOf(ctx.region, instance);
    if (request && request.state === 'disabled') setSpotRequestStatus(request, 'active', 'fulfilled', ctx.now);
  },
);

export const stopInstances = stateChange(
  'stopped',
  (s) => (s === 'pending' || s === 'running' ? { to: 'stopping' } : s === 'stopping' || s === 'stopped' ? { echo: true } : { refuse: true }),
  (ctx, instance) => {
    const request = spotRequestOf(ctx.region, instance);
    if (request && request.state === 'active') setSpotRequestStatus(request, 'disabled', 'instance-stopped-by-user', ctx.now);
  },
  // EC2 can stop only spot instances of persistent requests; a one-time request's instance can only be terminated.
  (instance) => {
    if (instance.spot?.type === 'one-time') throw Ec2Errors.cannotStopOneTimeSpot(instance.id);
  },
);

export const terminateInstances = stateChange(
  'terminated',
  (s) => (s === 'shutting-down' || s === 'terminated' ? { echo: true } : { to: 'shutting-down' }),
  (ctx, instance) => {
    // The emulator does not relaunch for persistent requests: every request ends with its instance.
    const request = spotRequestOf(ctx.region, instance);
    if (request && request.state !== 'cancelled' && request.state !== 'closed') {
      setSpotRequestStatus(request, 'closed', 'instance-terminated-by-user', ctx.now);
    }
  },
);

/** RebootInstances: only running instances; the state stays `running` (EC2 never shows a reboot state). */
export const rebootInstances: ActionHandler = (ctx) => {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw Ec2Errors.missingParameter('InstanceId');
  const instances = resolveInstances(ctx, ids);
  for (const i of instances) if (i.state !== 'running') throw Ec2Errors.incorrectInstanceState(i.id, 'rebooted');
  return { return: true };
};
