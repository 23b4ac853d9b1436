import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ScopeProvider } from '../plugins/api.js';
import type { AwsSettings } from './aws-settings.js';
import { Ec2ClientFactory, type Ec2ClientFactoryOptions, sendEc2 } from './client.js';
import { Ec2InventoryProvider, type Ec2InventoryProviderOptions } from './inventory-provider.js';
import { loadEc2Sdk } from './sdk.js';

/**
 * EC2's regions as a scope `use` switches between (DescribeRegions, asked once and cached), per-region
 * clients, and the current region the inventory provider lists.
 */
export class Ec2Cloud implements ScopeProvider {
  readonly kind = 'region';
  private regionList: Promise<string[]> | undefined;

  constructor(readonly factory: Ec2ClientFactory, public region: string | undefined) {}

  current(): string | undefined {
    return this.region;
  }

  list(): Promise<string[]> {
    return this.listRegions();
  }

  async use(region: string): Promise<void> {
    this.regionChanged(region);
  }

  listRegions(): Promise<string[]> {
    this.regionList ??= this.fetchRegions().catch((err: unknown) => {
      this.regionList = undefined;
      throw err;
    });
    return this.regionList;
  }

  private async fetchRegions(): Promise<string[]> {
    const client = await this.client(this.region ?? 'us-east-1');
    const sdk = loadEc2Sdk();
    const out = await sendEc2<{ Regions?: { RegionName?: string }[] }>(client, 'DescribeRegions', new sdk.DescribeRegionsCommand({}));
    return (out.Regions ?? []).map((r) => r.RegionName ?? '').filter((r) => r !== '').sort();
  }

  regionChanged(region: string): void {
    const old = this.region;
    this.region = region;
    // The old region's client holds sockets; the region list is account-wide and stays cached.
    if (old !== undefined && old !== region) this.factory.drop(old);
  }

  client(region: string): Promise<EC2Client> {
    return Promise.resolve(this.factory.client(region));
  }
}

/** Everything the shell needs to use EC2, built from resolved settings. Nothing here loads the SDK. */
export interface Ec2Integration {
  settings: AwsSettings;
  cloud: Ec2Cloud;
  provider: Ec2InventoryProvider;
  close(): void;
  /**
   * Spec values `cluster init` and `cluster up NAME` start from instead of the schema's defaults. The demo sets
   * `key:` to its own client key, so a cluster comes up there without a key of one's own.
   */
  specDefaults?: Readonly<Record<string, unknown>>;
}

export function createEc2Integration(settings: AwsSettings, clientOptions: Omit<Ec2ClientFactoryOptions, 'settings'> = {}, providerOptions: Pick<Ec2InventoryProviderOptions, 'pageSize' | 'decorate'> = {}): Ec2Integration {
  const factory = new Ec2ClientFactory({ settings, ...clientOptions });
  const cloud = new Ec2Cloud(factory, settings.region);
  const provider = new Ec2InventoryProvider({
    region: () => cloud.region,
    client: (region) => cloud.client(region),
    clusterTag: settings.clusterTag,
    ...providerOptions,
  });
  return { settings, cloud, provider, close: () => factory.destroy() };
}
