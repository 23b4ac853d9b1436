import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { InventoryProvider, NodeDraft } from '../inventory/provider.js';
import { loadEc2Sdk } from './sdk.js';
import { describeClient } from './client.js';
import { translateEc2Error } from './errors.js';
import { instanceToDraft, separateTerminated } from './instance-node.js';

export interface Ec2InventoryProviderOptions {
  /** The current region, read on every listing (it changes with `use <region>`). */
  region(): string | undefined;
  /** The region's client (loads the SDK on first use). */
  client(region: string): Promise<EC2Client>;
  clusterTag: string;
  /** DescribeInstances page size (EC2 allows 5..1000). Default 1000. */
  pageSize?: number;
  /**
   * Adjusts each node before login rules apply (the demo points instances it launched at their embedded SSH
   * servers: address, port, user, key). A node's own user, key and non-22 port win over rules.
   */
  decorate?: (draft: NodeDraft) => NodeDraft;
}

/**
 * Every instance of the current region, in every state (terminated ones too, while EC2 still lists
 * them), as node drafts. Paginated: accounts with thousands of instances are listed whole.
 */
export class Ec2InventoryProvider implements InventoryProvider {
  readonly name = 'ec2';

  constructor(private readonly options: Ec2InventoryProviderOptions) {}

  async list(): Promise<NodeDraft[]> {
    const region = this.options.region();
    if (region === undefined) return [];
    const client = await this.options.client(region);
    const instances = await listAllInstances(client, this.options.pageSize ?? 1000);
    const drafts = instances.map((i) => instanceToDraft(i, { region, clusterTag: this.options.clusterTag }));
    const decorate = this.options.decorate;
    return separateTerminated(decorate ? drafts.map(decorate) : drafts);
  }
}

/** What to list: EC2 filters (ANDed), and/or explicit ids. */
export interface ListInstancesOptions {
  filters?: readonly { Name: string; Values: string[] }[];
  /** Explicit ids: one call, no pagination (EC2 refuses MaxResults with InstanceIds); unknown ids are an error. */
  ids?: readonly string[];
  /** DescribeInstances page size (EC2 allows 5..1000). Default 1000. */
  pageSize?: number;
}

/**
 * Instances of the client's region, across every DescribeInstances page, in API order: the one
 * paginator every EC2 listing in dust goes through (inventory, `cluster`, waits, provisioning).
 * Failures become one-line DustErrors naming DescribeInstances.
 */
export async function listInstances(client: EC2Client, options: ListInstancesOptions = {}): Promise<Instance[]> {
  const sdk = loadEc2Sdk();
  const instances: Instance[] = [];
  const filters = options.filters && options.filters.length > 0 ? { Filters: options.filters.map((f) => ({ Name: f.Name, Values: [...f.Values] })) } : {};
  try {
    if (options.ids) {
      const page = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [...options.ids], ...filters }));
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
      return instances;
    }
    for await (const page of sdk.paginateDescribeInstances({ client, pageSize: options.pageSize ?? 1000 }, filters)) {
      for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
    }
  } catch (err) {
    throw translateEc2Error(err, 'DescribeInstances', await describeClient(client));
  }
  return instances;
}

/** All instances of the client's region (or just `ids`), across every page. */
export async function listAllInstances(client: EC2Client, pageSize = 1000, ids?: readonly string[]): Promise<Instance[]> {
  return listInstances(client, { pageSize, ...(ids ? { ids } : {}) });
}
