import { ACTION_HANDLERS } from './actions/index.js';
import { type ActionContext, type EmulatorEnv, settleRegion } from './actions/context.js';
import { launchInstances, type LaunchPlan } from './actions/launch.js';
import { resolveGroups } from './actions/resolve.js';
import { interruptSpotInstance, recordSpotPrice, spotInstancesOf } from './actions/spot.js';
import { AddressPool, type AddressPoolOptions, defaultVpcPrivatePool, documentationRangePool } from './addresses.js';
import { DEFAULT_REGIONS } from './catalog-data.js';
import { type Ec2Clock, systemClock } from './clock.js';
import { Ec2ApiError, Ec2Errors } from './errors.js';
import { FaultInjector, unauthorizedError } from './faults.js';
import type { QuestionMarkMode } from './filters.js';
import { DEFAULT_ACCOUNT_ID, newId, newRequestId } from './ids.js';
import { generateKeyMaterial, type KeyPairType } from './keygen.js';
import { DEFAULT_DELAYS, type LifecycleDelays } from './lifecycle.js';
import { createRegionState, type InstanceStateName, type RegionState } from './model.js';
import { QueryParams } from './query.js';
import { currentSpotPrice } from './spot-prices.js';
import { renderEc2Document, renderEc2ErrorDocument } from './xml.js';

/** How an emulator core behaves. Every field is optional. */
export interface Ec2EmulatorOptions {
  /** Time source; pass a `ManualClock` in tests. Default: the wall clock. */
  clock?: Ec2Clock;
  /** Transition delays in ms (default pending/stopping/shutting-down 2 s, terminated visible 1 h; 0 = next read). */
  delays?: Partial<LifecycleDelays>;
  /** Where public/private addresses come from (see `AddressPoolOptions`). */
  addressPool?: AddressPoolOptions;
  /** Region used when a request carries no SigV4 scope. Default `us-east-1`. */
  defaultRegion?: string;
  /** Regions DescribeRegions lists. Default: the 17 commercial regions that need no opt-in. */
  regions?: readonly string[];
  /** 12-digit owner of everything. Default `123456789012`. */
  accountId?: string;
  /** `?` in filter values: zero-or-one character (current EC2 docs, default) or exactly one (moto, older docs). */
  questionMark?: QuestionMarkMode;
  /** Whether a stopped instance loses its (non-pinned) public IP, as in EC2. Default true. */
  releasePublicIpOnStop?: boolean;
  /** How many requests the request log keeps (oldest dropped first). Default 1000. */
  requestLogLimit?: number;
}

/** One request as the core sees it, whatever the transport. */
export interface Ec2EmulatorRequest {
  /** The form-encoded body (or a URL query string) with `Action=…`. */
  body: string;
  /** Region from the SigV4 scope; default region when absent. */
  region?: string | undefined;
}

/** What goes back on the wire. */
export interface Ec2EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One entry of the request log: what was asked, where, and how it ended. */
export interface Ec2RequestLogEntry {
  time: number;
  region: string;
  action: string;
  params: Record<string, string>;
  status: number;
  errorCode: string | undefined;
  requestId: string;
}

/** An instance to create directly, bypassing the API (tests, the demo cluster). */
export interface SeedInstance {
  /** Sets the `Name` tag. */
  name?: string;
  /** Instance type; default `t3.micro`. */
  type?: string;
  /** Initial state; default `running`. Transitional states progress with the clock. */
  state?: InstanceStateName;
  tags?: Readonly<Record<string, string>>;
  /** Pinned public address (kept across stop/start, like an Elastic IP); `null` = no public address. */
  publicIp?: string | null;
  /** Pinned private address. */
  privateIp?: string;
  /** Key name reported by DescribeInstances (not checked against key pairs). */
  keyName?: string;
  /** AMI id; default the region's first catalogue image. */
  imageId?: string;
  /** Zone, e.g. `us-east-1b`; default spread over the region's zones. */
  availabilityZone?: string;
  launchTime?: Date | number;
  /** Existing security group ids; default the `default` group. */
  securityGroupIds?: readonly string[];
}

/** Settled, read-only view of one instance (for assertions and the demo's own bookkeeping). */
export interface InstanceSnapshot {
  id: string;
  state: InstanceStateName;
  instanceType: string;
  publicIp: string | undefined;
  privateIp: string | undefined;
  availabilityZone: string;
  keyName: string | undefined;
  tags: Record<string, string>;
  /** `spot` for spot instances. */
  lifecycle: 'spot' | undefined;
  spotInstanceRequestId: string | undefined;
  placementGroup: string | undefined;
  /** Why the instance is in its state (`Server.SpotInstanceTermination`, `Client.UserInitiatedShutdown`, …). */
  stateReasonCode: string | undefined;
}

