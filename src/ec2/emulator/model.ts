import { DEFAULT_IMAGES, type ImageSpec, regionShortCode, ZONE_SUFFIXES } from './catalog-data.js';
import { stableId } from './ids.js';

/** The six EC2 instance states. */
export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

/** EC2's numeric state codes (only the low byte is meaningful). */
export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = {
  pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80,
};

export interface StateReason {
  code: string;
  message: string;
}

export interface GroupRef {
  id: string;
  name: string;
}

export interface BlockDevice {
  deviceName: string;
  volumeId: string;
  attachTime: number;
  deleteOnTermination: boolean;
}

/** How a spot instance was asked for (RunInstances `InstanceMarketOptions`). */
export interface SpotLaunch {
  requestId: string;
  /** The most the owner pays per hour, in USD (the on-demand price when the request named none). */
  maxPrice: number;
  type: 'one-time' | 'persistent';
  interruptionBehavior: 'terminate' | 'stop' | 'hibernate';
}

/** Where an instance sits in a placement group. */
export interface PlacementRef {
  groupName: string;
  groupId: string;
  /** Partition strategy only: 1-based. */
  partitionNumber: number | undefined;
}

/** One emulated instance. Mutable: lifecycle and actions update it in place. */
export interface InstanceRecord {
  /** Launch order within the region; pagination tokens point at it. */
  seq: number;
  id: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  keyName: string | undefined;
  launchIndex: number;
  launchTime: number;
  clientToken: string | undefined;
  availabilityZone: string;
  vpcId: string;
  subnetId: string;
  groups: GroupRef[];
  architecture: string;
  platformDetails: string;
  rootDeviceName: string;
  blockDevices: BlockDevice[];
  networkInterfaceId: string;
  attachmentId: string;
  macAddress: string;
  privateIp: string;
  /** Pinned addresses are never returned to the pool and (public) survive a stop, like an Elastic IP. */
  privateIpPinned: boolean;
  publicIp: string | undefined;
  publicIpPinned: boolean;
  /** Whether the instance should get a public address whenever it runs (default subnets auto-assign). */
  wantsPublicIp: boolean;
  state: InstanceStateName;
  /** When `state` was entered (ms, emulator clock). */
  stateSince: number;
  transitionReason: string;
  stateReason: StateReason | undefined;
  tags: Map<string, string>;
  userData: string | undefined;
  /** Set for spot instances (`InstanceLifecycle: spot`). */
  spot: SpotLaunch | undefined;
  placement: PlacementRef | undefined;
}

export interface SecurityGroupRule {
  id: string;
  egress: boolean;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all) or a protocol number. */
  protocol: string;
  fromPort: number | undefined;
  toPort: number | undefined;
  cidrIpv4: string | undefined;
  cidrIpv6: string | undefined;
  prefixListId: string | undefined;
  referencedGroupId: string | undefined;
  referencedUserId: string | undefined;
  description: string | undefined;
}

export interface SecurityGroupRecord {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  tags: Map<string, string>;
  rules: SecurityGroupRule[];
}

