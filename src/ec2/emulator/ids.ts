import { createHash, randomBytes } from 'node:crypto';

/** Resource id prefixes the emulator mints. */
export type IdPrefix =
  | 'i' | 'r' | 'sg' | 'snap' | 'sgr' | 'key' | 'vol' | 'eni' | 'eni-attach' | 'vpc' | 'subnet' | 'ami' | 'igw' | 'pg';

/** A fresh `prefix-` + 17 lowercase hex digits id, as EC2 mints them today. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** A stable id derived from `seed` (default VPCs, subnets, AMIs: the same every run, per region). */
export function stableId(prefix: IdPrefix, seed: string): string {
  return `${prefix}-${createHash('sha256').update(seed).digest('hex').slice(0, 17)}`;
}

/** A spot instance request id: `sir-` plus 8 lowercase letters and digits, as EC2 mints them (`sir-8ygr6ghm`). */
export function newSpotRequestId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `sir-${[...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** `i-` plus 8 (old style) or 17 hex digits. */
export const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const IMAGE_ID = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const GROUP_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
export const PLACEMENT_GROUP_ID = /^pg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** The 12-digit account every emulated resource belongs to. */
export const DEFAULT_ACCOUNT_ID = '123456789012';

/** A request id for the `x-amzn-RequestId` header (the SDK's only source of `$metadata.requestId`). */
export function newRequestId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
