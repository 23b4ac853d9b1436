import { requireEc2 } from '../../ec2/access.js';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { EC2Client, Image, Instance } from '@aws-sdk/client-ec2';
import type { CommandContext, CommandSpec } from '../api.js';
import { DustError, isDustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { foldNodeNames } from '../../targets/index.js';
import { expandHome } from '../../config/paths.js';
import { loadEc2Sdk } from '../../ec2/sdk.js';
import { sendEc2 } from '../../ec2/client.js';
import { DEFAULT_CLUSTER_TAG } from '../../ec2/aws-settings.js';
import { listInstances } from '../../ec2/inventory-provider.js';
import { CLUSTER_ROLE_TAG } from '../../ec2/lifecycle/names.js';
import { defaultImageFilter, newestDefaultImage } from '../../ec2/images.js';
import { waitAndReport, type WaitSettings } from '../../ec2/wait.js';

export { CLUSTER_ROLE_TAG };

const SUBCOMMANDS = ['up', 'down', 'list'] as const;
const USAGE = 'cluster up <name> [--nodes N] [--type T] [--image AMI] [--key KEYNAME] [--subnet ID] [--sg ID[,ID]] [--user U] [--spec FILE] [-y] [--wait] | cluster down <name> [-y] [--wait] | cluster list';
const UP_ONLY_FLAGS = ['nodes', 'type', 'image', 'key', 'subnet', 'sg', 'user', 'spec'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const DEFAULT_TYPE = 't3.micro';
const DEFAULT_NODES = 3;
const MAX_NODES = 100;
const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

/** One group of identical nodes: `worker` with count 3 becomes worker0, worker1, worker2. */
export interface NodeGroup {
  name: string;
  role: 'master' | 'worker';
  type: string;
  count: number;
}

/** What `cluster up` launches, from flags or a spec file. */
export interface ClusterPlan {
  name: string;
  groups: NodeGroup[];
  image: string | undefined;
  key: string | undefined;
  user: string | undefined;
}

/** Node names of a group: the group name alone for one node, name0..name(N-1) for more (the original's expand_clones). */
export function groupNodeNames(g: NodeGroup): string[] {
  return g.count === 1 ? [g.name] : Array.from({ length: g.count }, (_, i) => `${g.name}${i}`);
}

export function clusterCommand(wait: WaitSettings = {}): CommandSpec {
  return {
    name: 'cluster',
    usage: USAGE,
    summary: 'launch (up), terminate (down) and list EC2 clusters (instances sharing the cluster tag)',
    help: 'cluster up <name>: launches one master and N-1 workers (default 3 nodes, t3.micro, newest Amazon Linux 2023 x86_64 image),\n'
      + 'tagged Name=<node>, the cluster tag (dust:cluster or ec2.clusterTag) = <name> and dust:cluster-role=master|worker.\n'
      + '--spec FILE reads YAML/JSON: { name, nodes: [{ name, type, count, role }], image, key, user }. --user writes a login rule\n'
      + 'for the cluster (as `assign cluster=<name> --user U`). Asks first (-y skips); --wait waits until every node runs.\n'
      + 'cluster down <name>: terminates every instance of the cluster that is not terminated (asks first; -y skips).\n'
      + 'cluster list: the clusters of the region, with node counts by state and instance types.',
    examples: ['cluster up spark1 --nodes 4 --type t3.small -y --wait', 'cluster up --spec spark1.yaml --user ec2-user', 'cluster down spark1 -y', 'cluster list'],
    target: { mode: 'none' },
    flags: {
      nodes: { type: 'string', short: 'n', description: 'up: number of nodes, master included (default 3)' },
      type: { type: 'string', short: 't', description: `up: instance type (default ${DEFAULT_TYPE}; with --spec, for groups without one)` },
      image: { type: 'string', description: 'up: AMI id (default: newest Amazon Linux 2023 x86_64)' },
      key: { type: 'string', short: 'k', description: 'up: EC2 key pair name' },
      subnet: { type: 'string', description: 'up: subnet id' },
      sg: { type: 'string', description: 'up: security group id(s), comma-separated' },
      user: { type: 'string', short: 'u', description: 'up: login user (writes a login rule for the cluster)' },
      spec: { type: 'string', short: 'f', description: 'up: YAML/JSON cluster spec file', path: 'file' },
      yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
      wait: { type: 'boolean', short: 'w', description: 'up: wait until running; down: until terminated' },
    },
    complete: (c) => (c.args.length === 0 ? SUBCOMMANDS.filter((s) => s.startsWith(c.word)) : []),
    run: (ctx) => runCluster(ctx, wait),
  };
}

function usageError(message: string, hint = `usage: ${USAGE}`): DustError {
  return new DustError(ErrorCodes.Usage, message, { hint });
}

async function runCluster(ctx: CommandContext, wait: WaitSettings): Promise<boolean> {
  const [sub, ...rest] = ctx.positionals;
  if (sub === undefined) throw usageError('cluster: which subcommand? up, down or list', 'e.g. cluster up spark1 --nodes 3, cluster down spark1, cluster list');
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    throw usageError(`cluster: unknown subcommand '${sub}' (subcommands: up, down, list)`, 'e.g. cluster up spark1 --nodes 3, cluster down spark1, cluster list');
  }
  if (sub !== 'up') {
    const stray = UP_ONLY_FLAGS.filter((f) => ctx.flags[f] !== undefined);
    if (stray.length > 0) throw usageError(`cluster ${sub}: --${stray[0]} only applies to cluster up`);
  }
  if (sub === 'list') {
    if (rest.length > 0) throw usageError(`cluster list takes no arguments (got '${rest.join(' ')}')`);
    if (ctx.flags['wait'] !== undefined || ctx.flags['yes'] !== undefined) throw usageError('cluster list takes no -y or --wait');
    return listClusters(ctx);
  }
  if (rest.length > 1) throw usageError(`cluster ${sub}: one cluster name, not '${rest.join(' ')}'`);
  if (sub === 'down') {
    const name = rest[0];
    if (name === undefined) throw usageError('cluster down: which cluster?', '`cluster list` shows them; then cluster down <name>');
    return clusterDown(ctx, checkName('cluster', name), wait);
  }
  return clusterUp(ctx, rest[0], wait);
}

function checkName(what: string, name: string): string {
  if (!NAME.test(name)) {
    throw usageError(`cluster: invalid ${what} name '${name}'`, 'use letters, digits, . _ - (up to 64, starting with a letter or digit)');
  }
  return name;
}

function clusterTagOf(ctx: CommandContext): string {
  const ec2 = ctx.state.config['ec2'] as { clusterTag?: unknown } | undefined;
  const tag = typeof ec2?.clusterTag === 'string' ? ec2.clusterTag.trim() : '';
  return tag === '' ? DEFAULT_CLUSTER_TAG : tag;
}

const str = (ctx: CommandContext, k: string): string | undefined => (typeof ctx.flags[k] === 'string' ? (ctx.flags[k] as string) : undefined);
const tagValue = (i: Instance, key: string): string | undefined => i.Tags?.find((t) => t.Key === key)?.Value;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function clusterInstances(client: EC2Client, tag: string, name: string): Promise<Instance[]> {
  return listInstances(client, { filters: [{ Name: `tag:${tag}`, Values: [name] }, { Name: 'instance-state-name', Values: NOT_TERMINATED }] });
}

// ---------------------------------------------------------------------------------------------- spec

/** Reads and validates a spec file; every problem is one DUST_USAGE line naming the file. */
export function readSpecFile(file: string): { name?: string; groups: NodeGroup[]; image?: string; key?: string; user?: string } {
  const full = path.resolve(expandHome(file));
  const bad = (what: string) => usageError(`cluster up: spec ${full}: ${what}`, 'a spec looks like { name: spark1, nodes: [{ name: master, type: t3.micro }, { name: worker, type: t3.small, count: 2 }] }');
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    throw new DustError(ErrorCodes.Usage, `cluster up: cannot read spec ${full}`, { hint: 'give the path of a YAML or JSON spec file', cause: err });
  }
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new DustError(ErrorCodes.Usage, `cluster up: spec ${full} is not valid YAML/JSON: ${reason}`, { hint: 'fix the syntax (JSON is valid YAML too)', cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('expected a mapping with name and nodes');
  const spec = doc as Record<string, unknown>;
  const known = new Set(['name', 'nodes', 'image', 'key', 'user']);
  const unknown = Object.keys(spec).filter((k) => !known.has(k));
  if (unknown.length > 0) throw bad(`unknown key '${unknown[0]}' (allowed: ${[...known].join(', ')})`);
  const optStr = (k: string, value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw bad(`${k} must be a non-empty string`);
    return value.trim();
  };
  const name = optStr('name', spec['name']);
  if (name !== undefined && !NAME.test(name)) throw bad(`name '${name}' is invalid (letters, digits, . _ -)`);
  if (!Array.isArray(spec['nodes']) || spec['nodes'].length === 0) throw bad('nodes must be a non-empty list of { name, type, count }');
  const groups = spec['nodes'].map((raw: unknown, i: number): NodeGroup => {
    const at = `nodes[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${at} must be a mapping { name, type, count }`);
    const n = raw as Record<string, unknown>;
    const extra = Object.keys(n).filter((k) => !['name', 'type', 'count', 'role'].includes(k));
    if (extra.length > 0) throw bad(`${at}: unknown key '${extra[0]}' (allowed: name, type, count, role)`);
    const gname = optStr(`${at}.name`, n['name']);
    if (gname === undefined) throw bad(`${at}.name is missing`);
    if (!NAME.test(gname)) throw bad(`${at}.name '${gname}' is invalid (letters, digits, . _ -)`);
    const type = optStr(`${at}.type`, n['type']) ?? '';
    const count = n['count'] ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) throw bad(`${at}.count must be a whole number ≥ 1`);
    const role = n['role'] ?? (gname === 'master' ? 'master' : 'worker');
    if (role !== 'master' && role !== 'worker') throw bad(`${at}.role must be master or worker`);
    return { name: gname, type, count, role };
  });
  const out: { name?: string; groups: NodeGroup[]; image?: string; key?: string; user?: string } = { groups };
  if (name !== undefined) out.name = name;
  const image = optStr('image', spec['image']);
  if (image !== undefined) out.image = image;
  const key = optStr('key', spec['key']);
  if (key !== undefined) out.key = key;
  const user = optStr('user', spec['user']);
  if (user !== undefined) out.user = user;
  return out;
}

