import type { Instance } from '@aws-sdk/client-ec2';
import type { PropertyValue } from '../inventory/node.js';
import type { NodeDraft } from '../inventory/provider.js';

/** `PublicIpAddress` → `public_ip_address`, `IamInstanceProfile` → `iam_instance_profile`, `DNSName` → `dns_name`. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Every field of a DescribeInstances instance as flat lower-case snake_case keys: nested objects join
 * with `_` (`placement_availability_zone`, `state_name`), arrays of objects get the position
 * (`security_groups_0_group_id`), arrays of scalars are joined with commas, dates become ISO text.
 * Tags are left out: they are the node's `tags` (targets: `tags=env:dev`).
 */
export function flattenInstance(instance: Instance): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  const visit = (value: unknown, prefix: string): void => {
    if (value === undefined || value === null) return;
    if (value instanceof Date) {
      out[prefix] = value.toISOString();
    } else if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object' || v === null || v instanceof Date)) {
        if (value.length > 0) out[prefix] = value.map((v) => (v instanceof Date ? v.toISOString() : String(v))).join(',');
      } else {
        value.forEach((v, i) => visit(v, `${prefix}_${i}`));
      }
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, prefix ? `${prefix}_${snakeCase(k)}` : snakeCase(k));
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[prefix] = value;
    }
  };
  const { Tags: _tags, ...rest } = instance;
  visit(rest, '');
  return out;
}

export interface InstanceNodeOptions {
  region: string;
  /** Tag whose value is the node's cluster (`dust:cluster`). */
  clusterTag: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * One instance as a node draft. Name: the `Name` tag, else a `name` tag, else the instance id. Address:
 * public IP, else private IP, else DNS (a login rule's `address` can pick another). Props: every
 * DescribeInstances field flattened, plus the friendly aliases targets use (`type=t3.*`, `ip=198.51.*`,
 * `launch_time=2026-*`, `az=us-east-1a`).
 */
export function instanceToDraft(instance: Instance, options: InstanceNodeOptions): NodeDraft {
  const tags: Record<string, string> = {};
  for (const t of instance.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  const id = instance.InstanceId ?? '';
  const name = str(tags['Name']) ?? str(tags['name']) ?? id;
  const state = instance.State?.Name ?? 'unknown';
  const ip = str(instance.PublicIpAddress);
  const privateIp = str(instance.PrivateIpAddress);
  const dns = str(instance.PublicDnsName);
  const privateDns = str(instance.PrivateDnsName);
  const launch = instance.LaunchTime instanceof Date ? instance.LaunchTime.toISOString() : str(instance.LaunchTime);
  const groups = (instance.SecurityGroups ?? []).map((g) => g.GroupName ?? g.GroupId ?? '').filter((g) => g !== '');
  const aliases: Record<string, PropertyValue> = {
    name,
    id,
    type: instance.InstanceType,
    state,
    ip,
    private_ip: privateIp,
    dns,
    private_dns: privateDns,
    launch_time: launch,
    key: instance.KeyName,
    image: instance.ImageId,
    vpc: instance.VpcId,
    subnet: instance.SubnetId,
    az: instance.Placement?.AvailabilityZone,
    arch: instance.Architecture,
    platform: instance.Platform ?? instance.PlatformDetails,
    groups: groups.length > 0 ? groups.join(',') : undefined,
    region: options.region,
  };
  const props: Record<string, PropertyValue> = { ...flattenInstance(instance) };
  for (const [k, v] of Object.entries(aliases)) if (v !== undefined && v !== '') props[k] = v;
  return {
    name,
    source: 'ec2',
    cluster: str(tags[options.clusterTag]),
    state,
    host: ip ?? privateIp ?? dns ?? privateDns ?? '',
    port: 22,
    user: undefined,
    identityFile: undefined,
    proxyJump: undefined,
    tags,
    annotations: {},
    props,
  };
}

/**
 * A terminated instance stays listed for up to an hour with its old Name, so a replacement launched
 * under the same name would collide with it. The original dust renamed the Name tag in AWS
 * (`<Name>_terminated`); we leave the user's tags alone and only change the display name, and only
 * when a live instance has the same name.
 */
export function separateTerminated(drafts: NodeDraft[]): NodeDraft[] {
  const live = new Set(drafts.filter((d) => d.state !== 'terminated').map((d) => d.name));
  return drafts.map((d) => (d.state === 'terminated' && live.has(d.name) ? { ...d, name: `${d.name}_terminated` } : d));
}
