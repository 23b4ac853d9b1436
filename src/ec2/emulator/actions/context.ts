import type { AddressPool } from '../addresses.js';
import { Ec2Errors } from '../errors.js';
import type { QuestionMarkMode } from '../filters.js';
import { INSTANCE_ID } from '../ids.js';
import { type LifecycleDelays, settle } from '../lifecycle.js';
import type { InstanceRecord, RegionState } from '../model.js';
import type { QueryParams } from '../query.js';
import type { XmlObject } from '../xml.js';

/** Settings and shared resources every action sees (one per core). */
export interface EmulatorEnv {
  readonly accountId: string;
  /** Regions DescribeRegions lists. */
  readonly regions: readonly string[];
  readonly delays: LifecycleDelays;
  readonly questionMark: QuestionMarkMode;
  readonly publicPool: AddressPool;
  readonly privatePool: AddressPool;
  /** EC2 drops a non-Elastic public IP when an instance stops and assigns a new one on start. */
  readonly releasePublicIpOnStop: boolean;
}

/** One request, as an action handler sees it. */
export interface ActionContext {
  readonly action: string;
  readonly params: QueryParams;
  readonly region: RegionState;
  readonly env: EmulatorEnv;
  /** The clock reading for this request (one reading, so a request sees one consistent moment). */
  readonly now: number;
}

/** Returns the body of `<{Action}Response>` (without requestId), or throws an Ec2ApiError. */
export type ActionHandler = (ctx: ActionContext) => XmlObject;

/** Settles every instance of the region against the clock and forgets expired terminated ones. */
export function settleRegion(region: RegionState, env: EmulatorEnv, now: number): void {
  for (const instance of [...region.instances.values()]) {
    const result = settle(instance, now, env.delays, {
      onStopped: (i) => {
        if (env.releasePublicIpOnStop && !i.publicIpPinned && i.publicIp !== undefined) {
          env.publicPool.release(i.publicIp);
          i.publicIp = undefined;
        }
      },
      onTerminated: (i) => {
        // Pinned addresses were reserved too (pools count users), so every address goes back.
        env.publicPool.release(i.publicIp);
        env.privatePool.release(i.privateIp);
        i.publicIp = undefined;
      },
    });
    if (result === 'expired') region.instances.delete(instance.id);
  }
}

/** Every visible instance of the region, settled, in launch order. */
export function liveInstances(ctx: ActionContext): InstanceRecord[] {
  settleRegion(ctx.region, ctx.env, ctx.now);
  return [...ctx.region.instances.values()];
}

/**
 * Resolves instance ids, all or nothing: malformed ids fail first (`InvalidInstanceID.Malformed`),
 * then all missing ones together (`InvalidInstanceID.NotFound`, plural message), as EC2 does.
 */
export function resolveInstances(ctx: ActionContext, ids: readonly string[]): InstanceRecord[] {
  for (const id of ids) if (!INSTANCE_ID.test(id)) throw Ec2Errors.instanceIdMalformed(id);
  settleRegion(ctx.region, ctx.env, ctx.now);
  const missing = ids.filter((id) => !ctx.region.instances.has(id));
  if (missing.length > 0) throw Ec2Errors.instanceIdNotFound([...new Set(missing)]);
  const unique = [...new Set(ids)];
  return unique.map((id) => ctx.region.instances.get(id) as InstanceRecord);
}

/** Tags as EC2 lists them (`tagSet/item{key,value}`), in the order they were set. */
export function tagSetXml(tags: ReadonlyMap<string, string>): XmlObject[] {
  return [...tags.entries()].map(([key, value]) => ({ key, value }));
}
