import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { Progress } from '../plugins/api.js';
import { listAllInstances } from './inventory-provider.js';

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
}

export type WaitOutcome = { kind: 'done'; states: Map<string, string> } | { kind: 'interrupted' | 'timeout'; states: Map<string, string> };

/**
 * Polls DescribeInstances (ids only, one page) until every instance is in `target` state, showing
 * `2/3 stopped · waiting for worker1 (stopping)` on the progress line. Ctrl-C ends the wait only; the
 * EC2 action already happened and carries on.
 */
export async function waitForState(o: WaitOptions): Promise<WaitOutcome> {
  let waited = 0;
  let states = new Map<string, string>();
  for (;;) {
    const instances: Instance[] = await listAllInstances(o.client, 1000, o.ids);
    states = new Map(instances.map((i) => [i.InstanceId ?? '', i.State?.Name ?? 'unknown']));
    const pending = o.ids.filter((id) => states.get(id) !== o.target);
    if (pending.length === 0) return { kind: 'done', states };
    const shown = pending.slice(0, 3).map((id) => `${o.names.get(id) ?? id} (${states.get(id) ?? 'gone'})`).join(', ');
    o.progress.update(`${o.ids.length - pending.length}/${o.ids.length} ${o.target} · waiting for ${shown}${pending.length > 3 ? ` and ${pending.length - 3} more` : ''}`);
    if (waited >= o.timeoutMs) return { kind: 'timeout', states };
    const slept = await o.sleep(o.intervalMs, o.signal);
    if (!slept || o.signal.aborted) return { kind: 'interrupted', states };
    waited += o.intervalMs;
  }
}
