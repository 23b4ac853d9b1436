import type { CommandContext } from '../../plugins/api.js';
import { openDashboard } from '../dashboard.js';
import { usageError } from './common.js';
import { clusterHead } from './head.js';

/**
 * `cluster dashboard NAME [--port P] [--local L]`: a local forward 127.0.0.1:L → head:P over the head's existing
 * connection; prints the URL and stays until Ctrl-C (in a script: until the process ends, or --for SECONDS).
 */
export async function clusterDashboard(ctx: CommandContext, args: readonly string[]): Promise<boolean> {
  const [name, ...extra] = args;
  if (name === undefined) throw usageError('cluster dashboard: which cluster?', 'e.g. cluster dashboard spark1 (the spec\'s dashboard.port) or cluster dashboard spark1 --port 8265');
  if (extra.length > 0) throw usageError(`cluster dashboard: one cluster name, not '${args.join(' ')}'`);
  const { head, dashboardPort } = await clusterHead(ctx, 'dashboard', name);
  const port = typeof ctx.flags['port'] === 'number' ? ctx.flags['port'] : dashboardPort;
  if (port === undefined) throw usageError(`cluster dashboard: cluster ${name} has no dashboard.port in its spec`, `give the head's port: cluster dashboard ${name} --port 8265`);
  const local = typeof ctx.flags['local'] === 'number' ? ctx.flags['local'] : undefined;
  const forwarding = ctx.sessions.forwarding(head);
  const forward = forwarding.forward;
  const dashboard = await openDashboard({
    transport: { name: forwarding.transport, ...(forward ? { forward: (_node, remotePort, opts) => forward(remotePort, opts) } : {}) },
  }, head, port, { ...(local !== undefined ? { localPort: local } : {}), signal: ctx.signal });
  if (ctx.out.json) ctx.out.record({ type: 'cluster-dashboard', cluster: name, node: head.name, url: dashboard.url, localPort: dashboard.localPort, remotePort: port });
  ctx.out.success(`dashboard of ${name}: ${dashboard.url} → ${head.name}:${port} (over the open session; Ctrl-C closes it)`);
  const seconds = typeof ctx.flags['for'] === 'number' ? ctx.flags['for'] : undefined;
  const timer = seconds !== undefined ? setTimeout(() => void dashboard.close(), seconds * 1000) : undefined;
  try {
    await dashboard.closed;
  } finally {
    if (timer) clearTimeout(timer);
  }
  ctx.out.info(`dashboard of ${name} closed`);
  return true;
}
