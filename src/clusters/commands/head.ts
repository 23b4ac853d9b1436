import type { CommandContext, DustNode } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import type { ClusterProvider } from '../provider.js';
import { checkClusterName, inventoryNodes, findCluster } from './common.js';

/** The cluster's head as a node dust can reach, or one line saying why there is none to use. */
export async function clusterHead(ctx: CommandContext, sub: string, name: string): Promise<{ head: DustNode; provider: ClusterProvider; dashboardPort: number | undefined }> {
  checkClusterName(sub, name);
  const { provider, report } = await findCluster(ctx, sub, name);
  const head = report?.nodes.find((n) => n.role === 'head' && n.live) ?? undefined;
  if (!report || !head) {
    const any = report?.nodes.find((n) => n.role === 'head');
    throw new DustError(ErrorCodes.ClusterNotReady, `cluster ${sub}: cluster ${name} has no head that is up${any ? ` (${any.name} is ${any.state}${any.reason ? `: ${any.reason}` : ''})` : ''}`, {
      hint: `\`cluster up ${name}\` brings it back; \`cluster status ${name}\` shows the nodes`,
    });
  }
  const node = (await inventoryNodes(ctx, name, [head])).get(head.name);
  if (!node) {
    throw new DustError(ErrorCodes.ClusterNotReady, `cluster ${sub}: the head of ${name} (${head.name}) is up but not in dust's inventory`, {
      hint: `\`refresh\`, then \`show cluster=${name}\``,
    });
  }
  const spec = report.spec as { dashboard?: { port: number } } | undefined;
  return { head: node, provider, dashboardPort: spec?.dashboard?.port };
}
