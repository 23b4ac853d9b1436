import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { newId, PLACEMENT_GROUP_ID } from '../ids.js';
import type { PlacementGroupRecord, PlacementStrategy, RegionState } from '../model.js';
import type { XmlObject } from '../xml.js';
import { type ActionContext, type ActionHandler, liveInstances, tagSetXml } from './context.js';
import { validateNewTags } from './resolve.js';

const STRATEGIES: ReadonlySet<string> = new Set(['cluster', 'spread', 'partition']);
/** EC2: a partition placement group has 1 to 7 partitions per availability zone. */
const MAX_PARTITIONS = 7;
const DEFAULT_PARTITIONS = 2;

function groupArn(ctx: ActionContext, name: string): string {
  return `arn:aws:ec2:${ctx.region.name}:${ctx.env.accountId}:placement-group/${name}`;
}

/** A placement group by name, or EC2's InvalidPlacementGroup.Unknown. */
export function placementGroupByName(region: RegionState, name: string): PlacementGroupRecord {
  const group = region.placementGroups.get(name);
  if (!group) throw Ec2Errors.placementGroupUnknown(name);
  return group;
}

/** A placement group by id (`pg-…`), or EC2's InvalidPlacementGroup.Unknown. */
export function placementGroupById(region: RegionState, id: string): PlacementGroupRecord {
  if (!PLACEMENT_GROUP_ID.test(id)) throw Ec2Errors.placementGroupIdMalformed(id);
  const group = [...region.placementGroups.values()].find((g) => g.id === id);
  if (!group) throw Ec2Errors.placementGroupUnknown(id);
  return group;
}

function placementGroupXml(ctx: ActionContext, g: PlacementGroupRecord): XmlObject {
  return {
    groupName: g.name,
    state: 'available',
    strategy: g.strategy,
    partitionCount: g.partitionCount,
    groupId: g.id,
    tagSet: tagSetXml(g.tags),
    groupArn: groupArn(ctx, g.name),
    spreadLevel: g.spreadLevel,
  };
}

/** CreatePlacementGroup: cluster, spread (rack level) or partition (1..7 partitions, default 2). */
export const createPlacementGroup: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const name = params.required('GroupName');
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${name}' for groupName. Placement group names are 1-255 ASCII characters.`);
  }
  const strategy = params.required('Strategy');
  if (!STRATEGIES.has(strategy)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${strategy}' for strategy. Expected cluster, spread or partition.`);
  }
  const partitionCount = params.int('PartitionCount');
  if (partitionCount !== undefined) {
    if (strategy !== 'partition') {
      throw Ec2Errors.invalidParameterCombination('PartitionCount can only be specified with the partition strategy');
    }
    if (partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
      throw Ec2Errors.invalidParameterValue(`Value (${partitionCount}) for parameter partitionCount is invalid. Expecting a value between 1 and ${MAX_PARTITIONS}.`);
    }
  }
  const spreadLevel = params.str('SpreadLevel');
  if (spreadLevel !== undefined) {
    if (strategy !== 'spread') throw Ec2Errors.invalidParameterCombination('SpreadLevel can only be specified with the spread strategy');
    if (spreadLevel !== 'rack' && spreadLevel !== 'host') {
      throw Ec2Errors.invalidParameterValue(`Invalid value '${spreadLevel}' for spreadLevel. Expected rack or host.`);
    }
  }
  if (region.placementGroups.has(name)) throw Ec2Errors.placementGroupDuplicate(name);
  const tags = params.tagSpecifications('placement-group');
  validateNewTags(tags);
  const group: PlacementGroupRecord = {
    id: newId('pg'),
    name,
    strategy: strategy as PlacementStrategy,
    partitionCount: strategy === 'partition' ? (partitionCount ?? DEFAULT_PARTITIONS) : undefined,
    spreadLevel: strategy === 'spread' ? ((spreadLevel as 'rack' | 'host' | undefined) ?? 'rack') : undefined,
    tags: new Map(tags.map((t) => [t.key, t.value ?? ''])),
  };
  region.placementGroups.set(name, group);
  return { placementGroup: placementGroupXml(ctx, group) };
};

/** DeletePlacementGroup: refused while an instance that is not terminated is in the group. */
export const deletePlacementGroup: ActionHandler = (ctx) => {
  const group = placementGroupByName(ctx.region, ctx.params.required('GroupName'));
  const inUse = liveInstances(ctx).some((i) => i.state !== 'terminated' && i.placement?.groupId === group.id);
  if (inUse) throw Ec2Errors.placementGroupInUse(group.name);
  ctx.region.placementGroups.delete(group.name);
  return { return: true };
};

const PLACEMENT_GROUP_FILTERS = (ctx: ActionContext): FilterTable<PlacementGroupRecord> => ({
  'group-name': (g) => g.name,
  'group-arn': (g) => groupArn(ctx, g.name),
  state: () => 'available',
  strategy: (g) => g.strategy,
  'spread-level': (g) => g.spreadLevel,
});

export const describePlacementGroups: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const wanted = [
    ...params.list('GroupName').map((n) => placementGroupByName(region, n)),
    ...params.list('GroupId').map((id) => placementGroupById(region, id)),
  ];
  const matches = compileFilters(params.filters(), PLACEMENT_GROUP_FILTERS(ctx), (g) => g.tags, ctx.env.questionMark);
  const selected = [...region.placementGroups.values()]
    .filter((g) => wanted.length === 0 || wanted.includes(g))
    .filter(matches)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { placementGroupSet: selected.map((g) => placementGroupXml(ctx, g)) };
};
