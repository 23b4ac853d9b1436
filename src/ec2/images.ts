import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { loadEc2Sdk } from './sdk.js';
import { sendEc2 } from './client.js';

export type Architecture = 'x86_64' | 'arm64';

/**
 * The CPU architecture an instance type runs: Graviton families carry a `g` right after the
 * generation digit (t4g, m7g, c7gn, r8g, im4gn, x2gd), and a1 is the first Graviton; the rest is x86_64.
 */
export function architectureOf(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g/.test(family) || family === 'a1' ? 'arm64' : 'x86_64';
}

/** Where dust's default image comes from: Amazon's own Amazon Linux 2023 (the standard image, not "minimal"). */
export function defaultImageFilter(arch: Architecture): { owner: string; name: string } {
  return { owner: 'amazon', name: `al2023-ami-2023.*-${arch}` };
}

/** The newest default image for `arch` in the client's region, or undefined when the region has none. */
export async function newestDefaultImage(client: EC2Client, arch: Architecture): Promise<Image | undefined> {
  const sdk = loadEc2Sdk();
  const filter = defaultImageFilter(arch);
  const out = await sendEc2<{ Images?: Image[] }>(client, 'DescribeImages', new sdk.DescribeImagesCommand({
    Owners: [filter.owner],
    Filters: [{ Name: 'name', Values: [filter.name] }, { Name: 'architecture', Values: [arch] }, { Name: 'state', Values: ['available'] }],
  }));
  return [...(out.Images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
}

/** One image by id (EC2's InvalidAMIID.NotFound, translated, when it does not exist in the region). */
export async function describeImage(client: EC2Client, imageId: string): Promise<Image | undefined> {
  const sdk = loadEc2Sdk();
  const out = await sendEc2<{ Images?: Image[] }>(client, 'DescribeImages', new sdk.DescribeImagesCommand({ ImageIds: [imageId] }));
  return out.Images?.[0];
}
