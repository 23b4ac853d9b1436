import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext, DustNode } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { expandHome } from '../../config/paths.js';
import { shQuote } from '../../sessions/shell-protocol.js';
import { loadClusterSpec, validateClusterSpec } from '../load-spec.js';
import type { ClusterSpec } from '../spec.js';
import { recordedProvider } from '../records.js';
import type { ClusterNodeReport, ClusterUpReport } from '../provider.js';
import { checkClusterName, inventoryNodes, plural, progressPrinter, providerOfKind, usageError } from './common.js';
import { setUpNodes, type SetupTuning } from './setup-step.js';

const SPEC_FILE = /\.(ya?ml|json)$/i;

interface SpecSource {
  spec: ClusterSpec;
  /** Where relative paths in the spec start. */
  dir: string;
  /** What the spec came from, for messages: a file, the record of an earlier `up`, or flags. */
  from: string;
}

/** `cluster up -f FILE`, `cluster up FILE`, `cluster up NAME` (its recorded spec, or the smallest spec). */
async function specFrom(ctx: CommandContext, args: readonly string[]): Promise<SpecSource> {
  if (args.length > 1) throw usageError(`cluster up: one spec file or cluster name, not '${args.join(' ')}'`);
  const fileFlag = typeof ctx.flags['file'] === 'string' ? ctx.flags['file'] : undefined;
  const arg = args[0];
  const looksLikeFile = (a: string) => SPEC_FILE.test(a) || a.includes('/') || fs.statSync(path.resolve(ctx.cwd, expandHome(a)), { throwIfNoEntry: false })?.isFile() === true;
  const file = fileFlag ?? (arg !== undefined && looksLikeFile(arg) ? arg : undefined);
  let source: SpecSource;
  if (file !== undefined) {
    const loaded = loadClusterSpec(path.resolve(ctx.cwd, expandHome(file)));
    if (fileFlag !== undefined && arg !== undefined && arg !== loaded.spec.name) {
      throw usageError(`cluster up: ${file} describes cluster '${loaded.spec.name}', not '${arg}'`, 'drop the name, or give the spec of that cluster');
    }
    source = { spec: loaded.spec, dir: loaded.dir, from: loaded.file };
  } else if (arg !== undefined) {
    const name = checkClusterName('up', arg);
    const kind = typeof ctx.flags['provider'] === 'string' ? ctx.flags['provider'] : recordedProvider(ctx.state.dustHome, name);
    const recorded = kind !== undefined && ctx.flags['nodes'] === undefined
      ? (await providerOfKind(ctx, kind).status(name, { signal: ctx.signal }))?.spec
      : undefined;
    const defaults = defaultsOf(ctx, kind ?? 'ec2');
    if (!recorded && kind === 'k8s' && typeof ctx.flags['image'] !== 'string' && defaults['image'] === undefined) {
      throw usageError(`cluster up ${name}: a cluster of pods needs an image`, `give --image IMG (e.g. cluster up ${name} --k8s --image python:3.12 --nodes 4), or a spec file with image:`);
    }
    source = recorded
      ? { spec: recorded, dir: ctx.cwd, from: `the spec cluster ${name} was last brought up with` }
      : {
        spec: validateClusterSpec({
          ...defaults, name, ...(kind ? { provider: kind } : {}),
          // A pod cluster has no default image: `--image` gives it here, before the spec is checked.
          ...(typeof ctx.flags['image'] === 'string' ? { image: ctx.flags['image'] } : {}),
        }, `cluster ${name}`),
        dir: ctx.cwd, from: 'the defaults',
      };
  } else {
    throw usageError('cluster up: which cluster? give a spec file (-f FILE) or a name', '`cluster init NAME` writes a spec to start from; `cluster up NAME` brings up a head and 2 workers with the defaults');
  }
  // Flags over the spec, each through the validator so a wrong value is the usual one line.
  const image = ctx.flags['image'];
  if (typeof image === 'string') source.spec = validateClusterSpec({ ...source.spec, image }, `${source.from} with --image`);
  const podSpec = ctx.flags['spec'];
  if (typeof podSpec === 'string') {
    if (source.spec.provider !== 'k8s') throw usageError('cluster up: --spec is a pod spec, for k8s clusters only', 'for EC2, put instance settings in the spec file');
    source.spec = validateClusterSpec({ ...source.spec, podSpec: path.resolve(ctx.cwd, expandHome(podSpec)) }, `${source.from} with --spec`);
  }
  const nodes = ctx.flags['nodes'];
  if (nodes !== undefined) {
    if (typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 1 || nodes > 100) {
      throw usageError(`cluster up: --nodes takes a whole number from 1 to 100 (head included), not ${String(nodes)}`);
    }
    // Through the validator again: a spread group's node limit, say, still applies.
    source.spec = validateClusterSpec({ ...source.spec, workers: { ...source.spec.workers, count: nodes - 1 } }, source.from);
  }
  return source;
}

