/**
 * Static catalogue data: regions, availability zones and the default AMIs every region offers.
 * Ids are derived from the region name (see ids.ts `stableId`), so they are the same on every run.
 */

/** Commercial regions that need no opt-in (what `DescribeRegions` lists by default). */
export const DEFAULT_REGIONS: readonly string[] = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'ca-central-1', 'sa-east-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1',
  'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
];

const DIRECTION_ABBREVIATIONS: Readonly<Record<string, string>> = {
  east: 'e', west: 'w', north: 'n', south: 's', central: 'c',
  northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
};

/** EC2's short region code used in zone ids: `us-east-1` → `use1`, `ap-southeast-2` → `apse2`. */
export function regionShortCode(region: string): string {
  const [area = region, direction = '', number = ''] = region.split('-');
  return `${area}${DIRECTION_ABBREVIATIONS[direction] ?? direction.slice(0, 1)}${number}`;
}

/** Zone suffixes each emulated region has. */
export const ZONE_SUFFIXES: readonly string[] = ['a', 'b', 'c'];

/** A default AMI (per-region copies get their own id). */
export interface ImageSpec {
  name: string;
  description: string;
  ownerId: string;
  ownerAlias: string | undefined;
  architecture: 'x86_64' | 'arm64';
  creationDate: string;
  rootDeviceName: string;
  platformDetails: string;
  bootMode: 'uefi' | 'legacy-bios' | 'uefi-preferred';
}

/** Owner ids of the publishers the default images come from. */
export const IMAGE_OWNERS = { amazon: '137112412989', canonical: '099720109477', debian: '136693071363' } as const;

export const DEFAULT_IMAGES: readonly ImageSpec[] = [
  {
    name: 'al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64', description: 'Amazon Linux 2023 AMI 2023.6.20250115.0 x86_64 HVM kernel-6.1',
    ownerId: IMAGE_OWNERS.amazon, ownerAlias: 'amazon', architecture: 'x86_64', creationDate: '2025-01-15T21:07:32.000Z',
    rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', bootMode: 'uefi-preferred',
  },
  {
    name: 'al2023-ami-2023.6.20250115.0-kernel-6.1-arm64', description: 'Amazon Linux 2023 AMI 2023.6.20250115.0 arm64 HVM kernel-6.1',
    ownerId: IMAGE_OWNERS.amazon, ownerAlias: 'amazon', architecture: 'arm64', creationDate: '2025-01-15T21:07:40.000Z',
    rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', bootMode: 'uefi',
  },
  {
    name: 'al2023-ami-2023.5.20240916.0-kernel-6.1-x86_64', description: 'Amazon Linux 2023 AMI 2023.5.20240916.0 x86_64 HVM kernel-6.1',
    ownerId: IMAGE_OWNERS.amazon, ownerAlias: 'amazon', architecture: 'x86_64', creationDate: '2024-09-16T20:11:02.000Z',
    rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', bootMode: 'uefi-preferred',
  },
  {
    name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115', description: 'Canonical, Ubuntu, 24.04, amd64 noble image',
    ownerId: IMAGE_OWNERS.canonical, ownerAlias: undefined, architecture: 'x86_64', creationDate: '2025-01-15T08:31:12.000Z',
    rootDeviceName: '/dev/sda1', platformDetails: 'Linux/UNIX', bootMode: 'uefi-preferred',
  },
  {
    name: 'debian-12-amd64-20250112-1990', description: 'Debian 12 (20250112-1990)',
    ownerId: IMAGE_OWNERS.debian, ownerAlias: undefined, architecture: 'x86_64', creationDate: '2025-01-12T10:20:44.000Z',
    rootDeviceName: '/dev/xvda', platformDetails: 'Linux/UNIX', bootMode: 'uefi-preferred',
  },
];
