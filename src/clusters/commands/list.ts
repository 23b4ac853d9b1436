import type { CommandContext } from '../../plugins/api.js';
import type { ClusterListEntry } from '../provider.js';
import { usageError } from './common.js';

const GONE = new Set(['terminated', 'shutting-down', 'Succeeded', 'Failed']);

function liveCount(e: ClusterListEntry): number {
  return Object.entries(e.states).filter(([s]) => !GONE.has(s)).reduce((a, [, n]) => a + n, 0);
}

/**
 * `cluster list`: every cluster each working provider sees, running ones first, then those whose nodes are all
 * gone (terminated instances stay listed by EC2 for a while), like daft's list: with the head's address.
 */
export async function clusterList(ctx: CommandContext, args: readonly string[]): Promise<boolean> {
  if (args.length > 0) throw usageError(`cluster list takes no arguments (got '${args.join(' ')}')`);
  const providers = ctx.state.clusterProviders();
  const usable = providers.filter((p) => p.unavailable?.() === undefined);
  for (const p of providers) if (!usable.includes(p) && !ctx.out.json) ctx.out.info(`${p.describe()}: ${p.unavailable?.()?.message ?? 'not available'}`);
  if (usable.length === 0) {
    const first = providers[0]?.unavailable?.();
    if (first) throw first;
    ctx.out.info('no cluster provider is enabled');
    return true;
  }
  const lists = await Promise.allSettled(usable.map(async (p) => ({ p, entries: await p.list({ signal: ctx.signal }) })));
  let ok = true;
  const rows: { kind: string; e: ClusterListEntry }[] = [];
  for (const [i, r] of lists.entries()) {
    if (r.status === 'fulfilled') rows.push(...r.value.entries.map((e) => ({ kind: r.value.p.kind, e })));
    else {
      ok = false;
      ctx.out.error(r.reason);
      ctx.out.warn(`${usable[i]!.describe()}: its clusters are missing from the list`);
    }
  }
  rows.sort((a, b) => Number(liveCount(b.e) > 0) - Number(liveCount(a.e) > 0) || a.e.name.localeCompare(b.e.name));
  if (ctx.out.json) {
    for (const { kind, e } of rows) ctx.out.record({ type: 'cluster', cluster: e.name, provider: kind, location: e.location, states: e.states, head: e.head ?? null, fromSpec: e.fromSpec, running: liveCount(e) > 0 });
    return ok;
  }
  if (rows.length === 0) {
    ctx.out.info(`no clusters (${usable.map((p) => p.describe()).join(', ')})`);
    return ok;
  }
  const statesText = (e: ClusterListEntry) => Object.entries(e.states).sort(([, a], [, b]) => b - a).map(([s, n]) => `${n} ${s}`).join(', ') || 'no nodes';
  ctx.out.table(
    ['cluster', 'status', 'provider', 'where', 'head', 'nodes', 'spec'],
    rows.map(({ kind, e }) => [
      e.name, liveCount(e) > 0 ? 'running' : 'terminated', kind, e.location,
      e.head ? `${e.head.address ?? '-'} (${e.head.state})` : '-', statesText(e), e.fromSpec ? 'here' : '-',
    ]),
  );
  return ok;
}
