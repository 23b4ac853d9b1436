import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { CommandContext, Progress } from '../plugins/api.js';
import { foldNodeNames } from '../targets/index.js';
import { listInstances } from './inventory-provider.js';

/** Sleeps `ms`, or less if `signal` aborts (then resolves false). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<boolean>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

export interface WaitOptions {
  client: EC2Client;
  ids: readonly string[];
  /** Display name per instance id. */
  names: ReadonlyMap<string, string>;
  /** The state every instance should reach (`running`, `stopped`, `terminated`). */
  target: string;
  progress: Progress;
  signal: AbortSignal;
  intervalMs: number;
  timeoutMs: number;
  sleep: Sleep;
  /**
   * A state from which `target` will not come on its own (waiting for running, the instance is
   * terminated): the wait ends at once with `stranded`. Default: never, wait for the timeout.
   */
  strandedWhen?: (state: string) => boolean;
}

export type WaitOutcome =
  | { kind: 'done'; states: Map<string, string> }
  | { kind: 'interrupted' | 'timeout'; states: Map<string, string> }
  | { kind: 'stranded'; states: Map<string, string>; stranded: string[] };

/**
 * Polls DescribeInstances (ids only, one page) until every instance is in `target` state, showing
 * `2/3 stopped · waiting for worker1 (stopping)` on the progress line. Ctrl-C ends the wait only; the
 * EC2 action already happened and carries on.
 */
export async function waitForState(o: WaitOptions): Promise<WaitOutcome> {
  let waited = 0;
  let states = new Map<string, string>();
  for (;;) {
    const instances: Instance[] = await listInstances(o.client, { ids: o.ids });
    states = new Map(instances.map((i) => [i.InstanceId ?? '', i.State?.Name ?? 'unknown']));
    const pending = o.ids.filter((id) => states.get(id) !== o.target);
    if (pending.length === 0) return { kind: 'done', states };
    const stranded = o.strandedWhen ? pending.filter((id) => o.strandedWhen?.(states.get(id) ?? 'gone')) : [];
    if (stranded.length > 0) return { kind: 'stranded', states, stranded };
    const shown = pending.slice(0, 3).map((id) => `${o.names.get(id) ?? id} (${states.get(id) ?? 'gone'})`).join(', ');
    o.progress.update(`${o.ids.length - pending.length}/${o.ids.length} ${o.target} · waiting for ${shown}${pending.length > 3 ? ` and ${pending.length - 3} more` : ''}`);
    if (waited >= o.timeoutMs) return { kind: 'timeout', states };
    const slept = await o.sleep(o.intervalMs, o.signal);
    if (!slept || o.signal.aborted) return { kind: 'interrupted', states };
    waited += o.intervalMs;
  }
}

/** How `--wait` polls; tests pass a sleep that moves the emulator's fake clock. */
export interface WaitSettings {
  pollIntervalMs?: number;
  waitTimeoutMs?: number;
  sleep?: Sleep;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 15 * 60 * 1000;
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/**
 * What `--wait` does for the EC2 commands: waits for `nodes` to reach `target` with a progress line,
 * then says so (or says where they are when the wait was interrupted or gave up). `verb` names what
 * carries on in EC2 (`stop`, `launch`). Returns false only when the wait timed out.
 */
export async function waitAndReport(
  ctx: Pick<CommandContext, 'out' | 'signal' | 'state'>,
  client: EC2Client,
  nodes: readonly { id: string; name: string }[],
  target: string,
  verb: string,
  wait: WaitSettings,
): Promise<boolean> {
  const names = new Map(nodes.map((n) => [n.id, n.name]));
  const count = `${nodes.length} instance${nodes.length === 1 ? '' : 's'}`;
  const progress = ctx.out.progress(`waiting for ${count} to be ${target}`);
  const timeoutMs = wait.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const outcome = await waitForState({
    client, ids: nodes.map((n) => n.id), names, target, progress, signal: ctx.signal,
    intervalMs: wait.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, timeoutMs, sleep: wait.sleep ?? realSleep,
  }).finally(() => ctx.state.invalidate());
  if (outcome.kind === 'done') {
    progress.done(`${count} ${target}: ${foldNodeNames(nodes.map((n) => n.name))}`);
    return true;
  }
  progress.done();
  const where = [...outcome.states].filter(([, s]) => s !== target).map(([id, s]) => `${names.get(id) ?? id} ${s}`).join(', ');
  ctx.out.warn(outcome.kind === 'interrupted'
    ? `stopped waiting (the ${verb} carries on in EC2): ${where}`
    : `gave up waiting after ${Math.round(timeoutMs / 1000)} s: ${where}`);
  return outcome.kind === 'interrupted';
}
