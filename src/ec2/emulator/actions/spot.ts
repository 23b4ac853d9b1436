import { Ec2Errors } from '../errors.js';
import { compileFilters, type FilterTable } from '../filters.js';
import { enterState } from '../lifecycle.js';
import type { InstanceRecord, RegionState, SpotRequestRecord, SpotRequestState, StateReason } from '../model.js';
import { paginate, readPageRequest } from '../pagination.js';
import type { QueryParams } from '../query.js';
import {
  currentSpotPrice, formatPrice, onDemandPrice, PRICED_INSTANCE_TYPES, SPOT_PRODUCTS, spotHistory,
} from '../spot-prices.js';
import type { XmlObject } from '../xml.js';
import { type ActionContext, type ActionHandler, settleRegion, tagSetXml } from './context.js';

/** StateReason of a spot instance EC2 took back (terminate behaviour). */
export const SPOT_TERMINATION: StateReason = {
  code: 'Server.SpotInstanceTermination',
  message: 'Server.SpotInstanceTermination: Spot instance termination',
};

/** StateReason of a spot instance EC2 took back (stop or hibernate behaviour). */
export const SPOT_SHUTDOWN: StateReason = {
  code: 'Server.SpotInstanceShutdown',
  message: 'Server.SpotInstanceShutdown: Spot instance shutdown',
};

const STATUS_MESSAGES: Readonly<Record<string, string>> = {
  fulfilled: 'Your spot request is fulfilled.',
  'instance-terminated-by-price': 'Your Spot Instance was terminated because the Spot price rose above your maximum price.',
  'instance-terminated-no-capacity': 'Your Spot Instance was terminated because there was no Spot capacity available.',
  'instance-terminated-by-user': 'Spot Instance terminated due to user-initiated termination.',
  'instance-stopped-by-price': 'Your Spot Instance was stopped because the Spot price rose above your maximum price.',
  'instance-stopped-no-capacity': 'Your Spot Instance was stopped because there was no Spot capacity available.',
  'instance-stopped-by-user': 'Spot Instance stopped due to user-initiated stop.',
  'request-canceled-and-instance-running': 'Spot instance request canceled by user; the instance keeps running.',
};

/** Moves a spot request to a new state and status, as EC2 reports it. */
export function setSpotRequestStatus(request: SpotRequestRecord, state: SpotRequestState, statusCode: string, now: number): void {
  request.state = state;
  request.statusCode = statusCode;
  request.statusMessage = STATUS_MESSAGES[statusCode] ?? statusCode;
  request.statusTime = now;
}

/** The spot request behind an instance, if it is a spot instance whose request still exists. */
export function spotRequestOf(region: RegionState, instance: InstanceRecord): SpotRequestRecord | undefined {
  return instance.spot ? region.spotRequests.get(instance.spot.requestId) : undefined;
}

/**
 * EC2 takes a spot instance back: `terminate` behaviour → shutting-down with
 * Server.SpotInstanceTermination, `stop`/`hibernate` → stopping with Server.SpotInstanceShutdown.
 * Returns false when there was nothing to interrupt (not spot, or already going away).
 */
export function interruptSpotInstance(
  region: RegionState,
  instance: InstanceRecord,
  cause: 'price' | 'capacity',
  now: number,
): boolean {
  if (!instance.spot || (instance.state !== 'pending' && instance.state !== 'running')) return false;
  const request = spotRequestOf(region, instance);
  const stop = instance.spot.interruptionBehavior !== 'terminate';
  enterState(instance, stop ? 'stopping' : 'shutting-down', now);
  instance.stateReason = stop ? SPOT_SHUTDOWN : SPOT_TERMINATION;
  instance.transitionReason = `Service initiated (${new Date(now).toISOString().slice(0, 19).replace('T', ' ')} GMT)`;
  if (request) {
    const status = `instance-${stop ? 'stopped' : 'terminated'}-${cause === 'price' ? 'by-price' : 'no-capacity'}`;
    setSpotRequestStatus(request, stop ? 'disabled' : 'closed', status, now);
  }
  return true;
}

