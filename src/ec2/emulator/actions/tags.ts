import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { GROUP_ID, IMAGE_ID } from '../ids.js';
import { placementGroupById } from './placement-groups.js';
import { paginate, readPageRequest } from '../pagination.js';
import type { ActionContext, ActionHandler } from './context.js';
import { liveInstances, resolveInstances } from './context.js';
import { checkTagLimit, validateNewTags } from './resolve.js';

/** A taggable resource: its id, EC2 resource type, and live tag map. */
interface Taggable {
  id: string;
  type: 'instance' | 'security-group' | 'key-pair' | 'image' | 'placement-group' | 'spot-instances-request';
  tags: Map<string, string>;
}

/** Finds resources by id (all or nothing), with each type's own NotFound error. */
function resolveTaggables(ctx: ActionContext, ids: readonly string[]): Taggable[] {
  const { region } = ctx;
  const instanceIds = ids.filter((id) => id.startsWith('i-'));
  const instances = instanceIds.length > 0 ? resolveInstances(ctx, instanceIds) : [];
  return ids.map((id): Taggable => {
    if (id.startsWith('i-')) {
      const instance = instances.find((i) => i.id === id);
      if (!instance) throw Ec2Errors.instanceIdNotFound([id]);
      return { id, type: 'instance', tags: instance.tags };
    }
    if (id.startsWith('sg-')) {
      if (!GROUP_ID.test(id)) throw Ec2Errors.groupIdMalformed(id);
      const group = region.securityGroups.get(id);
      if (!group) throw Ec2Errors.groupNotFound(id);
      return { id, type: 'security-group', tags: group.tags };
    }
    if (id.startsWith('key-')) {
      const key = [...region.keyPairs.values()].find((k) => k.id === id);
      if (!key) throw Ec2Errors.keyPairNotFound(id);
      return { id, type: 'key-pair', tags: key.tags };
    }
    if (id.startsWith('ami-')) {
      if (!IMAGE_ID.test(id)) throw Ec2Errors.amiMalformed(id);
      const image = region.images.find((img) => img.id === id);
      if (!image) throw Ec2Errors.amiNotFound([id]);
      return { id, type: 'image', tags: image.tags };
    }
    if (id.startsWith('pg-')) return { id, type: 'placement-group', tags: placementGroupById(region, id).tags };
    if (id.startsWith('sir-')) {
      const request = region.spotRequests.get(id);
      if (!request) throw Ec2Errors.spotRequestNotFound(id);
      return { id, type: 'spot-instances-request', tags: request.tags };
    }
    throw Ec2Errors.invalidId(id);
  });
}

export const createTags: ActionHandler = (ctx) => {
  const ids = ctx.params.list('ResourceId');
  if (ids.length === 0) throw Ec2Errors.missingParameter('ResourceId');
  const tags = ctx.params.tags();
  if (tags.length === 0) throw Ec2Errors.missingParameter('Tag');
  validateNewTags(tags);
  const resources = resolveTaggables(ctx, ids);
  for (const r of resources) checkTagLimit(r.tags, tags, r.id);
  for (const r of resources) for (const t of tags) r.tags.set(t.key, t.value ?? '');
  return { return: true };
};

/**
 * DeleteTags: a tag without Value deletes the key whatever its value; a tag with a Value (even empty)
 * deletes it only when the value matches; no Tag.N at all deletes every tag of the resources.
 */
export const deleteTags: ActionHandler = (ctx) => {
  const ids = ctx.params.list('ResourceId');
  if (ids.length === 0) throw Ec2Errors.missingParameter('ResourceId');
  const tags = ctx.params.tags();
  for (const t of tags) {
    if (t.key.toLowerCase().startsWith('aws:')) {
      throw Ec2Errors.invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`);
    }
  }
  const resources = resolveTaggables(ctx, ids);
  for (const r of resources) {
    if (tags.length === 0) {
      r.tags.clear();
      continue;
    }
    for (const t of tags) {
      if (t.value === undefined || r.tags.get(t.key) === t.value) r.tags.delete(t.key);
    }
  }
  return { return: true };
};

interface TagRow {
  resourceId: string;
  resourceType: Taggable['type'];
  key: string;
  value: string;
  resourceTags: ReadonlyMap<string, string>;
}

const TAG_ROW_FILTERS: FilterTable<TagRow> = {
  key: (r) => r.key,
  value: (r) => r.value,
  'resource-id': (r) => r.resourceId,
  'resource-type': (r) => r.resourceType,
};

export const describeTags: ActionHandler = (ctx) => {
  const pageRequest = readPageRequest(ctx.params);
  const matches = compileFilters(ctx.params.filters(), TAG_ROW_FILTERS, (r) => r.resourceTags, ctx.env.questionMark);
  const { region } = ctx;
  const resources: Taggable[] = [
    ...liveInstances(ctx).map((i): Taggable => ({ id: i.id, type: 'instance', tags: i.tags })),
    ...[...region.securityGroups.values()].map((g): Taggable => ({ id: g.id, type: 'security-group', tags: g.tags })),
    ...[...region.keyPairs.values()].map((k): Taggable => ({ id: k.id, type: 'key-pair', tags: k.tags })),
    ...region.images.map((img): Taggable => ({ id: img.id, type: 'image', tags: img.tags })),
    ...[...region.placementGroups.values()].map((g): Taggable => ({ id: g.id, type: 'placement-group', tags: g.tags })),
    ...[...region.spotRequests.values()].map((r): Taggable => ({ id: r.id, type: 'spot-instances-request', tags: r.tags })),
  ];
  const rows = resources
    .flatMap((r) =>
      [...r.tags.entries()].map(([key, value]) => ({ resourceId: r.id, resourceType: r.type, key, value, resourceTags: r.tags })),
    )
    .filter(matches)
    .sort((a, b) => (a.resourceId === b.resourceId ? cmp(a.key, b.key) : cmp(a.resourceId, b.resourceId)));
  const { page, nextToken } = paginate(rows, (r) => `${r.resourceId}\u0000${r.key}`, pageRequest);
  return {
    tagSet: page.map((r) => ({ resourceId: r.resourceId, resourceType: r.resourceType, key: r.key, value: r.value })),
    nextToken,
  };
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
