import type { CommandContext, DustNode } from '../../plugins/api.js';
import type { ClusterNodeReport, ClusterProgress, ClusterProvider, ClusterStatusReport } from '../provider.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { recordedProvider } from '../records.js';
import { CLUSTER_NAME } from '../names.js';
import { makeChalk, nodeColor } from '../../output/style.js';

export const USAGE =
  'cluster init [FILE|NAME] [--provider ec2|k8s] | cluster up [-f FILE] [NAME] [--k8s --image IMG] [--nodes N] [--timeout S] [-y] | cluster status [NAME] | '
  + 'cluster list | cluster submit NAME [-w DIR] [--detach] -- CMD | cluster dashboard NAME [--port P] [--local L] | cluster down NAME [-y]';

export function usageError(message: string, hint = `usage: ${USAGE}`): DustError {
  return new DustError(ErrorCodes.Usage, message, { hint });
}

export function checkClusterName(sub: string, name: string): string {
  if (!CLUSTER_NAME.test(name)) {
    throw usageError(`cluster ${sub}: '${name}' is not a cluster name`, 'cluster names are letters, digits, . _ - (up to 64, starting with a letter or digit)');
  }
  return name;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The provider serving `kind`, ready to work, or one line saying why not. */
export function providerOfKind(ctx: CommandContext, kind: string): ClusterProvider {
  const all = ctx.state.clusterProviders();
  const provider = all.find((p) => p.kind === kind);
  if (!provider) {
    throw new DustError(ErrorCodes.ClusterProvider, `cluster: no integration provides '${kind}' clusters`, {
      hint: all.length > 0
        ? `providers here: ${all.map((p) => p.kind).join(', ')}; a plugin adds others with api.registerClusterProvider`
        : 'enable EC2 (--region) or Kubernetes (kubernetes.enabled in the config)',
    });
  }
  const problem = provider.unavailable?.();
  if (problem) throw problem;
  return provider;
}

/**
 * Whose cluster `name` is, and how it is now: the provider named by `--provider`, else the one holding this
 * machine's record of it, else whichever working provider sees a cluster by that name (asked in parallel; the
 * answer that found it is the report, so nobody asks twice).
 */
export async function findCluster(ctx: CommandContext, sub: string, name: string): Promise<{ provider: ClusterProvider; report: ClusterStatusReport | undefined }> {
  const explicit = typeof ctx.flags['provider'] === 'string' ? ctx.flags['provider'] : undefined;
  const known = explicit ?? recordedProvider(ctx.state.dustHome, name);
  if (known !== undefined) {
    const provider = providerOfKind(ctx, known);
    return { provider, report: await provider.status(name, { signal: ctx.signal }) };
  }
  const usable = ctx.state.clusterProviders().filter((p) => p.unavailable?.() === undefined);
  if (usable.length === 0) {
    const any = ctx.state.clusterProviders()[0];
    const problem = any?.unavailable?.();
    if (problem) throw problem;
    throw new DustError(ErrorCodes.ClusterProvider, `cluster ${sub}: no cluster provider is enabled`, { hint: 'enable EC2 (--region) or Kubernetes (kubernetes.enabled in the config)' });
  }
  const seen = await Promise.all(usable.map(async (provider) => {
    const report = await provider.status(name, { signal: ctx.signal }).catch(() => undefined);
    return report ? { provider, report } : undefined;
  }));
  const found = seen.filter((f) => f !== undefined);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new DustError(ErrorCodes.ClusterProvider, `cluster ${sub}: ${found.map((f) => f.provider.kind).join(' and ')} each have a cluster named '${name}'`, {
      hint: `say which: cluster ${sub} ${name} --provider ${found[0]!.provider.kind}`,
    });
  }
  throw new DustError(ErrorCodes.ClusterNotFound, `cluster ${sub}: no cluster named '${name}' (${usable.map((p) => p.describe()).join(', ')})`, {
    hint: '`cluster list` shows the clusters; `cluster up -f FILE` brings one up',
  });
}

/** Progress lines of provisioning: one per finished step; waits on a redrawn line. */
export function progressPrinter(ctx: CommandContext, name: string): { onProgress(e: ClusterProgress): void; end(): void } {
  let waiting: ReturnType<CommandContext['out']['progress']> | undefined;
  const end = () => {
    waiting?.done();
    waiting = undefined;
  };
  return {
    onProgress(e) {
      if (ctx.out.json) {
        ctx.out.record({ type: 'cluster-progress', cluster: name, step: e.step, phase: e.phase, message: e.message });
        return;
      }
      if (e.phase === 'wait') {
        waiting ??= ctx.out.progress(`${name}: ${e.message}`);
        waiting.update(`${name}: ${e.message}`);
        return;
      }
      end();
      if (e.phase === 'done') ctx.out.success(`${name}: ${e.message}`);
      else if (e.phase === 'skip') ctx.out.info(`${name}: ${e.message}`);
    },
    end,
  };
}

/**
 * The inventory nodes behind a provider's report: nodes of the cluster matched by the provider's id, else by
 * name (a second cluster's `head` is `head@ec2` in the inventory).
 */
export async function inventoryNodes(ctx: CommandContext, cluster: string, reports: readonly ClusterNodeReport[]): Promise<Map<string, DustNode>> {
  const nodes = (await ctx.state.nodes()).filter((n) => n.cluster === cluster);
  const out = new Map<string, DustNode>();
  for (const r of reports) {
    const byId = r.id !== undefined ? nodes.find((n) => n.props['id'] === r.id || n.props['uid'] === r.id) : undefined;
    const byName = nodes.find((n) => n.name === r.name) ?? nodes.find((n) => n.name.startsWith(`${r.name}@`));
    const node = byId ?? byName;
    if (node) out.set(r.name, node);
  }
  return out;
}

/** `[worker0] line`, in the node's colour, as `@` prints it. */
export function nodeLinePrinter(ctx: CommandContext, names: readonly string[]): (node: string, line: string) => void {
  const chalk = makeChalk(ctx.out.colorEnabled);
  const width = Math.max(0, ...names.map((n) => n.length));
  return (node, line) => {
    if (ctx.muted.has(node)) return;
    ctx.out.print(`${nodeColor(chalk, node)(`[${node}]`.padEnd(width + 2))} ${line}`);
  };
}

/** The text after the first ` -- ` of the raw line, quoting untouched (the command the nodes run). */
export function afterDoubleDash(raw: string): string | undefined {
  const m = /(?:^|\s)--(?:\s+|$)/.exec(raw);
  if (!m) return undefined;
  return raw.slice(m.index + m[0].length).trim();
}
