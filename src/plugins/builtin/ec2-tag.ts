import { requireEc2 } from '../../ec2/access.js';
import type { CommandContext, CommandSpec, DustNode } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { loadEc2Sdk } from '../../ec2/sdk.js';
import { sendEc2 } from '../../ec2/client.js';
import { instanceIdOf, splitEc2Nodes } from '../../ec2/node-info.js';

interface TagSpec {
  key: string;
  /** undefined: `untag k` (any value). */
  value: string | undefined;
}

/**
 * `k=v,k2=v2` (also as separate words) → tags. A value may contain `=` (split at the first one);
 * `k` alone is an empty value for tag, "whatever the value" for untag.
 */
export function parseTagList(command: string, words: readonly string[]): TagSpec[] {
  const items = words.flatMap((w) => w.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) {
    throw new DustError(ErrorCodes.Usage, `${command}: no tags given`, { hint: `usage: ${command} <target> key=value[,key2=value2]` });
  }
  return items.map((item) => {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (key === '') throw new DustError(ErrorCodes.Usage, `${command}: '${item}' has no key`, { hint: 'write key=value' });
    if (key.toLowerCase().startsWith('aws:')) {
      throw new DustError(ErrorCodes.Usage, `${command}: tag keys starting with 'aws:' are reserved by AWS and cannot be changed ('${key}')`, { hint: 'pick another key' });
    }
    if (key.length > 128) throw new DustError(ErrorCodes.Usage, `${command}: tag key longer than 128 characters: '${key.slice(0, 20)}…'`);
    if (value !== undefined && value.length > 256) throw new DustError(ErrorCodes.Usage, `${command}: value of '${key}' is longer than 256 characters`);
    return { key, value };
  });
}

function targetIds(ctx: CommandContext): { ids: string[]; names: string; nodes: DustNode[] } {
  const { ec2, other } = splitEc2Nodes(ctx.nodes);
  if (other.length > 0) ctx.out.info(`not EC2 instances, skipped: ${foldNodeNames(other.map((n) => n.name))}`);
  if (ec2.length === 0) throw new DustError(ErrorCodes.TargetNoMatch, `${ctx.command}: no EC2 instance among the targeted nodes`, { hint: '`show` lists the nodes and their source' });
  return { ids: ec2.map(instanceIdOf), names: foldNodeNames(ec2.map((n) => n.name)), nodes: ec2 };
}

const show = (tags: readonly TagSpec[]) => tags.map((t) => (t.value === undefined ? t.key : `${t.key}=${t.value}`)).join(', ');

export const tagCommand: CommandSpec = {
  name: 'tag',
  usage: 'tag <target> key=value[,key2=value2]',
  summary: 'set EC2 tags on instances (any state), in one call',
  help: 'Sets tags on every targeted instance. `key` alone sets an empty value. Keys starting with aws: are AWS\'s own.\n'
    + 'Tags are usable in targets at once: `tag worker* env=dev` then `show tags=env:dev`.',
  examples: ['tag worker* env=dev', 'tag 3,4 role=db,owner=alice'],
  target: { mode: 'required' },
  run: (ctx) => changeTags(ctx, 'tag', 'CreateTags', (ids, tags) => {
    const { CreateTagsCommand } = loadEc2Sdk();
    return new CreateTagsCommand({ Resources: ids, Tags: tags.map((t) => ({ Key: t.key, Value: t.value ?? '' })) });
  }),
};

export const untagCommand: CommandSpec = {
  name: 'untag',
  usage: 'untag <target> key[=value][,key2...]',
  summary: 'remove EC2 tags from instances (key alone: whatever its value)',
  help: 'Removes tags. `untag x env` removes env whatever its value; `untag x env=dev` only where it is dev\n'
    + '(EC2\'s DeleteTags rule), `env=` only where it is empty.',
  examples: ['untag worker* env', 'untag 3 owner=alice'],
  target: { mode: 'required' },
  run: (ctx) => changeTags(ctx, 'untag', 'DeleteTags', (ids, tags) => {
    const { DeleteTagsCommand } = loadEc2Sdk();
    return new DeleteTagsCommand({ Resources: ids, Tags: tags.map((t) => (t.value === undefined ? { Key: t.key } : { Key: t.key, Value: t.value })) });
  }),
};

/** tag and untag: one API call over every targeted instance, cache dropped whatever happens. */
async function changeTags(ctx: CommandContext, verb: 'tag' | 'untag', action: string,
  build: (ids: string[], tags: ReturnType<typeof parseTagList>) => Parameters<typeof sendEc2>[2]): Promise<void> {
  const tags = parseTagList(verb, ctx.positionals);
  const { ids, names, nodes } = targetIds(ctx);
  const client = await requireEc2(ctx).client();
  try {
    await sendEc2(client, action, build(ids, tags));
  } finally {
    ctx.state.invalidate();
  }
  ctx.out.success(`${verb}ged ${ids.length} instance${ids.length === 1 ? '' : 's'} (${names}): ${show(tags)}`);
  // One call for all instances: it changed every one of them (a failure is an error, and no record).
  // `tags` maps each key to the value set, or for untag to the value removed (null: whatever it was).
  const changed = Object.fromEntries(tags.map((t) => [t.key, verb === 'tag' ? (t.value ?? '') : (t.value ?? null)]));
  nodes.forEach((node, i) => ctx.out.record({ type: 'tags', action: verb, node: node.name, instanceId: ids[i], tags: changed }));
}
