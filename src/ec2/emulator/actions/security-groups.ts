import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { GROUP_ID, newId } from '../ids.js';
import { allowAllEgress, blankRule, type RegionState, type SecurityGroupRecord, type SecurityGroupRule } from '../model.js';
import { paginate, readPageRequest } from '../pagination.js';
import type { QueryParams } from '../query.js';
import type { XmlObject } from '../xml.js';
import { type ActionContext, type ActionHandler, liveInstances, tagSetXml } from './context.js';
import { validateNewTags } from './resolve.js';

function groupArn(ctx: ActionContext, id: string): string {
  return `arn:aws:ec2:${ctx.region.name}:${ctx.env.accountId}:security-group/${id}`;
}

function findByName(region: RegionState, name: string): SecurityGroupRecord | undefined {
  return [...region.securityGroups.values()].find((g) => g.name === name && g.vpcId === region.defaultVpcId);
}

function groupById(region: RegionState, id: string): SecurityGroupRecord {
  if (!GROUP_ID.test(id)) throw Ec2Errors.groupIdMalformed(id);
  const group = region.securityGroups.get(id);
  if (!group) throw Ec2Errors.groupNotFound(id);
  return group;
}

/** The group an Authorize/Revoke/Delete call names by `GroupId` or `GroupName` (default VPC). */
function targetGroup(ctx: ActionContext): SecurityGroupRecord {
  const id = ctx.params.str('GroupId');
  if (id !== undefined) return groupById(ctx.region, id);
  const name = ctx.params.str('GroupName');
  if (name === undefined) throw Ec2Errors.missingParameter('groupName or groupId');
  const group = findByName(ctx.region, name);
  if (!group) throw Ec2Errors.groupNotFound(name);
  return group;
}

export const createSecurityGroup: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const name = params.required('GroupName');
  const description = params.required('GroupDescription');
  const vpcId = params.str('VpcId') ?? region.defaultVpcId;
  if (!region.vpcIds.has(vpcId)) throw Ec2Errors.vpcNotFound(vpcId);
  if (name.startsWith('sg-')) throw Ec2Errors.invalidParameterValue('Group names may not be in the format sg-*.');
  if (name.length > 255 || description.length > 255) {
    throw Ec2Errors.invalidParameterValue('Group name and description are limited to 255 characters');
  }
  if ([...region.securityGroups.values()].some((g) => g.name === name && g.vpcId === vpcId)) {
    throw Ec2Errors.groupDuplicate(name, vpcId);
  }
  const tags = params.tagSpecifications('security-group');
  validateNewTags(tags);
  const group: SecurityGroupRecord = {
    id: newId('sg'),
    name,
    description,
    vpcId,
    tags: new Map(tags.map((t) => [t.key, t.value ?? ''])),
    rules: [allowAllEgress(newId('sgr'))],
  };
  region.securityGroups.set(group.id, group);
  return {
    return: true,
    groupId: group.id,
    tagSet: group.tags.size > 0 ? tagSetXml(group.tags) : undefined,
    securityGroupArn: groupArn(ctx, group.id),
  };
};

export const deleteSecurityGroup: ActionHandler = (ctx) => {
  const group = targetGroup(ctx);
  if (group.name === 'default') throw Ec2Errors.cannotDeleteDefaultGroup();
  const usedByInstance = liveInstances(ctx).some(
    (i) => i.state !== 'terminated' && i.groups.some((g) => g.id === group.id),
  );
  const referenced = [...ctx.region.securityGroups.values()].some(
    (g) => g.id !== group.id && g.rules.some((r) => r.referencedGroupId === group.id),
  );
  if (usedByInstance || referenced) throw Ec2Errors.groupInUse(group.id);
  ctx.region.securityGroups.delete(group.id);
  return { return: true, groupId: group.id };
};

const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };
const PROTOCOL_NAMES = new Set(['tcp', 'udp', 'icmp', 'icmpv6', '-1']);

function normaliseProtocol(raw: string | undefined): string {
  if (raw === undefined || raw === '') throw Ec2Errors.missingParameter('IpProtocol');
  const lower = raw.toLowerCase();
  if (lower === 'all' || lower === '-1') return '-1';
  if (PROTOCOL_NAMES.has(lower)) return lower;
  if (/^\d+$/.test(lower) && Number(lower) <= 255) return PROTOCOL_NUMBERS[lower] ?? lower;
  throw Ec2Errors.invalidParameterValue(`Invalid value '${raw}' for IP protocol. Unknown protocol.`);
}

