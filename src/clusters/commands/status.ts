import type { CommandContext, DustNode } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { readSetupRecord, recordedClusters, type SetupRecordEntry } from '../records.js';
import { checkClusterName, inventoryNodes, findCluster, usageError } from './common.js';
import { setupDigest } from './setup-step.js';

/** How long `status` gives a node to answer over its session before calling it unreachable. */
const PROBE_TIMEOUT_MS = 8000;

function setupText(e: SetupRecordEntry | undefined, stale: boolean): string {
  if (!e) return 'not run';
  const base = e.status === 'ok' ? 'ok'
    : e.status === 'failed' ? `failed at ${e.step ?? '?'}${e.exitCode !== undefined && e.exitCode !== null ? ` (exit ${e.exitCode})` : ''}`
      : e.status;
  return stale ? `${base}, spec changed since` : base;
}

/** `cluster status [NAME]`: per node state, address, whether it answers now, its setup outcome; then drift. */
export async function clusterStatus(ctx: CommandContext, args: readonly string[]): Promise<boolean> {
  if (args.length > 1) throw usageError(`cluster status: one cluster name, not '${args.join(' ')}'`);
  let name = args[0];
  if (name === undefined) {
    const here = recordedClusters(ctx.state.dustHome);
    if (here.length !== 1) {
      throw usageError('cluster status: which cluster?', here.length > 0 ? `clusters brought up here: ${here.map((c) => c.name).join(', ')}` : '`cluster list` shows the clusters');
    }
    name = here[0]!.name;
  }
  checkClusterName('status', name);
  const { provider, report } = await findCluster(ctx, 'status', name);
  if (!report) {
    throw new DustError(ErrorCodes.ClusterNotFound, `cluster status: ${provider.describe()} has no cluster named '${name}'`, { hint: '`cluster list` shows the clusters' });
  }
  const setup = new Map(readSetupRecord(ctx.state.dustHome, name).map((e) => [e.node, e]));
  const digest = report.spec ? setupDigest(report.spec) : undefined;
  const nodes = await inventoryNodes(ctx, name, report.nodes);

  // Reachable: whether the node's shell answers now (this opens its session, which the next `@` then reuses).
  const reachable = new Map<string, string>();
  const probe = report.nodes.filter((n) => n.live && nodes.has(n.name)).map((n) => nodes.get(n.name)!);
  if (ctx.flags['no-probe'] !== true && probe.length > 0) {
    const results = await ctx.sessions.run(probe, 'true', { noInput: true, timeoutMs: PROBE_TIMEOUT_MS, signal: ctx.signal });
    for (const r of results) reachable.set(r.node.name, r.status === 'ok' ? 'yes' : r.status === 'unreachable' ? `no: ${r.error?.message ?? 'unreachable'}` : r.status);
  }
  const nodeName = (n: DustNode | undefined, fallback: string) => n?.name ?? fallback;
  const rows = report.nodes.map((n) => {
    const inv = nodes.get(n.name);
    const rec = setup.get(inv?.name ?? n.name) ?? setup.get(n.name);
    return [
      nodeName(inv, n.name), n.role, n.reason ? `${n.state} (${n.reason})` : n.state, n.address ?? '-', n.kind ?? '',
      reachable.get(inv?.name ?? '') ?? (n.live ? (inv ? '?' : 'not in inventory') : '-'),
      n.role === 'other' ? '-' : setupText(rec, digest !== undefined && rec?.digest !== undefined && rec.digest !== digest),
    ];
  });
  if (ctx.out.json) {
    ctx.out.record({
      type: 'cluster-status', cluster: name, provider: provider.kind, location: report.location, ready: report.ready,
      nodes: report.nodes.map((n, i) => ({ ...n, reachable: rows[i]![5], setup: rows[i]![6] })),
      drift: report.drift, resources: report.resources, ...(report.stateFile ? { stateFile: report.stateFile } : {}),
    });
    return true;
  }
  ctx.out.info(`cluster ${name} on ${provider.kind} (${report.location}): ${report.ready ? 'head up' : 'head not up'}`);
  ctx.out.table(['node', 'role', 'state', 'address', 'kind', 'reachable', 'setup'], rows);
  for (const line of report.drift) ctx.out.warn(line);
  for (const line of report.resources) ctx.out.info(line);
  if (report.stateFile) ctx.out.info(`state: ${report.stateFile}`);
  return true;
}
