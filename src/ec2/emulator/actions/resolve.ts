import { Ec2Errors } from '../errors.js';
import { GROUP_ID } from '../ids.js';
import type { GroupRef, RegionState, SubnetRecord } from '../model.js';
import type { QueryTag } from '../query.js';

/** Limits EC2 puts on tags. */
const MAX_TAGS_PER_RESOURCE = 50;
const MAX_KEY_LENGTH = 128;
const MAX_VALUE_LENGTH = 256;

/** Validates tags about to be set: no empty or `aws:` keys, EC2's length limits. */
export function validateNewTags(tags: readonly QueryTag[]): void {
  for (const { key, value } of tags) {
    if (key === '') throw Ec2Errors.invalidParameterValue('Tag key must not be empty');
    if (key.toLowerCase().startsWith('aws:')) {
      throw Ec2Errors.invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
    }
    if (key.length > MAX_KEY_LENGTH) {
      throw Ec2Errors.invalidParameterValue(`Tag key exceeds the maximum length of ${MAX_KEY_LENGTH} characters`);
    }
    if ((value ?? '').length > MAX_VALUE_LENGTH) {
      throw Ec2Errors.invalidParameterValue(`Tag value exceeds the maximum length of ${MAX_VALUE_LENGTH} characters`);
    }
  }
}

/** Raises EC2's TagLimitExceeded when a resource would end up with more than 50 tags. */
export function checkTagLimit(tags: ReadonlyMap<string, string>, adding: readonly QueryTag[], resourceId: string): void {
  const keys = new Set(tags.keys());
  for (const t of adding) keys.add(t.key);
  if (keys.size > MAX_TAGS_PER_RESOURCE) {
    throw Ec2Errors.tagLimitExceeded(resourceId);
  }
}

/** The subnet for a launch: the one named, else the default subnet of the named zone, else one spread by launch count. */
export function resolveSubnet(region: RegionState, subnetId: string | undefined, zone: string | undefined): SubnetRecord {
  if (subnetId !== undefined) {
    const subnet = region.subnets.find((s) => s.id === subnetId);
    if (!subnet) throw Ec2Errors.subnetNotFound(subnetId);
    if (zone !== undefined && subnet.availabilityZone !== zone) {
      throw Ec2Errors.invalidParameterValue(`Subnet ${subnetId} is not in availability zone ${zone}`);
    }
    return subnet;
  }
  if (zone !== undefined) {
    const subnet = region.subnets.find((s) => s.availabilityZone === zone);
    if (!subnet) throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${zone}]`);
    return subnet;
  }
  return region.subnets[(region.nextSeq - 1) % region.subnets.length] as SubnetRecord;
}

/** Security groups by id and by name (names resolve in the default VPC); none given = the `default` group. */
export function resolveGroups(region: RegionState, ids: readonly string[], names: readonly string[]): GroupRef[] {
  const out: GroupRef[] = [];
  for (const id of ids) {
    if (!GROUP_ID.test(id)) throw Ec2Errors.groupIdMalformed(id);
    const group = region.securityGroups.get(id);
    if (!group) throw Ec2Errors.groupNotFound(id);
    out.push({ id: group.id, name: group.name });
  }
  for (const name of names) {
    const group = [...region.securityGroups.values()].find((g) => g.name === name && g.vpcId === region.defaultVpcId);
    if (!group) throw Ec2Errors.groupNotFound(name);
    out.push({ id: group.id, name: group.name });
  }
  if (out.length === 0) {
    const fallback = [...region.securityGroups.values()].find((g) => g.name === 'default' && g.vpcId === region.defaultVpcId);
    if (fallback) out.push({ id: fallback.id, name: fallback.name });
  }
  const seen = new Set<string>();
  return out.filter((g) => (seen.has(g.id) ? false : (seen.add(g.id), true)));
}