interface PortRange {
  fromPort: number | undefined;
  toPort: number | undefined;
}

function portRange(protocol: string, from: number | undefined, to: number | undefined): PortRange {
  if (protocol === '-1') return { fromPort: undefined, toPort: undefined };
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      throw Ec2Errors.invalidParameterValue(`Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`);
    }
    if (from < 0 || to > 65535 || from > to) {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${from}-${to}' for portRange. Ports must be 0-65535 and fromPort <= toPort.`);
    }
    return { fromPort: from, toPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') return { fromPort: from ?? -1, toPort: to ?? -1 };
  return { fromPort: from, toPort: to };
}

/** A rule as requested (no id yet). */
type RuleSpec = Omit<SecurityGroupRule, 'id'>;

/**
 * Reads the permissions of an Authorize/Revoke call: the structured `IpPermissions.N` form, or the
 * legacy flat one (`IpProtocol`, `FromPort`, `ToPort`, `CidrIp`, `SourceSecurityGroupName`). Each source
 * (CIDR, IPv6 CIDR, prefix list, group) becomes one rule, as EC2 stores them.
 */
function readPermissions(ctx: ActionContext, egress: boolean): RuleSpec[][] {
  const { params, region } = ctx;
  const structured = params.structs('IpPermissions');
  const base = (p: QueryParams, defaultProtocol?: string) => {
    const protocol = normaliseProtocol(p.str('IpProtocol') ?? defaultProtocol);
    return { egress, protocol, ...portRange(protocol, p.int('FromPort'), p.int('ToPort')) };
  };
  const empty = { cidrIpv4: undefined, cidrIpv6: undefined, prefixListId: undefined, referencedGroupId: undefined, referencedUserId: undefined, description: undefined };
  const groupRef = (id: string | undefined, name: string | undefined): string => {
    if (id !== undefined) return groupById(region, id).id;
    if (name !== undefined) {
      const g = findByName(region, name);
      if (!g) throw Ec2Errors.groupNotFound(name);
      return g.id;
    }
    throw Ec2Errors.missingParameter('GroupId');
  };

  if (structured.length === 0) {
    const cidr = params.str('CidrIp');
    const sourceName = params.str('SourceSecurityGroupName');
    if (cidr === undefined && sourceName === undefined) throw Ec2Errors.missingParameter('IpPermissions');
    const b = base(params, sourceName !== undefined ? '-1' : undefined);
    const rules: RuleSpec[] = [];
    if (cidr !== undefined) rules.push({ ...empty, ...b, cidrIpv4: cidr });
    if (sourceName !== undefined) {
      rules.push({ ...empty, ...b, referencedGroupId: groupRef(undefined, sourceName), referencedUserId: ctx.env.accountId });
    }
    return [rules];
  }

  return structured.map((p) => {
    const b = base(p);
    const rules: RuleSpec[] = [
      ...p.structs('IpRanges').map((r) => ({ ...empty, ...b, cidrIpv4: r.required('CidrIp'), description: r.str('Description') })),
      ...p.structs('Ipv6Ranges').map((r) => ({ ...empty, ...b, cidrIpv6: r.required('CidrIpv6'), description: r.str('Description') })),
      ...p.structs('PrefixListIds').map((r) => ({ ...empty, ...b, prefixListId: r.required('PrefixListId'), description: r.str('Description') })),
      ...p.structs('Groups').map((r) => ({
        ...empty,
        ...b,
        referencedGroupId: groupRef(r.str('GroupId'), r.str('GroupName')),
        referencedUserId: r.str('UserId') ?? ctx.env.accountId,
        description: r.str('Description'),
      })),
    ];
    if (rules.length === 0) {
      throw Ec2Errors.invalidParameterValue('Each permission must name a source: IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs');
    }
    return rules;
  });
}

