import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { IMAGE_ID, stableId } from '../ids.js';
import type { ImageRecord, SubnetRecord, ZoneRecord } from '../model.js';
import { paginate, readPageRequest } from '../pagination.js';
import type { ActionHandler } from './context.js';
import { tagSetXml } from './context.js';

interface RegionRow {
  name: string;
  endpoint: string;
}

const REGION_FILTERS: FilterTable<RegionRow> = {
  'region-name': (r) => r.name,
  endpoint: (r) => r.endpoint,
  'opt-in-status': () => 'opt-in-not-required',
};

export const describeRegions: ActionHandler = (ctx) => {
  const names = ctx.params.list('RegionName');
  for (const n of names) if (!ctx.env.regions.includes(n)) throw Ec2Errors.invalidParameterValue(`Invalid region: ${n}`);
  const matches = compileFilters(ctx.params.filters(), REGION_FILTERS, undefined, ctx.env.questionMark);
  const rows = ctx.env.regions
    .filter((r) => names.length === 0 || names.includes(r))
    .map((name) => ({ name, endpoint: `ec2.${name}.amazonaws.com` }))
    .filter(matches);
  return {
    regionInfo: rows.map((r) => ({ regionName: r.name, regionEndpoint: r.endpoint, optInStatus: 'opt-in-not-required' })),
  };
};

const ZONE_FILTERS = (region: string): FilterTable<ZoneRecord> => ({
  'zone-name': (z) => z.name,
  'zone-id': (z) => z.id,
  'region-name': () => region,
  state: () => 'available',
  'zone-type': () => 'availability-zone',
  'group-name': () => region,
  'group-long-name': () => region,
  'network-border-group': () => region,
  'opt-in-status': () => 'opt-in-not-required',
});

export const describeAvailabilityZones: ActionHandler = (ctx) => {
  const { region } = ctx;
  const names = ctx.params.list('ZoneName');
  const ids = ctx.params.list('ZoneId');
  for (const n of names) {
    if (!region.zones.some((z) => z.name === n)) throw Ec2Errors.invalidParameterValue(`The zone '${n}' does not exist.`);
  }
  for (const id of ids) {
    if (!region.zones.some((z) => z.id === id)) throw Ec2Errors.invalidParameterValue(`The zone ID '${id}' does not exist.`);
  }
  const matches = compileFilters(ctx.params.filters(), ZONE_FILTERS(region.name), undefined, ctx.env.questionMark);
  const zones = region.zones
    .filter((z) => (names.length === 0 && ids.length === 0) || names.includes(z.name) || ids.includes(z.id))
    .filter(matches);
  return {
    availabilityZoneInfo: zones.map((z) => ({
      optInStatus: 'opt-in-not-required',
      zoneName: z.name,
      zoneId: z.id,
      zoneState: 'available',
      regionName: region.name,
      groupName: region.name,
      groupLongName: region.name,
      networkBorderGroup: region.name,
      zoneType: 'availability-zone',
      messageSet: [],
    })),
  };
};

const IMAGE_FILTERS: FilterTable<ImageRecord> = {
  'image-id': (i) => i.id,
  name: (i) => i.name,
  description: (i) => i.description,
  'owner-id': (i) => i.ownerId,
  'owner-alias': (i) => i.ownerAlias,
  architecture: (i) => i.architecture,
  state: () => 'available',
  'is-public': () => 'true',
  'image-type': () => 'machine',
  'platform-details': (i) => i.platformDetails,
  'root-device-type': () => 'ebs',
  'root-device-name': (i) => i.rootDeviceName,
  'virtualization-type': () => 'hvm',
  hypervisor: () => 'xen',
  'boot-mode': (i) => i.bootMode,
  'creation-date': (i) => i.creationDate,
  'ena-support': () => 'true',
};

/** Whether an image belongs to one of the `Owner.N` values (`amazon`, `self`, an alias or an account id). */
function ownedBy(image: ImageRecord, owners: readonly string[], accountId: string): boolean {
  return owners.some((o) => (o === 'self' ? image.ownerId === accountId : o === image.ownerId || o === image.ownerAlias));
}