function buildPlan(ctx: CommandContext, positionalName: string | undefined): ClusterPlan {
  const specFile = str(ctx, 'spec');
  const typeFlag = str(ctx, 'type');
  let plan: ClusterPlan;
  if (specFile !== undefined) {
    if (ctx.flags['nodes'] !== undefined) throw usageError('cluster up: --nodes and --spec exclude each other', 'set count in the spec\'s nodes');
    const spec = readSpecFile(specFile);
    if (positionalName !== undefined && spec.name !== undefined && positionalName !== spec.name) {
      throw usageError(`cluster up: the spec names cluster '${spec.name}', the command '${positionalName}'`, 'drop one of them or make them agree');
    }
    const name = positionalName ?? spec.name;
    if (name === undefined) throw usageError('cluster up: the cluster has no name', 'add name: to the spec or give it: cluster up <name> --spec FILE');
    plan = {
      name: checkName('cluster', name),
      groups: spec.groups.map((g) => ({ ...g, type: g.type === '' ? (typeFlag ?? DEFAULT_TYPE) : g.type })),
      image: str(ctx, 'image') ?? spec.image,
      key: str(ctx, 'key') ?? spec.key,
      user: str(ctx, 'user') ?? spec.user,
    };
  } else {
    if (positionalName === undefined) throw usageError('cluster up: which name?', 'e.g. cluster up spark1 --nodes 3 (or --spec FILE)');
    const nodesText = str(ctx, 'nodes') ?? String(DEFAULT_NODES);
    const n = Number(nodesText);
    if (!/^\d+$/.test(nodesText.trim()) || !Number.isInteger(n) || n < 1) throw usageError(`cluster up: --nodes must be a whole number ≥ 1, not '${nodesText}'`);
    const type = typeFlag ?? DEFAULT_TYPE;
    const groups: NodeGroup[] = [{ name: 'master', role: 'master', type, count: 1 }];
    if (n > 1) groups.push({ name: 'worker', role: 'worker', type, count: n - 1 });
    plan = { name: checkName('cluster', positionalName), groups, image: str(ctx, 'image'), key: str(ctx, 'key'), user: str(ctx, 'user') };
  }
  const names = plan.groups.flatMap(groupNodeNames);
  if (names.length > MAX_NODES) throw usageError(`cluster up: ${names.length} nodes is more than ${MAX_NODES}`, 'launch a smaller cluster');
  const dup = names.find((x, i) => names.indexOf(x) !== i);
  if (dup !== undefined) throw usageError(`cluster up: two nodes would be named '${dup}'`, 'give the node groups distinct names');
  for (const g of plan.groups) {
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(g.type)) throw usageError(`cluster up: '${g.type}' is not an instance type`, 'e.g. t3.micro, m6i.large');
  }
  if (plan.user !== undefined && !USER.test(plan.user)) throw usageError(`cluster up: invalid login user '${plan.user}'`, 'e.g. ec2-user, ubuntu');
  return plan;
}

