import { createHash } from 'node:crypto';
import type { RegionState, SpotPricePoint } from './model.js';

/**
 * Prices for spot instances: a plausible on-demand price for any instance type, a spot price per
 * (type, zone) that is a stable fraction of it, and a short history. Deterministic, so tests can
 * compute what a launch will be charged; `Ec2EmulatorCore.setSpotPrice` moves a price (and
 * interrupts the spot instances whose max price it passes).
 */

/** Product descriptions the emulator prices (Linux only: every default image is Linux/UNIX). */
export const SPOT_PRODUCTS: readonly string[] = ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'];

/** Instance types DescribeSpotPriceHistory lists when no type is named (any valid type has a price). */
export const PRICED_INSTANCE_TYPES: readonly string[] = [
  't3.nano', 't3.micro', 't3.small', 't3.medium', 't3.large', 't3.xlarge',
  't4g.micro', 't4g.small', 't4g.medium',
  'm6i.large', 'm6i.xlarge', 'm6i.2xlarge', 'm7g.large', 'm7g.xlarge',
  'c6i.large', 'c6i.xlarge', 'c6i.2xlarge', 'c7g.large',
  'r6i.large', 'r6i.xlarge',
];

/** USD per hour of a `.large` of each family letter (the size scales it). */
const LARGE_PRICE_BY_FAMILY: Readonly<Record<string, number>> = {
  t: 0.0832, m: 0.096, c: 0.085, r: 0.126, i: 0.156, x: 0.333, z: 0.186, d: 0.207, h: 0.234,
  g: 0.526, p: 3.06, f: 1.65, inf: 0.228, trn: 1.34,
};

/** Size → multiple of a `.large` (xlarge is two larges, 4xlarge eight). */
function sizeFactor(size: string): number {
  const fixed: Record<string, number> = { nano: 1 / 16, micro: 1 / 8, small: 1 / 4, medium: 1 / 2, large: 1, xlarge: 2, metal: 48 };
  if (fixed[size] !== undefined) return fixed[size];
  const m = /^(\d+)xlarge$/.exec(size);
  return m?.[1] ? Number(m[1]) * 2 : 1;
}

const round4 = (n: number) => Math.round(n * 10000) / 10000;

/** A plausible on-demand price (USD/hour) for any type name: family rate × size, Graviton 20 % cheaper. */
export function onDemandPrice(instanceType: string): number {
  const [family = '', size = ''] = instanceType.split('.');
  const letters = /^[a-z]+/.exec(family)?.[0] ?? '';
  const rate = LARGE_PRICE_BY_FAMILY[letters] ?? LARGE_PRICE_BY_FAMILY[letters.slice(0, 1)] ?? 0.1;
  const graviton = /^[a-z]+\d+g/.test(family);
  return Math.max(0.0001, round4(rate * sizeFactor(size) * (graviton ? 0.8 : 1)));
}

function unitHash(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/** The spot price a (type, zone) starts at: 30–45 % of on-demand, stable per pair. */
export function baseSpotPrice(instanceType: string, zone: string): number {
  return Math.max(0.0001, round4(onDemandPrice(instanceType) * (0.3 + 0.15 * unitHash(`${instanceType}/${zone}`))));
}

/** EC2 writes prices with six decimals (`0.003100`). */
export function formatPrice(price: number): string {
  return price.toFixed(6);
}

const DAY = 24 * 60 * 60 * 1000;

/**
 * The (type, zone) history, created on first use: three earlier points a day apart within ±10 % of the
 * base price, then the base price itself from an hour before `now` on.
 */
export function spotHistory(region: RegionState, instanceType: string, zone: string, now: number): SpotPricePoint[] {
  const key = `${instanceType}/${zone}`;
  let history = region.spotPrices.get(key);
  if (!history) {
    const base = baseSpotPrice(instanceType, zone);
    history = [3, 2, 1].map((daysAgo) => ({
      time: now - daysAgo * DAY,
      price: Math.max(0.0001, round4(base * (0.9 + 0.2 * unitHash(`${key}/${daysAgo}`)))),
    }));
    history.push({ time: now - 60 * 60 * 1000, price: base });
    region.spotPrices.set(key, history);
  }
  return history;
}

/** The price in effect at `now`. */
export function currentSpotPrice(region: RegionState, instanceType: string, zone: string, now: number): number {
  const history = spotHistory(region, instanceType, zone, now);
  let price = history[0]?.price ?? baseSpotPrice(instanceType, zone);
  for (const point of history) if (point.time <= now) price = point.price;
  return price;
}