export const describeImages: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const ids = params.list('ImageId');
  for (const id of ids) if (!IMAGE_ID.test(id)) throw Ec2Errors.amiMalformed(id);
  const missing = ids.filter((id) => !region.images.some((i) => i.id === id));
  if (missing.length > 0) throw Ec2Errors.amiNotFound(missing);
  const owners = params.list('Owner');
  const pageRequest = readPageRequest(params);
  const matches = compileFilters(params.filters(), IMAGE_FILTERS, (i) => i.tags, ctx.env.questionMark);
  const selected = region.images
    .filter((i) => ids.length === 0 || ids.includes(i.id))
    .filter((i) => owners.length === 0 || ownedBy(i, owners, ctx.env.accountId))
    .filter(matches)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { page, nextToken } = paginate(selected, (i) => i.id, pageRequest);
  return {
    imagesSet: page.map((i) => ({
      imageId: i.id,
      imageLocation: `${i.ownerAlias ?? i.ownerId}/${i.name}`,
      imageState: 'available',
      imageOwnerId: i.ownerId,
      creationDate: i.creationDate,
      isPublic: true,
      architecture: i.architecture,
      imageType: 'machine',
      sriovNetSupport: 'simple',
      imageOwnerAlias: i.ownerAlias,
      name: i.name,
      description: i.description,
      rootDeviceType: 'ebs',
      rootDeviceName: i.rootDeviceName,
      blockDeviceMapping: [
        {
          deviceName: i.rootDeviceName,
          ebs: {
            snapshotId: stableId('snap', `${region.name}/${i.id}`),
            volumeSize: 8,
            deleteOnTermination: true,
            volumeType: 'gp3',
            iops: 3000,
            throughput: 125,
            encrypted: false,
          },
        },
      ],
      virtualizationType: 'hvm',
      tagSet: tagSetXml(i.tags),
      hypervisor: 'xen',
      enaSupport: true,
      platformDetails: i.platformDetails,
      usageOperation: 'RunInstances',
      bootMode: i.bootMode,
      imdsSupport: 'v2.0',
    })),
    nextToken,
  };
};

/** The default subnets (one per zone, all default-for-AZ in the default VPC). */
export const describeSubnets: ActionHandler = (ctx) => {
  const { region } = ctx;
  const ids = ctx.params.list('SubnetId');
  for (const id of ids) if (!region.subnets.some((s) => s.id === id)) throw Ec2Errors.subnetNotFound(id);
  const zoneId = (s: SubnetRecord) => region.zones.find((z) => z.name === s.availabilityZone)?.id;
  const filters: FilterTable<SubnetRecord> = {
    'subnet-id': (s) => s.id,
    'vpc-id': () => region.defaultVpcId,
    'availability-zone': (s) => s.availabilityZone,
    'availability-zone-id': (s) => zoneId(s),
    'cidr-block': (s) => s.cidr,
    'default-for-az': () => 'true',
    state: () => 'available',
    'owner-id': () => ctx.env.accountId,
  };
  const matches = compileFilters(ctx.params.filters(), filters, undefined, ctx.env.questionMark);
  const subnets = region.subnets.filter((s) => ids.length === 0 || ids.includes(s.id)).filter(matches);
  return {
    subnetSet: subnets.map((s) => ({
      subnetId: s.id,
      subnetArn: `arn:aws:ec2:${region.name}:${ctx.env.accountId}:subnet/${s.id}`,
      state: 'available',
      vpcId: region.defaultVpcId,
      cidrBlock: s.cidr,
      availableIpAddressCount: 4091,
      availabilityZone: s.availabilityZone,
      availabilityZoneId: zoneId(s),
      defaultForAz: true,
      mapPublicIpOnLaunch: true,
      ownerId: ctx.env.accountId,
      ipv6CidrBlockAssociationSet: [],
      tagSet: [],
    })),
  };
};
