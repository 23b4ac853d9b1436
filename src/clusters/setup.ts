/**
 * Making a cluster's nodes ready, over dust's own persistent sessions (no second login, the same shells `@node`
 * uses): wait until each node answers, install `dependencies.packages` with the node's package manager, then
 * `dependencies.pip`, then run `setup.all` on every node and `setup.head` on the head, streaming every output line
 * as it comes. Nodes work in parallel; each stops at its first failing step. The result says per node what
 * happened, for `cluster status` and the state file.
 *
 * Every step runs with no input (stdin is /dev/null, and a program that waits at a prompt fails the step instead
 * of hanging `cluster up`) in a subshell, so a `cd` or `export` in a setup command does not leak into the shell the
 * user later types into.
 */
import { z } from 'zod';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import type { DustNode, NodeRunResult, RunOptions } from '../plugins/api.js';
import { shQuote } from '../sessions/shell-protocol.js';
import type { ClusterSpec } from './spec.js';
import {
  factsProbe, installCommand, parseFacts, parsePip, pipInstallCommand, pipProbe, privilegePrefix, PACKAGE_MANAGERS,
} from './package-managers.js';

/** What setup needs from dust's sessions: a client's SessionsApi or the SessionManager itself. */
export interface SessionRunner {
  run(nodes: readonly DustNode[], command: string, opts?: RunOptions): Promise<readonly NodeRunResult[]>;
}

export type NodeRole = NodeSetupOutcome['role'];

/** One step of a node's setup as it is reported: `packages`, `pip`, `setup.all[1]`, `setup.head[2]`. */
export interface SetupStep {
  id: string;
  /** What runs (the spec's command, or the install line dust built). */
  command: string;
}

export type SetupEvent =
  | { type: 'waiting'; node: DustNode; attempt: number; elapsedMs: number; reason: string }
  | { type: 'reached'; node: DustNode }
  | { type: 'step'; node: DustNode; step: SetupStep; phase: 'start' }
  | { type: 'step'; node: DustNode; step: SetupStep; phase: 'ok' }
  | { type: 'step'; node: DustNode; step: SetupStep; phase: 'failed'; exitCode: number | null; reason: string };

/**
 * A node's outcome. Plain data: `cluster status` shows it and the state file stores it as it is (this schema
 * validates it when read back).
 */
export const NodeSetupOutcomeSchema = z.strictObject({
  node: z.string(),
  role: z.enum(['head', 'worker']),
  /**
   * ok: every step ran; failed: a step failed (`step`, `exitCode`, `reason`); pending: the node never answered
   * within the wait (`reason` says what the last try met); interrupted: the caller's signal stopped it mid-way.
   */
  status: z.enum(['ok', 'failed', 'pending', 'interrupted']),
  /** Steps that completed, in order. */
  completed: z.array(z.string()),
  /** The step that failed or was interrupted. */
  step: z.string().optional(),
  command: z.string().optional(),
  exitCode: z.int().nullable().optional(),
  /** One line: `exit 100`, `not reachable after 300 s: connect: connection refused`, `needs root …`. */
  reason: z.string().optional(),
  /** When the outcome was decided (ISO 8601). */
  at: z.string(),
});
export type NodeSetupOutcome = z.output<typeof NodeSetupOutcomeSchema>;

export interface SetupResult {
  /** Every node ok. */
  ok: boolean;
  head: NodeSetupOutcome;
  workers: NodeSetupOutcome[];
}