/** Parses an EC2 price (`0.05`, `.5`, `1`): a positive decimal, else InvalidParameterValue. */
export function parsePrice(raw: string, name: string): number {
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw.trim()) || !(Number(raw) > 0)) {
    throw Ec2Errors.invalidParameterValue(`Invalid value '${raw}' for ${name}. Expected a price in USD per hour, e.g. 0.05`);
  }
  return Number(raw);
}

interface PriceRow {
  instanceType: string;
  productDescription: string;
  zone: string;
  zoneId: string;
  price: number;
  time: number;
}

const PRICE_FILTERS: FilterTable<PriceRow> = {
  'availability-zone': (r) => r.zone,
  'instance-type': (r) => r.instanceType,
  'product-description': (r) => r.productDescription,
  'spot-price': (r) => formatPrice(r.price),
  timestamp: (r) => new Date(r.time).toISOString(),
};

function dateParam(params: QueryParams, name: string): number | undefined {
  const raw = params.str(name);
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw Ec2Errors.invalidParameterValue(`Invalid value '${raw}' for ${name}. Expected an ISO 8601 date`);
  return t;
}

/**
 * DescribeSpotPriceHistory: every price change between StartTime and EndTime (default: all history up
 * to now), plus the price in effect at StartTime, newest first, as EC2 answers it.
 */
export const describeSpotPriceHistory: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const types = params.list('InstanceType');
  const products = params.list('ProductDescription');
  for (const p of products) {
    if (!SPOT_PRODUCTS.includes(p)) throw Ec2Errors.invalidParameterValue(`Invalid value '${p}' for ProductDescription`);
  }
  const zoneName = params.str('AvailabilityZone');
  if (zoneName !== undefined && !region.zones.some((z) => z.name === zoneName)) {
    throw Ec2Errors.invalidParameterValue(`Invalid availability zone: [${zoneName}]`);
  }
  const start = dateParam(params, 'StartTime');
  const end = dateParam(params, 'EndTime') ?? ctx.now;
  if (start !== undefined && start > end) throw Ec2Errors.invalidParameterValue('StartTime must be before EndTime');
  const pageRequest = readPageRequest(params, 1, 1000);
  const matches = compileFilters(params.filters(), PRICE_FILTERS, undefined, ctx.env.questionMark);

  const rows: PriceRow[] = [];
  for (const instanceType of types.length > 0 ? types : PRICED_INSTANCE_TYPES) {
    for (const zone of region.zones.filter((z) => zoneName === undefined || z.name === zoneName)) {
      const history = spotHistory(region, instanceType, zone.name, ctx.now).filter((p) => p.time <= end);
      const inEffectAtStart = start === undefined ? undefined : [...history].reverse().find((p) => p.time <= start);
      const points = history.filter((p) => start === undefined || p.time >= start || p === inEffectAtStart);
      for (const productDescription of products.length > 0 ? products : SPOT_PRODUCTS) {
        for (const p of points) rows.push({ instanceType, productDescription, zone: zone.name, zoneId: zone.id, price: p.price, time: p.time });
      }
    }
  }
  // Newest first; ties in a stable order so pagination keys are unique.
  const keyOf = (r: PriceRow) => `${String(Number.MAX_SAFE_INTEGER - r.time).padStart(16, '0')}/${r.instanceType}/${r.zone}/${r.productDescription}`;
  const selected = rows.filter(matches).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const { page, nextToken } = paginate(selected, keyOf, pageRequest);
  return {
    nextToken,
    spotPriceHistorySet: page.map((r) => ({
      availabilityZone: r.zone,
      availabilityZoneId: r.zoneId,
      instanceType: r.instanceType,
      productDescription: r.productDescription,
      spotPrice: formatPrice(r.price),
      timestamp: new Date(r.time),
    })),
  };
};

function requestXml(r: SpotRequestRecord): XmlObject {
  return {
    spotInstanceRequestId: r.id,
    spotPrice: formatPrice(r.maxPrice),
    type: r.type,
    state: r.state,
    status: { code: r.statusCode, updateTime: new Date(r.statusTime), message: r.statusMessage },
    launchSpecification: { imageId: r.imageId, instanceType: r.instanceType, placement: { availabilityZone: r.availabilityZone } },
    instanceId: r.instanceId,
    createTime: new Date(r.createTime),
    productDescription: r.productDescription,
    tagSet: tagSetXml(r.tags),
    launchedAvailabilityZone: r.availabilityZone,
    instanceInterruptionBehavior: r.interruptionBehavior,
  };
}

