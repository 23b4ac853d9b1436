import type { CommandSpec, DustNode } from '../api.js';
import { renderNodeTable, allProperties, type Verbosity } from '../../output/node-table.js';
import { makeChalk } from '../../output/style.js';
import { describeNoMatch, foldNodeNames } from '../../targets/index.js';

export const showCommand: CommandSpec = {
  name: 'show',
  usage: 'show [-v|-vv] [target]',
  summary: 'list nodes as a table grouped by cluster (-v more columns, -vv every property)',
  help: 'Lists the nodes of the working set, or those a target selects, with their stable index (#).\n'
    + 'When a target matches no node by name or property, show searches the text of every property and tag\n'
    + '(show 2016-04, show running, show 10.0.1.). See `help targets` for the target language.',
  examples: ['show', 'show -v worker*', 'show state=stopped', 'show -vv 3', 'show tags=env:prod&cluster=web'],
  flags: { verbose: { type: 'boolean', short: 'v', multiple: true, description: 'more detail: -v extended columns, -vv every property' } },
  // The target is resolved here rather than by dust, because a target that fails (no match, or not
  // even valid syntax such as `2016-04`) becomes a free-text search before it becomes an error.
  target: { mode: 'none' },
  async run(ctx) {
    const verbosity = Math.min(2, Number(ctx.flags['verbose'] ?? 0)) as Verbosity;
    const target = ctx.positionals.join(' ').trim() || undefined;
    let nodes: readonly DustNode[];
    let targetError: unknown;
    try {
      nodes = await ctx.state.resolveTarget(target);
    } catch (err) {
      nodes = [];
      targetError = err;
    }
    if (nodes.length === 0 && target) {
      nodes = freeTextSearch(await ctx.state.workingSet(), target);
      if (nodes.length === 0) throw targetError ?? describeNoMatch(target);
      ctx.out.info(`no node matches '${target}' as a target; ${nodes.length} contain it as text:`);
    }
    if (nodes.length === 0) {
      const why = ctx.state.workingCluster
        ? `no nodes in the working set '${ctx.state.workingCluster}' (use * to see all)`
        : ctx.state.region
          ? `no instances in ${ctx.state.region} and no static nodes (\`use <region>\` switches region; static nodes go under \`nodes:\` in the config)`
          : 'no nodes: add some under `nodes:` in the config (docs/config.md), or set a region for EC2';
      ctx.out.info(why);
      return;
    }
    if (ctx.out.json) {
      // Every property, as -vv shows them; identity files are paths, never key material.
      for (const n of nodes) {
        ctx.out.record({
          type: 'node', index: n.index, name: n.name, cluster: n.cluster ?? null, state: n.state, source: n.source,
          host: n.host, port: n.port, user: n.user ?? null, tags: n.tags, annotations: n.annotations, props: n.props,
        });
      }
      return;
    }
    const chalk = makeChalk(ctx.out.colorEnabled);
    ctx.out.print(renderNodeTable(nodes, { verbosity, chalk, color: ctx.out.colorEnabled }));
    const clusters = new Set(nodes.map((n) => n.cluster ?? ''));
    const where = ctx.state.workingCluster ? ` in working set ${ctx.state.workingCluster}` : '';
    ctx.out.info(chalk.dim(`${nodes.length} node${nodes.length === 1 ? '' : 's'}${where} · ${clusters.size} group${clusters.size === 1 ? '' : 's'} · ${foldNodeNames(nodes.map((n) => n.name))}`));
  },
};

/** The original's fallback: case-insensitive substring over every property value and tag. */
function freeTextSearch(nodes: readonly DustNode[], text: string): DustNode[] {
  const needles = text.toLowerCase().split(',').filter((t) => t !== '');
  return nodes.filter((n) => {
    const hay = allProperties(n).map(([k, v]) => `${k}\u0000${v}`.toLowerCase());
    return needles.some((needle) => hay.some((h) => h.includes(needle)));
  });
}
