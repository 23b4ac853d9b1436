import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { IMAGE_ID } from '../ids.js';
import { enterState } from '../lifecycle.js';
import { STATE_CODES, type InstanceRecord, type InstanceStateName } from '../model.js';
import { paginate, readPageRequest } from '../pagination.js';
import type { XmlObject } from '../xml.js';
import { type ActionContext, type ActionHandler, liveInstances, resolveInstances, settleRegion } from './context.js';
import { instanceXml, privateDnsName, publicDnsName, stateXml } from './instance-xml.js';
import { assignPublicIp, launchInstances, type LaunchPlan, PIN_PRIVATE_IP_TAG, PIN_PUBLIC_IP_TAG } from './launch.js';
import { resolveGroups, resolveSubnet, validateNewTags } from './resolve.js';

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
    'placement-group-name': () => '',
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
  const previous = clientToken !== undefined ? region.clientTokens.get(clientToken) : undefined;
  if (previous !== undefined) {
    // Idempotent retry: answer with the original reservation, launch nothing.
    const members = [...region.instances.values()].filter((i) => i.reservationId === previous);
    return {
      reservationId: previous,
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
  const subnet = resolveSubnet(
    region,
    params.str('SubnetId') ?? nic.str('SubnetId'),
    params.str('Placement.AvailabilityZone'),
  );
  const groups = resolveGroups(
    region,
    [...params.list('SecurityGroupId'), ...nic.list('SecurityGroupId')],
    params.list('SecurityGroup'),
  );

  const tagList = params.tagSpecifications('instance');
  validateNewTags(tagList);
  const tags = new Map(tagList.map((t) => [t.key, t.value ?? '']));

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
    userData: params.str('UserData'),
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

/** What a state-changing action does with an instance in a given state. */
type Transition = { to: InstanceStateName } | { echo: true } | { refuse: true };

function stateChange(
  verb: string,
  decide: (state: InstanceStateName) => Transition,
  apply?: (ctx: ActionContext, instance: InstanceRecord) => void,
): ActionHandler {
  return (ctx) => {
    const ids = ctx.params.list('InstanceId');
    if (ids.length === 0) throw Ec2Errors.missingParameter('InstanceId');
    const instances = resolveInstances(ctx, ids);
    // Decide for every instance before changing any: a refused instance fails the whole call.
    const decisions = instances.map((instance) => ({ instance, decision: decide(instance.state) }));
    for (const { instance, decision } of decisions) {
      if ('refuse' in decision) throw Ec2Errors.incorrectInstanceState(instance.id, verb);
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
  (ctx, instance) => assignPublicIp(instance, ctx.env),
);

export const stopInstances = stateChange('stopped', (s) =>
  s === 'pending' || s === 'running'
    ? { to: 'stopping' }
    : s === 'stopping' || s === 'stopped'
      ? { echo: true }
      : { refuse: true },
);

export const terminateInstances = stateChange('terminated', (s) =>
  s === 'shutting-down' || s === 'terminated' ? { echo: true } : { to: 'shutting-down' },
);

/** RebootInstances: only running instances; the state stays `running` (EC2 never shows a reboot state). */
export const rebootInstances: ActionHandler = (ctx) => {
  const ids = ctx.params.list('InstanceId');
  if (ids.length === 0) throw Ec2Errors.missingParameter('InstanceId');
  const instances = resolveInstances(ctx, ids);
  for (const i of instances) if (i.state !== 'running') throw Ec2Errors.incorrectInstanceState(i.id, 'rebooted');
  return { return: true };
};