export interface SetupDeps {
  sessions: SessionRunner;
  /** Every output line of every step, as it arrives (print it as `[node] line`). */
  onLine?(node: DustNode, line: string): void;
  onEvent?(event: SetupEvent): void;
  /** Stops waiting and interrupts running steps (^C on the nodes); those nodes end `interrupted` (or `pending`). */
  signal?: AbortSignal;
  /** How long a node may take to answer over its session before it counts as pending. Default 300 s. */
  reachTimeoutMs?: number;
  /** Pause between tries while a node does not answer. Default 3 s. */
  reachIntervalMs?: number;
  /** A step still running after this long is interrupted and fails (`timeout`). Default: no limit. */
  stepTimeoutMs?: number;
  /** Tests move a fake clock with these. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What `runSetup` reads from a spec: any provider's. */
export type SetupSpec = Pick<ClusterSpec, 'dependencies' | 'setup'>;

export interface SetupNodes {
  head: DustNode;
  workers: readonly DustNode[];
}

export const DEFAULT_REACH_TIMEOUT_MS = 300_000;
const DEFAULT_REACH_INTERVAL_MS = 3000;

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Setup steps a spec asks of a node of `role`, beyond the dependencies (which depend on what the node has). */
export function setupCommands(spec: SetupSpec, role: NodeRole): SetupStep[] {
  const steps = spec.setup.all.map((command, i) => ({ id: `setup.all[${i + 1}]`, command }));
  if (role === 'head') steps.push(...spec.setup.head.map((command, i) => ({ id: `setup.head[${i + 1}]`, command })));
  return steps;
}

/**
 * A step as typed into the node's shell: in a subshell (its `cd`, `export` and `exit` stay there), through eval so
 * any command text works there (a trailing comment, unbalanced quotes are the command's own syntax error).
 */
export function isolated(command: string): string {
  return `(eval ${shQuote(command)})`;
}

/** Thrown inside one node's run to end it with an outcome. */
class StepStop {
  constructor(readonly outcome: Omit<NodeSetupOutcome, 'node' | 'role' | 'completed' | 'at'>) {}
}

/**
 * Runs the spec's dependencies and setup on the head and the workers (in parallel, each node in order) and returns
 * every node's outcome. It never throws for a node's failure: that is in the result (`setupFailure(result)` makes
 * the one-line error a command reports).
 */
export async function runSetup(deps: SetupDeps, nodes: SetupNodes, spec: SetupSpec): Promise<SetupResult> {
  const [head, ...workers] = await runSetupOn(deps, [{ node: nodes.head, role: 'head' }, ...nodes.workers.map((node) => ({ node, role: 'worker' as const }))], spec);
  const all = [head!, ...workers];
  return { ok: all.every((o) => o.status === 'ok'), head: head!, workers };
}

/**
 * The same for any set of nodes, each with its role: `cluster up` sets up only the nodes that are not ready yet
 * (a replaced worker, say) without running the head's setup again. Outcomes in the order given.
 */
export function runSetupOn(deps: SetupDeps, nodes: readonly { node: DustNode; role: NodeRole }[], spec: SetupSpec): Promise<NodeSetupOutcome[]> {
  return Promise.all(nodes.map(({ node, role }) => setupNode(deps, node, role, spec)));
}

/** The one line for outcomes that are not all ok (undefined when they are). */
export function setupOutcomesFailure(outcomes: readonly NodeSetupOutcome[], total = outcomes.length): DustError | undefined {
  const [first, ...rest] = outcomes;
  return first ? setupFailure({ ok: false, head: first, workers: rest }, total) : undefined;
}

async function setupNode(deps: SetupDeps, node: DustNode, role: NodeRole, spec: SetupSpec): Promise<NodeSetupOutcome> {
  const completed: string[] = [];
  const finish = (o: Omit<NodeSetupOutcome, 'node' | 'role' | 'completed' | 'at'>): NodeSetupOutcome =>
    ({ node: node.name, role, completed, ...o, at: new Date().toISOString() });
  const emit = (e: SetupEvent): void => {
    try {
      deps.onEvent?.(e);
    } catch {
      // a display that throws must not stop the setup half-way
    }
  };

  const reached = await reach(deps, node, emit);
  if (reached !== true) return finish(reached);
  emit({ type: 'reached', node });

  const run = async (step: SetupStep, opts: { quiet?: boolean } = {}): Promise<NodeRunResult> => {
    if (!opts.quiet) emit({ type: 'step', node, step, phase: 'start' });
    const [result] = await deps.sessions.run([node], isolated(step.command), {
      noInput: true,
      ...(opts.quiet || !deps.onLine ? {} : { onLine: (n: DustNode, line: string) => deps.onLine?.(n, line) }),
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.stepTimeoutMs !== undefined ? { timeoutMs: deps.stepTimeoutMs } : {}),
    });
    if (!result) throw new Error(`no result for ${node.name}`);
    if (result.status === 'ok') {
      if (!opts.quiet) {
        completed.push(step.id);
        emit({ type: 'step', node, step, phase: 'ok' });
      }
      return result;
    }
    const reason = stepReason(result);
    emit({ type: 'step', node, step, phase: 'failed', exitCode: result.exitCode, reason });
    throw new StepStop({
      status: result.status === 'interrupted' ? 'interrupted' : 'failed',
      step: step.id, command: step.command, exitCode: result.exitCode, reason,
    });
  };
  const refuse = (step: SetupStep, reason: string): never => {
    emit({ type: 'step', node, step, phase: 'failed', exitCode: null, reason });
    throw new StepStop({ status: 'failed', step: step.id, command: step.command, exitCode: null, reason });
  };