async function defaultImage(client: EC2Client): Promise<Image> {
  const newest = await newestDefaultImage(client, 'x86_64');
  if (!newest?.ImageId) {
    const filter = defaultImageFilter('x86_64');
    throw new DustError(ErrorCodes.Ec2Api, `cluster up: no default image (owner ${filter.owner}, name ${filter.name}) in this region`, { hint: 'pass --image ami-...' });
  }
  return newest;
}

// ---------------------------------------------------------------------------------------------- up

async function clusterUp(ctx: CommandContext, positionalName: string | undefined, wait: WaitSettings): Promise<boolean> {
  const plan = buildPlan(ctx, positionalName);
  const tag = clusterTagOf(ctx);
  const client = await requireEc2(ctx).client();
  const sdk = loadEc2Sdk();

  const live = await clusterInstances(client, tag, plan.name);
  if (live.length > 0) {
    const names = live.map((i) => tagValue(i, 'Name') ?? i.InstanceId ?? '?');
    throw new DustError(ErrorCodes.Usage, `cluster up: cluster '${plan.name}' already has ${plural(live.length, 'instance')} that are not terminated (${foldNodeNames(names)})`, {
      hint: `\`cluster down ${plan.name}\` first, or pick another name`,
    });
  }

  let imageId: string;
  let imageLabel: string;
  if (plan.image !== undefined) {
    imageId = plan.image;
    imageLabel = plan.image;
  } else {
    const image = await defaultImage(client);
    imageId = image.ImageId ?? '';
    imageLabel = `${imageId} (${image.Name ?? '?'})`;
  }
  const subnet = str(ctx, 'subnet');
  const sgs = (str(ctx, 'sg') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

  const total = plan.groups.reduce((n, g) => n + g.count, 0);
  ctx.out.print(`cluster ${plan.name}: ${plural(total, 'instance')}, image ${imageLabel}${plan.key ? `, key ${plan.key}` : ''}${subnet ? `, subnet ${subnet}` : ''}${sgs.length ? `, groups ${sgs.join(',')}` : ''}`);
  ctx.out.table(['name', 'role', 'type'], plan.groups.flatMap((g) => groupNodeNames(g).map((n) => [n, g.role, g.type])));
  if (ctx.flags['yes'] !== true) {
    const yes = await ctx.prompt.confirm(`launch ${plural(total, 'instance')} for cluster ${plan.name}?`, false);
    if (!yes) {
      ctx.out.info('cancelled: nothing was launched');
      return true;
    }
  }

  const launched: { id: string; name: string }[] = [];
  try {
    for (const g of plan.groups) {
      const names = groupNodeNames(g);
      const tags = [{ Key: tag, Value: plan.name }, { Key: CLUSTER_ROLE_TAG, Value: g.role }, ...(g.count === 1 ? [{ Key: 'Name', Value: g.name }] : [])];
      const out = await sendEc2<{ Instances?: Instance[] }>(client, 'RunInstances', new sdk.RunInstancesCommand({
        ImageId: imageId, InstanceType: g.type as never, MinCount: g.count, MaxCount: g.count,
        ...(plan.key ? { KeyName: plan.key } : {}), ...(subnet ? { SubnetId: subnet } : {}), ...(sgs.length ? { SecurityGroupIds: sgs } : {}),
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      }));
      const instances = [...(out.Instances ?? [])].sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
      instances.forEach((i, k) => launched.push({ id: i.InstanceId ?? '', name: names[k] ?? i.InstanceId ?? '?' }));
      if (g.count > 1) {
        // One launch call per group; each clone then gets its own Name (CreateTags sets one value per call).
        for (const [k, i] of instances.entries()) {
          await sendEc2(client, 'CreateTags', new sdk.CreateTagsCommand({ Resources: [i.InstanceId ?? ''], Tags: [{ Key: 'Name', Value: names[k] ?? '' }] }));
        }
      }
    }
  } catch (err) {
    if (launched.length === 0 || !isDustError(err)) throw err;
    throw new DustError(err.code, `cluster up: launched ${launched.length} of ${total} instances, then: ${err.message}`, {
      hint: `\`cluster down ${plan.name}\` removes what was launched`, cause: err,
    });
  } finally {
    ctx.state.invalidate();
  }
  ctx.out.success(`cluster ${plan.name}: launched ${foldNodeNames(launched.map((l) => l.name))}`);

  let ok = true;
  if (plan.user !== undefined) {
    if (!(await ctx.runLine(`assign cluster=${plan.name} --user ${plan.user}`))) {
      ctx.out.warn(`no login rule written; try: assign cluster=${plan.name} --user ${plan.user}`);
      ok = false;
    }
  }

  if (ctx.flags['wait'] === true) {
    ok = (await waitAndReport(ctx, client, launched, 'running', 'launch', wait)) && ok;
  }
  ctx.state.invalidate();
  // By index: indexes are global, so a working set (`use webtest`) cannot hide the new cluster.
  const fresh = (await ctx.state.nodes()).filter((n) => n.cluster === plan.name);
  if (fresh.length > 0) await ctx.runLine(`show ${fresh.map((n) => n.index).join(',')}`);
  if (ctx.state.workingCluster !== undefined && ctx.state.workingCluster !== plan.name) {
    ctx.out.info(`the working set is ${ctx.state.workingCluster}: \`use ${plan.name}\` to work on the new cluster`);
  }
  return ok;
}

// ---------------------------------------------------------------------------------------------- down

async function clusterDown(ctx: CommandContext, name: string, wait: WaitSettings): Promise<boolean> {
  const tag = clusterTagOf(ctx);
  const client = await requireEc2(ctx).client();
  const instances = await clusterInstances(client, tag, name);
  const act = instances.filter((i) => i.State?.Name !== 'shutting-down');
  const nameOf = (i: Instance) => tagValue(i, 'Name') ?? i.InstanceId ?? '?';
  if (act.length === 0) {
    ctx.out.info(instances.length > 0
      ? `cluster ${name}: already terminating: ${foldNodeNames(instances.map(nameOf))}`
      : `cluster ${name}: no instances that are not terminated (tag ${tag}=${name}); nothing to do`);
    return true;
  }
  ctx.out.table(['name', 'id', 'type', 'state'], act.map((i) => [nameOf(i), i.InstanceId ?? '?', String(i.InstanceType ?? '?'), i.State?.Name ?? '?']));
  if (ctx.flags['yes'] !== true) {
    const yes = await ctx.prompt.confirm(`terminate ${plural(act.length, 'instance')} of cluster ${name}?`, false);
    if (!yes) {
      ctx.out.info('cancelled: nothing was changed');
      return true;
    }
  }
  const sdk = loadEc2Sdk();
  const nodes = act.map((i) => ({ id: i.InstanceId ?? '', name: nameOf(i) }));
  try {
    await sendEc2(client, 'TerminateInstances', new sdk.TerminateInstancesCommand({ InstanceIds: nodes.map((n) => n.id) }));
  } finally {
    ctx.state.invalidate();
  }
  ctx.out.success(`cluster ${name}: terminating ${foldNodeNames(nodes.map((n) => n.name))}`);
  if (ctx.flags['wait'] === true) return waitAndReport(ctx, client, nodes, 'terminated', 'termination', wait);
  return true;
}

// ---------------------------------------------------------------------------------------------- list

async function listClusters(ctx: CommandContext): Promise<boolean> {
  const tag = clusterTagOf(ctx);
  const client = await requireEc2(ctx).client();
  const instances = await listInstances(client, { filters: [{ Name: 'tag-key', Values: [tag] }] });
  const byCluster = new Map<string, Instance[]>();
  for (const i of instances) {
    const c = tagValue(i, tag);
    if (c === undefined || c === '') continue;
    byCluster.set(c, [...(byCluster.get(c) ?? []), i]);
  }
  if (byCluster.size === 0) {
    ctx.out.info(`no clusters in ${ctx.state.region ?? 'this region'} (no instance has the tag ${tag})`);
    return true;
  }
  const countBy = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const stateOrder = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];
  const rows = [...byCluster.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, xs]) => {
    const states = [...countBy(xs.map((i) => i.State?.Name ?? 'unknown'))]
      .sort(([a], [b]) => (stateOrder.indexOf(a) >>> 0) - (stateOrder.indexOf(b) >>> 0))
      .map(([s, n]) => `${n} ${s}`).join(', ');
    const types = [...countBy(xs.map((i) => String(i.InstanceType ?? '?')))].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t}×${n}`).join(', ');
    return [c, String(xs.length), states, types];
  });
  ctx.out.table(['cluster', 'nodes', 'states', 'types'], rows);
  return true;
}