function defaultsOf(ctx: CommandContext, kind: string): Readonly<Record<string, unknown>> {
  return ctx.state.clusterProviders().find((p) => p.kind === kind)?.specDefaults?.() ?? {};
}

function planLine(spec: ClusterSpec, where: string): string {
  if (spec.provider === 'k8s') {
    return `cluster ${spec.name}: ${1 + spec.workers.count} pods (head + ${plural(spec.workers.count, 'worker')}) of ${spec.image} in namespace ${spec.namespace}`;
  }
  const extras = [
    spec.spot.enabled ? `spot${spec.spot.maxPrice ? ` up to $${spec.spot.maxPrice}/h` : ''}` : 'on-demand',
    spec.placement !== 'none' ? `${spec.placement} placement group` : '',
  ].filter((x) => x !== '');
  return `cluster ${spec.name} in ${where}: head ${spec.head.type} + ${plural(spec.workers.count, 'worker')} ${spec.workers.type} (${extras.join(', ')})`;
}

/**
 * `cluster up`: the provider provisions (idempotently) and returns once the head is up; then dust logs in as the
 * provider says, waits until the head answers over its session, and runs the spec's dependencies and setup on
 * every node that is not set up yet, with live `[node]` lines.
 */
export async function clusterUp(ctx: CommandContext, args: readonly string[], tuning: SetupTuning): Promise<boolean> {
  const source = await specFrom(ctx, args);
  const { spec } = source;
  const provider = providerOfKind(ctx, spec.provider);
  const recordedKind = recordedProvider(ctx.state.dustHome, spec.name);
  if (recordedKind !== undefined && recordedKind !== spec.provider) {
    throw new DustError(ErrorCodes.ClusterConflict, `cluster up: cluster ${spec.name} already exists on ${recordedKind}; this spec is for ${spec.provider}`, {
      hint: `pick another name, or \`cluster down ${spec.name}\` first`,
    });
  }
  if (ctx.flags['yes'] !== true && !ctx.out.json) {
    ctx.out.info(planLine(spec, provider.describe()));
    if (!(await ctx.prompt.confirm(`bring up cluster ${spec.name}?`, false))) {
      ctx.out.info('cancelled: nothing was created');
      return true;
    }
  }

  const progress = progressPrinter(ctx, spec.name);
  let report: ClusterUpReport;
  try {
    const timeout = ctx.flags['timeout'];
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) throw usageError(`cluster up: --timeout takes a number of seconds above 0, not ${String(timeout)}`);
    report = await provider.up(spec, {
      specDir: source.dir, onProgress: progress.onProgress, signal: ctx.signal,
      ...(typeof timeout === 'number' ? { readyTimeoutMs: timeout * 1000 } : {}),
    });
  } finally {
    progress.end();
    ctx.state.invalidate();
  }
  if (report.changes.length === 0) ctx.out.info(`cluster ${spec.name} (${report.location}) already matches its spec: nothing changed`);
  if (!report.ready) {
    ctx.out.warn(`cluster ${spec.name}: the head is not up yet (${report.head.state}); \`cluster up ${spec.name}\` again carries on`);
    emitRecord(ctx, spec, report, []);
    return false;
  }

  if (report.login && (report.login.user !== undefined || report.login.identityFile !== undefined)) {
    const parts = [
      report.login.user !== undefined ? `--user ${shQuote(report.login.user)}` : '',
      report.login.identityFile !== undefined && fs.existsSync(report.login.identityFile) ? `--key ${shQuote(report.login.identityFile)}` : '',
    ].filter((p) => p !== '');
    if (parts.length > 0 && !(await ctx.runLine(`assign cluster=${spec.name} ${parts.join(' ')}`))) {
      ctx.out.warn(`no login rule written for cluster ${spec.name}; \`assign cluster=${spec.name} --user …\` writes one`);
    }
  }

  const live = [report.head, ...report.workers].filter((n) => n.live);
  const found = await findNodes(ctx, spec.name, live);
  const head = found.get(report.head.name);
  let failure: Error | undefined;
  let outcomes: Awaited<ReturnType<typeof setUpNodes>>['outcomes'] = [];
  if (ctx.flags['no-setup'] === true) {
    ctx.out.info(`cluster ${spec.name}: setup skipped (--no-setup); \`cluster up ${spec.name}\` runs it later`);
  } else if (!head) {
    failure = new DustError(ErrorCodes.ClusterNotReady, `cluster up ${spec.name}: the head (${report.head.name}) is up but not in dust's inventory, so nothing was set up`, {
      hint: '`refresh` and `show cluster=' + spec.name + '`; then `cluster up ' + spec.name + '` again',
    });
  } else {
    const workers = report.workers.filter((w) => w.live).map((w) => found.get(w.name)).filter((n): n is DustNode => n !== undefined);
    const pending = report.workers.filter((w) => !w.live).map((w) => w.name);
    if (pending.length > 0) ctx.out.info(`cluster ${spec.name}: ${plural(pending.length, 'worker')} still starting (${pending.join(', ')}): \`cluster up ${spec.name}\` again sets ${pending.length === 1 ? 'it' : 'them'} up`);
    const run = await setUpNodes(ctx, spec.name, spec, head, workers, { all: ctx.flags['setup-all'] === true, tuning });
    outcomes = run.outcomes;
    failure = run.failure;
    if (run.skipped.length > 0 && run.outcomes.length > 0) ctx.out.info(`already set up: ${run.skipped.join(', ')}`);
    if (run.outcomes.length > 0 && !failure) ctx.out.success(`cluster ${spec.name}: setup done on ${plural(run.outcomes.length, 'node')}`);
  }
  emitRecord(ctx, spec, report, outcomes);

  const indexes = [...found.values()].map((n) => n.index);
  if (indexes.length > 0 && !ctx.out.json) await ctx.runLine(`show ${indexes.join(',')}`);
  if (ctx.state.workingCluster !== undefined && ctx.state.workingCluster !== spec.name) {
    ctx.out.info(`the working set is ${ctx.state.workingCluster}: \`use ${spec.name}\` to work on the new cluster`);
  }
  if (failure) throw failure;
  return true;
}