  try {
    const { packages, pip } = spec.dependencies;
    let root = false;
    if (packages.length > 0 || pip.length > 0) {
      const probe = await run({ id: 'probe', command: factsProbe() }, { quiet: true });
      const facts = parseFacts(probe.output);
      root = facts.root;
      if (packages.length > 0) {
        const what = `install ${packages.join(' ')}`;
        if (!facts.packageManager) refuse({ id: 'packages', command: what }, `no package manager found (looked for ${PACKAGE_MANAGERS.join(', ')})`);
        const privilege = privilegePrefix(facts);
        if ('problem' in privilege) refuse({ id: 'packages', command: what }, privilege.problem);
        const { prefix } = privilege as { prefix: string };
        await run({ id: 'packages', command: installCommand(facts.packageManager!, packages, prefix) });
      }
    }
    if (pip.length > 0) {
      const found = parsePip((await run({ id: 'probe-pip', command: pipProbe() }, { quiet: true })).output);
      const what = `pip install ${pip.join(' ')}`;
      if (!found) refuse({ id: 'pip', command: what }, 'no pip on this node (looked for pip3, pip, python3 -m pip): add python3-pip to dependencies.packages');
      await run({ id: 'pip', command: pipInstallCommand(found!, pip, root) });
    }
    for (const step of setupCommands(spec, role)) await run(step);
    return finish({ status: 'ok' });
  } catch (err) {
    if (err instanceof StepStop) return finish(err.outcome);
    throw err;
  }
}

/** Waits until the node's shell answers; `true`, or the outcome that ends the node (pending / interrupted). */
async function reach(
  deps: SetupDeps, node: DustNode, emit: (e: SetupEvent) => void,
): Promise<true | Omit<NodeSetupOutcome, 'node' | 'role' | 'completed' | 'at'>> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? abortableSleep;
  const timeout = deps.reachTimeoutMs ?? DEFAULT_REACH_TIMEOUT_MS;
  const start = now();
  for (let attempt = 1; ; attempt++) {
    if (deps.signal?.aborted) return { status: 'pending', reason: 'interrupted before it answered' };
    const [result] = await deps.sessions.run([node], 'true', { noInput: true, ...(deps.signal ? { signal: deps.signal } : {}) });
    if (result && result.status !== 'unreachable') {
      if (result.status === 'interrupted') return { status: 'pending', reason: 'interrupted before it answered' };
      return true;
    }
    const reason = result?.error ? result.error.message : 'no answer';
    const elapsed = now() - start;
    if (elapsed >= timeout) return { status: 'pending', reason: `not reachable after ${Math.round(elapsed / 1000)} s: ${reason}` };
    emit({ type: 'waiting', node, attempt, elapsedMs: elapsed, reason });
    await sleep(Math.min(deps.reachIntervalMs ?? DEFAULT_REACH_INTERVAL_MS, Math.max(0, timeout - elapsed)), deps.signal);
  }
}

function stepReason(result: NodeRunResult): string {
  switch (result.status) {
    case 'failed':
      return result.error ? result.error.message : `exit ${result.exitCode ?? '?'}`;
    case 'interrupted':
      return 'interrupted';
    case 'timeout':
      return 'timed out (interrupted)';
    case 'waiting':
      return 'waiting for input';
    case 'unreachable':
      return result.error ? result.error.message : 'connection lost';
    default:
      return result.status;
  }
}

/** The outcomes by node name, as the state file's `setup` keeps them (merge over the previous record: nodes not run keep theirs). */
export function setupRecord(result: SetupResult): Record<string, NodeSetupOutcome> {
  return Object.fromEntries([result.head, ...result.workers].map((o) => [o.node, o]));
}

/** The one line a command reports for a setup that did not finish everywhere (undefined when all is well). */
export function setupFailure(result: SetupResult, total = 1 + result.workers.length): DustError | undefined {
  const bad = [result.head, ...result.workers].filter((o) => o.status !== 'ok');
  if (bad.length === 0) return undefined;
  const text = bad.map((o) => `${o.node}: ${o.status === 'pending' ? o.reason ?? 'pending' : `${o.step ?? '?'} ${o.status} (${o.reason ?? '?'})`}`).join('; ');
  const pending = bad.some((o) => o.status === 'pending');
  return new DustError(ErrorCodes.ClusterSetup, `cluster setup: ${bad.length} of ${total} nodes not ready: ${text}`, {
    hint: pending
      ? 'nodes that never answered are set up when you run `cluster up` again; check them with `@NODE true`'
      : 'the failing step\'s output is above; fix the spec or the node and run `cluster up` again (steps run again on those nodes)',
  });
}
