/**
 * Which node runs a command when: all at once by default, or a rolling window of `fanout` nodes (clush -f, SSM
 * MaxConcurrency) where the next node starts as soon as one finishes; after more than `maxErrors` failures no
 * further node is started (SSM MaxErrors), and the nodes not yet started are reported as `skipped`, as are those
 * still waiting for their turn when Ctrl-C comes.
 */
import type { DustNode } from '../inventory/node.js';
import type { NodeRunResult } from '../plugins/api.js';
import { ErrorCodes } from '../errors/codes.js';

export interface FanOutOptions {
  fanout?: number;
  maxErrors?: number;
  signal?: AbortSignal;
  onResult?: (result: NodeRunResult) => void;
}

/** Failed, unreachable and timed-out nodes count against `maxErrors` (waiting and interrupted ones do not). */
export function isFailure(r: NodeRunResult): boolean {
  return r.status === 'failed' || r.status === 'unreachable' || r.status === 'timeout';
}

/** Runs `one` for every node under the window and error budget; results come back in `nodes` order. */
export async function fanOut<R extends NodeRunResult>(nodes: readonly DustNode[], opts: FanOutOptions, one: (node: DustNode) => Promise<R>): Promise<(R | NodeRunResult)[]> {
  const window = opts.fanout !== undefined && opts.fanout >= 1 ? Math.min(Math.floor(opts.fanout), nodes.length) : nodes.length;
  const results = new Array<R | NodeRunResult>(nodes.length);
  let failures = 0;
  let next = 0;
  const report = (i: number, r: R | NodeRunResult): void => {
    results[i] = r;
    if (isFailure(r)) failures++;
    opts.onResult?.(r);
  };
  const notSent = (node: DustNode): NodeRunResult | undefined => {
    if (opts.maxErrors !== undefined && failures > opts.maxErrors) {
      return {
        node, status: 'skipped', exitCode: null, output: [],
        error: {
          code: ErrorCodes.Skipped,
          message: `not sent: ${failures} node${failures === 1 ? '' : 's'} had failed (--max-errors ${opts.maxErrors})`,
          hint: 'once the failures are dealt with, run it on the rest with @last=skipped <command>',
        },
      };
    }
    if (opts.signal?.aborted) {
      return { node, status: 'skipped', exitCode: null, output: [], error: { code: ErrorCodes.Skipped, message: 'not sent: interrupted (Ctrl-C) before its turn' } };
    }
    return undefined;
  };
  const worker = async (): Promise<void> => {
    while (next < nodes.length) {
      const i = next++;
      const node = nodes[i]!;
      const skipped = notSent(node);
      report(i, skipped ?? await one(node));
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return results;
}