/** A spot price move (see `Ec2EmulatorCore.setSpotPrice`). */
export interface SpotPriceChange {
  instanceType: string;
  /** One zone; default every zone of the region. */
  availabilityZone?: string;
  /** USD per hour. */
  price: number;
}

/** One observed instance state change (see `Ec2EmulatorCore.onStateChange`). */
export interface InstanceStateChange {
  region: string;
  instanceId: string;
  /** `undefined` for an instance seen for the first time (launched or seeded). */
  previous: InstanceStateName | undefined;
  state: InstanceStateName;
  tags: Record<string, string>;
}

export type InstanceStateListener = (change: InstanceStateChange) => void;

/**
 * The EC2 emulator: per-region state, lazy lifecycle on an injectable clock, fault injection and a
 * request log. Transports (the in-process SDK handler, the HTTP server) only feed it bodies and regions.
 */
export class Ec2EmulatorCore {
  readonly clock: Ec2Clock;
  /** Injected failures and the UnauthorizedOperation deny list. */
  readonly faults = new FaultInjector();
  /** Recent requests, oldest first. */
  readonly requestLog: Ec2RequestLogEntry[] = [];
  readonly defaultRegion: string;
  private readonly env: EmulatorEnv;
  private readonly regions = new Map<string, RegionState>();
  private readonly requestLogLimit: number;
  private readonly stateListeners = new Set<InstanceStateListener>();
  /** Last state each listener-visible instance was reported in, by `region/id`. */
  private readonly reportedStates = new Map<string, InstanceStateName>();

  constructor(options: Ec2EmulatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.defaultRegion = options.defaultRegion ?? 'us-east-1';
    this.requestLogLimit = options.requestLogLimit ?? 1000;
    const delays = { ...DEFAULT_DELAYS, ...options.delays };
    for (const [k, v] of Object.entries(delays)) {
      if (!(v >= 0)) throw new RangeError(`Ec2EmulatorCore: delay ${k} must be >= 0, got ${v}`);
    }
    this.env = {
      accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
      regions: options.regions ?? DEFAULT_REGIONS,
      delays,
      questionMark: options.questionMark ?? 'zero-or-one',
      publicPool: new AddressPool(options.addressPool?.public ?? documentationRangePool()),
      privatePool: new AddressPool(options.addressPool?.private ?? defaultVpcPrivatePool()),
      releasePublicIpOnStop: options.releasePublicIpOnStop ?? true,
    };
  }

  /** The account id resources belong to. */
  get accountId(): string {
    return this.env.accountId;
  }

  /** A region's state, created on first use (any region name works, as with a custom endpoint). */
  region(name: string): RegionState {
    let state = this.regions.get(name);
    if (!state) {
      state = createRegionState(name);
      this.regions.set(name, state);
    }
    return state;
  }

  /** Answers one EC2 Query request. Never throws: every failure becomes an EC2 error document. */
  handle(request: Ec2EmulatorRequest): Ec2EmulatorResponse {
    const requestId = newRequestId();
    const regionName = request.region ?? this.defaultRegion;
    const now = this.clock.now();
    let params = QueryParams.fromRecord({});
    let action = '';
    try {
      params = QueryParams.parse(request.body);
      action = params.str('Action') ?? '';
      if (action === '') throw Ec2Errors.missingAction();
      const handler = Object.hasOwn(ACTION_HANDLERS, action) ? ACTION_HANDLERS[action] : undefined;
      if (!handler) throw Ec2Errors.invalidAction(action);
      const fault = this.faults.take(action, regionName);
      if (fault) throw fault;
      if (this.faults.isDenied(action)) throw unauthorizedError(action, regionName, this.env.accountId);
      if (params.bool('DryRun') === true) throw Ec2Errors.dryRun();
      const ctx: ActionContext = { action, params, region: this.region(regionName), env: this.env, now };
      const body = handler(ctx);
      this.log({ time: now, region: regionName, action, params: params.toRecord(), status: 200, errorCode: undefined, requestId });
      this.reportStateChanges(regionName);
      return this.respond(200, requestId, renderEc2Document(`${action}Response`, requestId, body));
    } catch (err) {
      const apiError =
        err instanceof Ec2ApiError
          ? err
          : new Ec2ApiError('InternalError', `An internal error has occurred (${err instanceof Error ? err.message : String(err)})`, 500);
      this.log({ time: now, region: regionName, action, params: params.toRecord(), status: apiError.status, errorCode: apiError.code, requestId });
      return this.respond(apiError.status, requestId, renderEc2ErrorDocument(apiError.code, apiError.message, requestId));
    }
  }