/** The inventory nodes of the reported live nodes; providers may show new nodes a moment later, so ask again briefly. */
async function findNodes(ctx: CommandContext, cluster: string, live: readonly ClusterNodeReport[]): Promise<Map<string, DustNode>> {
  let found = await inventoryNodes(ctx, cluster, live);
  for (let i = 0; i < 10 && found.size < live.length && !ctx.signal.aborted; i++) {
    await new Promise((r) => setTimeout(r, 300));
    ctx.state.invalidate();
    found = await inventoryNodes(ctx, cluster, live);
  }
  return found;
}

function emitRecord(ctx: CommandContext, spec: ClusterSpec, report: ClusterUpReport, outcomes: readonly { node: string; status: string; step?: string | undefined; reason?: string | undefined }[]): void {
  if (!ctx.out.json) return;
  ctx.out.record({
    type: 'cluster-up', cluster: spec.name, provider: spec.provider, location: report.location, ready: report.ready,
    changes: report.changes, head: report.head, workers: report.workers,
    setup: outcomes.map((o) => ({ node: o.node, status: o.status, ...(o.step ? { step: o.step } : {}), ...(o.reason ? { reason: o.reason } : {}) })),
    ...(report.stateFile ? { stateFile: report.stateFile } : {}),
  });
}