export interface KeyPairRecord {
  id: string;
  name: string;
  type: 'rsa' | 'ed25519';
  fingerprint: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… name`). */
  publicKey: string;
  createTime: number;
  tags: Map<string, string>;
}

export type PlacementStrategy = 'cluster' | 'spread' | 'partition';

export interface PlacementGroupRecord {
  id: string;
  name: string;
  strategy: PlacementStrategy;
  /** Partition strategy only. */
  partitionCount: number | undefined;
  /** Spread strategy only. */
  spreadLevel: 'rack' | 'host' | undefined;
  tags: Map<string, string>;
}

/** States of a spot instance request (DescribeSpotInstanceRequests `State`). */
export type SpotRequestState = 'open' | 'active' | 'closed' | 'cancelled' | 'failed' | 'disabled';

/** The request EC2 keeps behind every spot instance RunInstances launches. */
export interface SpotRequestRecord {
  id: string;
  instanceId: string;
  type: 'one-time' | 'persistent';
  /** The request's max price as EC2 echoes it (`0.050000`). */
  maxPrice: number;
  interruptionBehavior: 'terminate' | 'stop' | 'hibernate';
  state: SpotRequestState;
  /** Status code, e.g. `fulfilled`, `instance-terminated-by-price`, `instance-terminated-by-user`. */
  statusCode: string;
  statusMessage: string;
  statusTime: number;
  createTime: number;
  instanceType: string;
  availabilityZone: string;
  imageId: string;
  productDescription: string;
  tags: Map<string, string>;
}

/** One point of a spot price history: `price` (USD/hour) applies from `time` on. */
export interface SpotPricePoint {
  time: number;
  price: number;
}

/** What a RunInstances ClientToken stands for: its reservation and a digest of the request it came with. */
export interface ClientTokenRecord {
  reservationId: string;
  /** Digest of the request's parameters (minus the token): a different request with the same token is refused. */
  requestDigest: string;
}

export interface ImageRecord extends ImageSpec {
  id: string;
  tags: Map<string, string>;
}

export interface ZoneRecord {
  name: string;
  id: string;
}

export interface SubnetRecord {
  id: string;
  availabilityZone: string;
  cidr: string;
}

/** Everything one region holds. Regions are independent, as in EC2. */
export interface RegionState {
  name: string;
  zones: ZoneRecord[];
  defaultVpcId: string;
  vpcIds: Set<string>;
  subnets: SubnetRecord[];
  /** Insertion order is launch order. */
  instances: Map<string, InstanceRecord>;
  /** RunInstances ClientToken → its reservation (the SDK fills a token in; a retried launch must not double-launch). */
  clientTokens: Map<string, ClientTokenRecord>;
  /** By name (placement group names are unique per region). */
  placementGroups: Map<string, PlacementGroupRecord>;
  spotRequests: Map<string, SpotRequestRecord>;
  /** Spot price history per `instanceType/zone`, oldest first; created on first use. */
  spotPrices: Map<string, SpotPricePoint[]>;
  securityGroups: Map<string, SecurityGroupRecord>;
  keyPairs: Map<string, KeyPairRecord>;
  images: ImageRecord[];
  nextSeq: number;
}

/** A region with its default VPC, one default subnet per zone, the `default` security group and the default AMIs. */
export function createRegionState(name: string): RegionState {
  const short = regionShortCode(name);
  const zones = ZONE_SUFFIXES.map((s, i) => ({ name: `${name}${s}`, id: `${short}-az${i + 1}` }));
  const defaultVpcId = stableId('vpc', `${name}/default-vpc`);
  const subnets = zones.map((z, i) => ({
    id: stableId('subnet', `${name}/${z.name}`),
    availabilityZone: z.name,
    cidr: `172.31.${i * 16}.0/20`,
  }));
  const defaultGroupId = stableId('sg', `${name}/default-sg`);
  const defaultGroup: SecurityGroupRecord = {
    id: defaultGroupId,
    name: 'default',
    description: 'default VPC security group',
    vpcId: defaultVpcId,
    tags: new Map(),
    rules: [
      // EC2's default group: all traffic from members of the group itself, all traffic out.
      rule(stableId('sgr', `${name}/default-in`), false, { referencedGroupId: defaultGroupId }),
      allowAllEgress(stableId('sgr', `${name}/default-out`)),
    ],
  };
  const images = DEFAULT_IMAGES.map((spec) => ({ ...spec, id: stableId('ami', `${name}/${spec.name}`), tags: new Map() }));
  return {
    name,
    zones,
    defaultVpcId,
    vpcIds: new Set([defaultVpcId]),
    subnets,
    instances: new Map(),
    clientTokens: new Map(),
    placementGroups: new Map(),
    spotRequests: new Map(),
    spotPrices: new Map(),
    securityGroups: new Map([[defaultGroupId, defaultGroup]]),
    keyPairs: new Map(),
    images,
    nextSeq: 1,
  };
}

function rule(id: string, egress: boolean, extra: Partial<SecurityGroupRule>): SecurityGroupRule {
  return {
    id, egress, protocol: '-1', fromPort: undefined, toPort: undefined, cidrIpv4: undefined, cidrIpv6: undefined,
    prefixListId: undefined, referencedGroupId: undefined, referencedUserId: undefined, description: undefined, ...extra,
  };
}

/** The rule every new group starts with: all protocols out to 0.0.0.0/0. */
export function allowAllEgress(id: string): SecurityGroupRule {
  return rule(id, true, { cidrIpv4: '0.0.0.0/0' });
}

/** A blank rule to fill in (used by the security-group actions). */
export function blankRule(id: string, egress: boolean): SecurityGroupRule {
  return rule(id, egress, {});
}
