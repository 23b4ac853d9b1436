import { createHash } from 'node:crypto';
import type { CommandContext, DustNode } from '../../plugins/api.js';
import { runSetupOn, setupOutcomesFailure, type NodeSetupOutcome, type SetupEvent, type SetupSpec } from '../setup.js';
import { readSetupRecord, writeSetupRecord, type SetupRecordEntry } from '../records.js';
import { nodeLinePrinter } from './common.js';

/** Setup timing knobs (tests shorten the wait for a node that never answers). */
export interface SetupTuning {
  reachTimeoutMs?: number;
  reachIntervalMs?: number;
}

/** What the setup of a spec is: a node whose last setup ran another one is set up again. */
export function setupDigest(spec: SetupSpec): string {
  return createHash('sha256').update(JSON.stringify([spec.dependencies, spec.setup])).digest('hex').slice(0, 16);
}

function hasWork(spec: SetupSpec): boolean {
  return spec.dependencies.packages.length + spec.dependencies.pip.length + spec.setup.all.length + spec.setup.head.length > 0;
}

/**
 * Runs the spec's setup on the cluster's nodes over dust's sessions, with live `[node] line` output, and records
 * each node's outcome for `cluster status`. Nodes whose last setup of this same spec succeeded are skipped (so
 * `cluster up` again only finishes what is missing); `all` sets every node up again.
 */
export async function setUpNodes(
  ctx: CommandContext, cluster: string, spec: SetupSpec, head: DustNode, workers: readonly DustNode[],
  opts: { all: boolean; tuning?: SetupTuning },
): Promise<{ outcomes: NodeSetupOutcome[]; skipped: string[]; failure: Error | undefined }> {
  if (!hasWork(spec)) return { outcomes: [], skipped: [], failure: undefined };
  const digest = setupDigest(spec);
  const done = new Set(readSetupRecord(ctx.state.dustHome, cluster).filter((e) => e.status === 'ok' && e.digest === digest).map((e) => e.node));
  const needs = (n: DustNode) => opts.all || !done.has(n.name);
  const all = [{ node: head, role: 'head' as const }, ...workers.map((node) => ({ node, role: 'worker' as const }))];
  const todo = all.filter((n) => needs(n.node));
  const skipped = all.filter((n) => !needs(n.node)).map((n) => n.node.name);
  if (todo.length === 0) return { outcomes: [], skipped, failure: undefined };

  const print = nodeLinePrinter(ctx, [head, ...workers].map((n) => n.name));
  const waiting = new Map<string, ReturnType<CommandContext['out']['progress']>>();
  const onEvent = (e: SetupEvent) => {
    if (ctx.out.json) {
      ctx.out.record({ type: 'cluster-setup', cluster, node: e.node.name, event: e.type, ...('step' in e ? { step: e.step.id, phase: e.phase } : {}) });
      return;
    }
    if (e.type === 'waiting') {
      const p = waiting.get(e.node.name) ?? ctx.out.progress('');
      waiting.set(e.node.name, p);
      p.update(`${e.node.name}: waiting for it to answer (${Math.round(e.elapsedMs / 1000)} s: ${e.reason})`);
    } else if (e.type === 'reached') {
      waiting.get(e.node.name)?.done();
      waiting.delete(e.node.name);
    } else if (e.phase === 'start') {
      print(e.node.name, `▸ ${e.step.id}: ${e.step.command}`);
    } else if (e.phase === 'failed') {
      print(e.node.name, `✖ ${e.step.id} failed: ${e.reason}`);
    }
  };
  const outcomes = await runSetupOn({
    sessions: ctx.sessions,
    onLine: (node, line) => { if (!ctx.out.json) print(node.name, line); },
    onEvent,
    signal: ctx.signal,
    ...(opts.tuning?.reachTimeoutMs !== undefined ? { reachTimeoutMs: opts.tuning.reachTimeoutMs } : {}),
    ...(opts.tuning?.reachIntervalMs !== undefined ? { reachIntervalMs: opts.tuning.reachIntervalMs } : {}),
  }, todo, spec);
  for (const p of waiting.values()) p.done();
  const entries: SetupRecordEntry[] = outcomes.map((o) => ({
    node: o.node, role: o.role, status: o.status, digest, at: o.at,
    ...(o.step !== undefined ? { step: o.step } : {}),
    ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  }));
  await writeSetupRecord(ctx.state.dustHome, cluster, entries);
  return { outcomes, skipped, failure: setupOutcomesFailure(outcomes) };
}