function sameRule(a: RuleSpec, b: RuleSpec): boolean {
  return (
    a.egress === b.egress && a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort &&
    a.cidrIpv4 === b.cidrIpv4 && a.cidrIpv6 === b.cidrIpv6 && a.prefixListId === b.prefixListId &&
    a.referencedGroupId === b.referencedGroupId
  );
}

/** EC2's wording of a rule in InvalidPermission.Duplicate: `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`. */
function describeRule(r: RuleSpec): string {
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.prefixListId ?? r.referencedGroupId ?? '';
  const proto = r.protocol === '-1' ? 'ALL' : r.protocol.toUpperCase();
  const ports = r.fromPort !== undefined ? `, from port: ${r.fromPort}, to port: ${r.toPort}` : '';
  return `peer: ${peer}, ${proto}${ports}, ALLOW`;
}

function ruleXml(ctx: ActionContext, groupId: string, r: SecurityGroupRule): XmlObject {
  return {
    securityGroupRuleId: r.id,
    groupId,
    groupOwnerId: ctx.env.accountId,
    isEgress: r.egress,
    ipProtocol: r.protocol,
    fromPort: r.fromPort ?? -1,
    toPort: r.toPort ?? -1,
    cidrIpv4: r.cidrIpv4,
    cidrIpv6: r.cidrIpv6,
    prefixListId: r.prefixListId,
    referencedGroupInfo: r.referencedGroupId ? { groupId: r.referencedGroupId, userId: r.referencedUserId } : undefined,
    description: r.description,
    tagSet: [],
    securityGroupRuleArn: `arn:aws:ec2:${ctx.region.name}:${ctx.env.accountId}:security-group-rule/${r.id}`,
  };
}

export const authorizeSecurityGroupIngress: ActionHandler = (ctx) => {
  const group = targetGroup(ctx);
  const requested = readPermissions(ctx, false).flat();
  requested.forEach((spec, index) => {
    const clash =
      group.rules.some((existing) => sameRule(existing, spec)) ||
      requested.slice(0, index).some((earlier) => sameRule(earlier, spec));
    if (clash) throw Ec2Errors.permissionDuplicate(describeRule(spec));
  });
  const added = requested.map((spec): SecurityGroupRule => ({ ...blankRule(newId('sgr'), false), ...spec }));
  group.rules.push(...added);
  return { return: true, securityGroupRuleSet: added.map((r) => ruleXml(ctx, group.id, r)) };
};

export const revokeSecurityGroupIngress: ActionHandler = (ctx) => {
  const group = targetGroup(ctx);
  const revoked: SecurityGroupRule[] = [];
  for (const id of ctx.params.list('SecurityGroupRuleId')) {
    const rule = group.rules.find((r) => r.id === id && !r.egress);
    if (!rule) throw Ec2Errors.ruleIdNotFound(id);
    revoked.push(rule);
  }
  const unknown: XmlObject[] = [];
  const hasPermissions =
    ctx.params.structs('IpPermissions').length > 0 || ctx.params.has('CidrIp') || ctx.params.has('SourceSecurityGroupName');
  if (hasPermissions) {
    for (const permission of readPermissions(ctx, false)) {
      for (const spec of permission) {
        const rule = group.rules.find((r) => sameRule(r, spec));
        if (rule) revoked.push(rule);
        else unknown.push(permissionsXml([{ ...spec, id: '' }])[0] as XmlObject);
      }
    }
  } else if (revoked.length === 0) {
    throw Ec2Errors.missingParameter('IpPermissions');
  }
  // EC2 does not fail on rules that do not exist: it revokes the rest and lists the unknown ones.
  group.rules = group.rules.filter((r) => !revoked.includes(r));
  return {
    return: true,
    unknownIpPermissionSet: unknown.length > 0 ? unknown : undefined,
    revokedSecurityGroupRuleSet: revoked.map((r) => ({
      securityGroupRuleId: r.id,
      groupId: group.id,
      isEgress: false,
      ipProtocol: r.protocol,
      fromPort: r.fromPort ?? -1,
      toPort: r.toPort ?? -1,
      cidrIpv4: r.cidrIpv4,
      cidrIpv6: r.cidrIpv6,
      prefixListId: r.prefixListId,
      referencedGroupId: r.referencedGroupId,
      description: r.description,
    })),
  };
};

