import type { CommandContext } from '../../plugins/api.js';
import { deleteSetupRecord } from '../records.js';
import { checkClusterName, inventoryNodes, plural, progressPrinter, findCluster, usageError } from './common.js';

/**
 * `cluster down NAME`: shows what goes, asks (unless -y), closes dust's sessions to the nodes, and has the
 * provider remove what `up` created (and nothing else), waiting until it is gone.
 */
export async function clusterDown(ctx: CommandContext, args: readonly string[]): Promise<boolean> {
  const name = args[0];
  if (name === undefined) throw usageError('cluster down: which cluster?', '`cluster list` shows them; then cluster down NAME');
  if (args.length > 1) throw usageError(`cluster down: one cluster name, not '${args.join(' ')}'`);
  checkClusterName('down', name);
  const { provider, report } = await findCluster(ctx, 'down', name);
  const live = (report?.nodes ?? []).filter((n) => n.role !== 'other' && n.state !== 'terminated' && n.state !== 'shutting-down');
  if (ctx.flags['yes'] !== true && !ctx.out.json) {
    if (live.length > 0) ctx.out.table(['node', 'role', 'state', 'address', 'kind'], live.map((n) => [n.name, n.role, n.state, n.address ?? '-', n.kind ?? '']));
    for (const r of report?.resources ?? []) ctx.out.info(r);
    const what = live.length > 0 ? `${plural(live.length, 'node')} and what dust created for it` : 'what dust created for it';
    if (!(await ctx.prompt.confirm(`remove cluster ${name} (${what}, on ${provider.describe()})?`, false))) {
      ctx.out.info('cancelled: nothing was changed');
      return true;
    }
  }
  // Sessions to nodes about to disappear would only wait for timeouts.
  const nodes = await inventoryNodes(ctx, name, report?.nodes ?? []);
  await Promise.all([...nodes.values()].map((n) => ctx.sessions.close(n).catch(() => undefined)));

  const progress = progressPrinter(ctx, name);
  let result;
  try {
    result = await provider.down(name, { onProgress: progress.onProgress, signal: ctx.signal });
  } finally {
    progress.end();
    ctx.state.invalidate();
  }
  deleteSetupRecord(ctx.state.dustHome, name);
  if (ctx.out.json) {
    ctx.out.record({ type: 'cluster-down', cluster: name, provider: provider.kind, removed: result.removed, deleted: result.deleted, kept: result.kept, nothingFound: result.nothingFound });
    return true;
  }
  if (result.nothingFound) {
    ctx.out.info(`cluster ${name}: nothing left to remove`);
    return true;
  }
  const gone = [...result.removed, ...result.deleted];
  ctx.out.success(`cluster ${name} is gone${gone.length > 0 ? `: ${gone.join(', ')}` : ''}`);
  if (result.kept.length > 0) ctx.out.info(`kept (not created by dust): ${result.kept.join(', ')}`);
  return true;
}