const REQUEST_FILTERS: FilterTable<SpotRequestRecord> = {
  'spot-instance-request-id': (r) => r.id,
  state: (r) => r.state,
  'status-code': (r) => r.statusCode,
  type: (r) => r.type,
  'instance-id': (r) => r.instanceId,
  'launch.instance-type': (r) => r.instanceType,
  'launch.image-id': (r) => r.imageId,
  'launched-availability-zone': (r) => r.availabilityZone,
  'product-description': (r) => r.productDescription,
  'spot-price': (r) => formatPrice(r.maxPrice),
  'instance-interruption-behavior': (r) => r.interruptionBehavior,
};

function requestsById(region: RegionState, ids: readonly string[]): SpotRequestRecord[] {
  for (const id of ids) if (!/^sir-[0-9a-z]{8}$/.test(id)) throw Ec2Errors.spotRequestIdMalformed(id);
  return ids.map((id) => {
    const r = region.spotRequests.get(id);
    if (!r) throw Ec2Errors.spotRequestNotFound(id);
    return r;
  });
}

export const describeSpotInstanceRequests: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  settleRegion(region, ctx.env, ctx.now);
  const ids = params.list('SpotInstanceRequestId');
  const wanted = requestsById(region, ids);
  const matches = compileFilters(params.filters(), REQUEST_FILTERS, (r) => r.tags, ctx.env.questionMark);
  const pageRequest = readPageRequest(params);
  const selected = [...region.spotRequests.values()]
    .filter((r) => ids.length === 0 || wanted.includes(r))
    .filter(matches)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { page, nextToken } = paginate(selected, (r) => r.id, pageRequest);
  return { spotInstanceRequestSet: page.map(requestXml), nextToken };
};

/** CancelSpotInstanceRequests: the request is cancelled; a running instance keeps running (as in EC2). */
export const cancelSpotInstanceRequests: ActionHandler = (ctx) => {
  const { params, region } = ctx;
  const ids = params.list('SpotInstanceRequestId');
  if (ids.length === 0) throw Ec2Errors.missingParameter('SpotInstanceRequestId');
  const requests = requestsById(region, ids);
  for (const r of requests) {
    if (r.state === 'active' || r.state === 'open' || r.state === 'disabled') {
      setSpotRequestStatus(r, 'cancelled', 'request-canceled-and-instance-running', ctx.now);
    }
  }
  return { spotInstanceRequestSet: requests.map((r) => ({ spotInstanceRequestId: r.id, state: r.state })) };
};

/** The price a spot launch pays and whether its max price covers it (SpotMaxPriceTooLow otherwise). */
export function checkSpotPrice(
  region: RegionState,
  instanceType: string,
  zone: string,
  maxPrice: { value: number; text: string } | undefined,
  now: number,
): number {
  const price = currentSpotPrice(region, instanceType, zone, now);
  const cap = maxPrice ?? { value: onDemandPrice(instanceType), text: formatPrice(onDemandPrice(instanceType)) };
  if (cap.value < price) throw Ec2Errors.spotMaxPriceTooLow(cap.text, formatPrice(price).replace(/0+$/, '').replace(/\.$/, ''));
  return price;
}

/** Live spot instances of a type in a zone (or all zones), for price moves. */
export function spotInstancesOf(region: RegionState, instanceType: string, zone: string | undefined): InstanceRecord[] {
  return [...region.instances.values()].filter(
    (i) => i.spot !== undefined && i.instanceType === instanceType && (zone === undefined || i.availabilityZone === zone),
  );
}

/** Adds a price point (from `now` on) for a type in one zone or every zone of the region. */
export function recordSpotPrice(region: RegionState, instanceType: string, zone: string | undefined, price: number, now: number): void {
  for (const z of region.zones.filter((x) => zone === undefined || x.name === zone)) {
    const history = spotHistory(region, instanceType, z.name, now);
    history.push({ time: now, price });
  }
}
