import type { CommandContext, CommandSpec } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

export const useCommand: CommandSpec = {
  name: 'use',
  usage: 'use <cluster|region|*>',
  summary: 'set the working set: the nodes that `@ cmd`, `show` and every target select from',
  help: '`use slurm1` restricts every later command to cluster slurm1 (the prompt shows [slurm1]).\n'
    + '`use *` clears it. Indexes (#) stay those of the whole inventory, so they never change under you.\n'
    + '`use eu-west-1` switches the EC2 region (checked against the region list), clearing the working set; any\n'
    + 'integration can offer such scopes (api.registerScope). With dust serve, a region switch is for every client.',
  examples: ['use slurm1', 'use *', 'use eu-west-1'],
  async complete(ctx) {
    const scopes = await ctx.state.scopeNames().catch(() => []);
    return ['*', ...(await ctx.state.clusters()), ...scopes.map((s) => s.name)].filter((c) => c.startsWith(ctx.word));
  },
  async run(ctx) {
    const name = ctx.positionals[0];
    const clusters = await ctx.state.clusters();
    if (name === undefined || ctx.positionals.length > 1) {
      // Only a hint here: a cloud that cannot list regions must not hide the usage error.
      const scopes = await ctx.state.scopeNames().catch(() => []);
      const known = [clusters.length ? `clusters: ${clusters.join(', ')}` : 'no clusters yet: give nodes a cluster in the config'];
      if (scopes.length) known.push(`${scopes[0]!.kind}s: ${scopes.map((s) => s.name).join(', ')}`);
      throw new DustError(ErrorCodes.Usage, `use: expected one cluster name, region or *`, { hint: known.join('; ') });
    }
    if (name === '*') {
      ctx.state.useCluster(undefined);
      ctx.out.info('working set cleared: all nodes');
      return contextRecord(ctx);
    }
    if (!clusters.includes(name)) {
      // Not caught: without credentials, `use eu-west-1` must say so rather than "no such cluster".
      const scopes = await ctx.state.scopeNames();
      if (scopes.length > 0) {
        const scope = scopes.find((s) => s.name === name);
        if (scope) {
          await ctx.state.useScope(name);
          ctx.out.info(`${scope.kind} ${name}`);
          return ctx.out.json ? contextRecord(ctx) : ctx.runLine('show');
        }
        throw new DustError(ErrorCodes.UnknownContext, `use: no cluster or ${scopes[0]!.kind} named '${name}'`, {
          hint: `clusters: ${clusters.join(', ') || '(none)'}; ${scopes[0]!.kind}s: ${scopes.map((s) => s.name).join(', ')}`,
        });
      }
      throw new DustError(ErrorCodes.UnknownContext, `use: no cluster named '${name}'`, {
        hint: clusters.length ? `clusters: ${clusters.join(', ')}` : 'no clusters yet: give nodes a cluster in the config',
      });
    }
    ctx.state.useCluster(name);
    // A person wants to see the nodes now in play; a script gets one record saying what changed
    // (the node list is a `show` away).
    return ctx.out.json ? contextRecord(ctx) : ctx.runLine('show');
  },
};

/** `{type: 'context', cluster, region}`: the working set (null = all nodes) and the region after `use`. */
function contextRecord(ctx: CommandContext): void {
  ctx.out.record({ type: 'context', cluster: ctx.state.workingCluster ?? null, region: ctx.state.region ?? null });
}
