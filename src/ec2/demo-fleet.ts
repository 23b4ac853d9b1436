import type { Ec2EmulatorCore, SeedInstance } from './emulator/index.js';

/** One demo instance: its Name, cluster and what it "is". */
export interface DemoInstanceSpec {
  name: string;
  cluster: string;
  type: string;
  role: string;
  /** Image name prefix in the emulator's catalogue. */
  image: string;
  /** Launched this many days before the demo starts. */
  ageDays: number;
  zone: string;
}

export const DEMO_REGION = 'us-east-1';
export const DEMO_TAG = 'dust:demo';

/** The demo's two clusters: a small Slurm cluster and a web pair. */
export const DEMO_FLEET: readonly DemoInstanceSpec[] = [
  { name: 'master', cluster: 'slurm1', type: 'm6i.large', role: 'slurm-controller', image: 'ubuntu/', ageDays: 41, zone: 'us-east-1a' },
  { name: 'worker0', cluster: 'slurm1', type: 'c6i.2xlarge', role: 'compute', image: 'ubuntu/', ageDays: 41, zone: 'us-east-1a' },
  { name: 'worker1', cluster: 'slurm1', type: 'c6i.2xlarge', role: 'compute', image: 'ubuntu/', ageDays: 41, zone: 'us-east-1a' },
  { name: 'worker2', cluster: 'slurm1', type: 'c6i.2xlarge', role: 'compute', image: 'ubuntu/', ageDays: 12, zone: 'us-east-1b' },
  { name: 'web1', cluster: 'webtest', type: 't3.small', role: 'web', image: 'al2023-ami-2023.6', ageDays: 5, zone: 'us-east-1a' },
  { name: 'web2', cluster: 'webtest', type: 't3.small', role: 'web', image: 'al2023-ami-2023.6', ageDays: 5, zone: 'us-east-1c' },
];

/**
 * Seeds the demo fleet into an emulator core: Name, `dust:cluster`, `dust:demo=true` and role tags,
 * launch times days in the past. `publicIp(name)` pins each instance's public address (the demo's
 * loopback SSH nodes); without it the emulator hands out documentation addresses. Returns name → id.
 */
export function seedDemoFleet(
  core: Ec2EmulatorCore,
  options: { region?: string; clusterTag?: string; publicIp?: (name: string) => string | undefined; now?: number; fleet?: readonly DemoInstanceSpec[] } = {},
): Map<string, string> {
  const region = options.region ?? DEMO_REGION;
  const fleet = options.fleet ?? DEMO_FLEET;
  const now = options.now ?? core.clock.now();
  const images = core.region(region).images;
  const day = 24 * 3600 * 1000;
  const seeds: SeedInstance[] = fleet.map((spec, i) => {
    const image = images.find((img) => img.name.startsWith(spec.image)) ?? images[0];
    const ip = options.publicIp?.(spec.name);
    return {
      name: spec.name,
      type: spec.type,
      state: 'running',
      tags: { [options.clusterTag ?? 'dust:cluster']: spec.cluster, [DEMO_TAG]: 'true', role: spec.role },
      ...(ip !== undefined ? { publicIp: ip } : {}),
      keyName: 'dust-demo',
      ...(image ? { imageId: image.id } : {}),
      availabilityZone: spec.zone,
      // Minutes apart so launch order is visible, seconds dropped as EC2 shows them.
      launchTime: Math.floor((now - spec.ageDays * day - (fleet.length - i) * 97_000) / 1000) * 1000,
    };
  });
  const ids = core.seed(region, seeds);
  return new Map(fleet.map((spec, i) => [spec.name, ids[i]!]));
}