/** Rules folded back into EC2's `IpPermission` shape: one entry per (protocol, ports), sources listed inside. */
function permissionsXml(rules: readonly SecurityGroupRule[]): XmlObject[] {
  const byKey = new Map<string, SecurityGroupRule[]>();
  for (const r of rules) {
    const key = `${r.protocol}/${r.fromPort}/${r.toPort}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  return [...byKey.values()].map((members) => {
    const first = members[0] as SecurityGroupRule;
    return {
      ipProtocol: first.protocol,
      fromPort: first.fromPort,
      toPort: first.toPort,
      groups: members
        .filter((r) => r.referencedGroupId)
        .map((r) => ({ description: r.description, userId: r.referencedUserId, groupId: r.referencedGroupId })),
      ipRanges: members.filter((r) => r.cidrIpv4).map((r) => ({ cidrIp: r.cidrIpv4, description: r.description })),
      ipv6Ranges: members.filter((r) => r.cidrIpv6).map((r) => ({ cidrIpv6: r.cidrIpv6, description: r.description })),
      prefixListIds: members.filter((r) => r.prefixListId).map((r) => ({ prefixListId: r.prefixListId, description: r.description })),
    };
  });
}

function permissionFilters(egress: boolean, prefix: string): FilterTable<SecurityGroupRecord> {
  const rules = (g: SecurityGroupRecord) => g.rules.filter((r) => r.egress === egress);
  return {
    [`${prefix}protocol`]: (g) => rules(g).map((r) => r.protocol),
    [`${prefix}from-port`]: (g) => rules(g).map((r) => (r.fromPort === undefined ? undefined : String(r.fromPort))),
    [`${prefix}to-port`]: (g) => rules(g).map((r) => (r.toPort === undefined ? undefined : String(r.toPort))),
    [`${prefix}cidr`]: (g) => rules(g).map((r) => r.cidrIpv4),
    [`${prefix}ipv6-cidr`]: (g) => rules(g).map((r) => r.cidrIpv6),
    [`${prefix}prefix-list-id`]: (g) => rules(g).map((r) => r.prefixListId),
    [`${prefix}group-id`]: (g) => rules(g).map((r) => r.referencedGroupId),
    [`${prefix}user-id`]: (g) => rules(g).map((r) => r.referencedUserId),
  };
}

function groupFilterTable(accountId: string): FilterTable<SecurityGroupRecord> {
  return {
    'group-id': (g) => g.id,
    'group-name': (g) => g.name,
    description: (g) => g.description,
    'vpc-id': (g) => g.vpcId,
    'owner-id': () => accountId,
    ...permissionFilters(false, 'ip-permission.'),
    ...permissionFilters(true, 'egress.ip-permission.'),
  };
}

export const describeSecurityGroups: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const ids = params.list('GroupId');
  const names = params.list('GroupName');
  const pageRequest = readPageRequest(params);
  if ((ids.length > 0 || names.length > 0) && pageRequest.maxResults !== undefined) {
    throw Ec2Errors.invalidParameterCombination('The parameter groupIdSet cannot be used with the parameter maxResults');
  }
  const matches = compileFilters(params.filters(), groupFilterTable(ctx.env.accountId), (g) => g.tags, ctx.env.questionMark);
  let groups = [...region.securityGroups.values()];
  if (ids.length > 0 || names.length > 0) {
    const wanted = [
      ...ids.map((id) => groupById(region, id)),
      ...names.map((name) => {
        const g = findByName(region, name);
        if (!g) throw Ec2Errors.groupNotFound(name);
        return g;
      }),
    ];
    groups = groups.filter((g) => wanted.includes(g));
  }
  const selected = groups.filter(matches).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { page, nextToken } = paginate(selected, (g) => g.id, pageRequest);
  return {
    securityGroupInfo: page.map((g) => ({
      ownerId: ctx.env.accountId,
      groupId: g.id,
      groupName: g.name,
      groupDescription: g.description,
      vpcId: g.vpcId,
      securityGroupArn: groupArn(ctx, g.id),
      ipPermissions: permissionsXml(g.rules.filter((r) => !r.egress)),
      ipPermissionsEgress: permissionsXml(g.rules.filter((r) => r.egress)),
      tagSet: tagSetXml(g.tags),
    })),
    nextToken,
  };
};