  private respond(status: number, requestId: string, body: string): Ec2EmulatorResponse {
    return {
      status,
      headers: {
        'content-type': 'text/xml;charset=UTF-8',
        'x-amzn-requestid': requestId,
        // Wall-clock time on purpose, not the emulator clock: the SDK corrects its signing clock from
        // this header on errors, and a fake clock far from now would only confuse that.
        date: new Date().toUTCString(),
        server: 'AmazonEC2',
      },
      body,
    };
  }

  private log(entry: Ec2RequestLogEntry): void {
    this.requestLog.push(entry);
    if (this.requestLog.length > this.requestLogLimit) this.requestLog.splice(0, this.requestLog.length - this.requestLogLimit);
  }

  /**
   * Creates instances directly (no API call, no validation of key names or AMIs). Each gets its own
   * reservation. Returns the new instance ids in order.
   */
  seed(regionName: string, instances: readonly SeedInstance[]): string[] {
    const region = this.region(regionName);
    const now = this.clock.now();
    settleRegion(region, this.env, now);
    const ids = instances.map((spec) => {
      const zone = spec.availabilityZone;
      const subnet =
        zone !== undefined
          ? region.subnets.find((s) => s.availabilityZone === zone)
          : region.subnets[(region.nextSeq - 1) % region.subnets.length];
      if (!subnet) throw new RangeError(`seed: unknown availability zone ${zone} in ${regionName}`);
      const imageId = spec.imageId ?? region.images[0]?.id ?? 'ami-00000000000000000';
      const tags = new Map(Object.entries(spec.tags ?? {}));
      if (spec.name !== undefined) tags.set('Name', spec.name);
      const plan: LaunchPlan = {
        image: region.images.find((i) => i.id === imageId),
        imageId,
        instanceType: spec.type ?? 't3.micro',
        keyName: spec.keyName,
        subnet,
        vpcId: region.defaultVpcId,
        groups: resolveGroups(region, spec.securityGroupIds ?? [], []),
        tags,
        clientToken: undefined,
        requestDigest: '',
        userData: undefined,
        spot: undefined,
        placement: undefined,
        publicIp: spec.publicIp,
        privateIp: spec.privateIp,
        wantsPublicIp: spec.publicIp !== null,
        extraDeviceNames: [],
        initialState: spec.state ?? 'running',
        launchTime: spec.launchTime === undefined ? now : new Date(spec.launchTime).getTime(),
      };
      const [created] = launchInstances(region, this.env, plan, 1, 1, now);
      return (created as { id: string }).id;
    });
    this.reportStateChanges(regionName);
    return ids;
  }

  /**
   * Registers a key pair with real key material, as CreateKeyPair would (for the demo: the private
   * key can be written where dust's key mapping expects it).
   */
  seedKeyPair(regionName: string, name: string, type: KeyPairType = 'ed25519'): { keyPairId: string; privateKey: string; fingerprint: string } {
    const region = this.region(regionName);
    if (region.keyPairs.has(name)) throw Ec2Errors.keyPairDuplicate(name);
    const material = generateKeyMaterial(type, name);
    const id = newId('key');
    region.keyPairs.set(name, {
      id, name, type, fingerprint: material.fingerprint, publicKey: material.publicKey, createTime: this.clock.now(), tags: new Map(),
    });
    return { keyPairId: id, privateKey: material.privateKey, fingerprint: material.fingerprint };
  }

  /** Settled snapshots of a region's visible instances, in launch order. */
  instances(regionName: string): InstanceSnapshot[] {
    const region = this.region(regionName);
    settleRegion(region, this.env, this.clock.now());
    this.reportStateChanges(regionName);
    return [...region.instances.values()].map((i) => ({
      id: i.id,
      state: i.state,
      instanceType: i.instanceType,
      publicIp: i.state === 'terminated' ? undefined : i.publicIp,
      privateIp: i.state === 'terminated' ? undefined : i.privateIp,
      availabilityZone: i.availabilityZone,
      keyName: i.keyName,
      tags: Object.fromEntries(i.tags),
      lifecycle: i.spot ? 'spot' : undefined,
      spotInstanceRequestId: i.spot?.requestId,
      placementGroup: i.placement?.groupName,
      stateReasonCode: i.stateReason?.code,
    }));
  }

  /** The spot price (USD/hour) a type pays in a zone right now. */
  spotPrice(regionName: string, instanceType: string, availabilityZone: string): number {
    return currentSpotPrice(this.region(regionName), instanceType, availabilityZone, this.clock.now());
  }

  /**
   * Moves the spot price of a type (in one zone or all), as the market would. Spot instances whose max
   * price is now below it are interrupted (`Server.SpotInstanceTermination`, or `…Shutdown` for the stop
   * behaviour) and their requests closed `instance-terminated-by-price`. Returns the interrupted ids.
   */
  setSpotPrice(regionName: string, change: SpotPriceChange): string[] {
    if (!(change.price > 0)) throw new RangeError(`setSpotPrice: price must be > 0, got ${change.price}`);
    const region = this.region(regionName);
    const now = this.clock.now();
    settleRegion(region, this.env, now);
    if (change.availabilityZone !== undefined && !region.zones.some((z) => z.name === change.availabilityZone)) {
      throw new RangeError(`setSpotPrice: unknown availability zone ${change.availabilityZone} in ${regionName}`);
    }
    recordSpotPrice(region, change.instanceType, change.availabilityZone, change.price, now);
    const interrupted = spotInstancesOf(region, change.instanceType, change.availabilityZone)
      .filter((i) => i.spot !== undefined && i.spot.maxPrice < change.price)
      .filter((i) => interruptSpotInstance(region, i, 'price', now))
      .map((i) => i.id);
    this.reportStateChanges(regionName);
    return interrupted;
  }

  /**
   * A spot interruption, as EC2 (or AWS FIS `send-spot-instance-interruptions`) delivers it: the given
   * spot instances (default: every running or pending spot instance of the region) are taken back with
   * StateReason `Server.SpotInstanceTermination` (or `Server.SpotInstanceShutdown` for the stop
   * behaviour). On-demand instances named here are left alone. Returns the interrupted ids.
   */
  interruptSpotInstances(regionName: string, instanceIds?: readonly string[]): string[] {
    const region = this.region(regionName);
    const now = this.clock.now();
    settleRegion(region, this.env, now);
    const candidates = instanceIds === undefined
      ? [...region.instances.values()]
      : instanceIds.map((id) => {
          const instance = region.instances.get(id);
          if (!instance) throw new RangeError(`interruptSpotInstances: no instance ${id} in ${regionName}`);
          return instance;
        });
    const interrupted = candidates.filter((i) => interruptSpotInstance(region, i, 'capacity', now)).map((i) => i.id);
    this.reportStateChanges(regionName);
    return interrupted;
  }

  /**
   * Calls `listener` whenever an instance is seen in a new state: after every request, `seed` and
   * `instances` call. Transitions are lazy (settled on reads), so a change is reported when something
   * looks — the demo calls `settle()` on a timer. Several transitions settled at once are reported as
   * one change (running → stopped). Returns an unsubscribe function.
   */
  onStateChange(listener: InstanceStateListener): () => void {
    if (this.stateListeners.size === 0) {
      // Start from what exists now, so only later changes are reported to the first listener.
      for (const [name, region] of this.regions) {
        settleRegion(region, this.env, this.clock.now());
        for (const i of region.instances.values()) this.reportedStates.set(`${name}/${i.id}`, i.state);
      }
    }
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /** Settles every region against the clock and reports changes (what a timer calls). */
  settle(): void {
    for (const [name, region] of this.regions) {
      settleRegion(region, this.env, this.clock.now());
      this.reportStateChanges(name);
    }
  }

  private reportStateChanges(regionName: string): void {
    if (this.stateListeners.size === 0) return;
    const region = this.regions.get(regionName);
    if (!region) return;
    settleRegion(region, this.env, this.clock.now());
    for (const instance of region.instances.values()) {
      const key = `${regionName}/${instance.id}`;
      const previous = this.reportedStates.get(key);
      if (previous === instance.state) continue;
      this.reportedStates.set(key, instance.state);
      const change: InstanceStateChange = { region: regionName, instanceId: instance.id, previous, state: instance.state, tags: Object.fromEntries(instance.tags) };
      for (const listener of [...this.stateListeners]) {
        try {
          listener(change);
        } catch {
          // A listener's failure must not turn into an EC2 error for the caller.
        }
      }
    }
  }
}
