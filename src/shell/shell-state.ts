import type { ClusterState, KeyValueStore, RegisteredCommand } from '../plugins/api.js';
import type { DustConfig } from '../config/schema.js';
import type { DustNode } from '../inventory/node.js';
import type { Inventory } from '../inventory/inventory.js';
import type { CommandRegistry } from '../plugins/registry.js';
import { resolveTarget } from '../targets/index.js';
import { JsonFileStore } from '../state/json-store.js';

/**
 * The shared cluster state every command receives (ClusterState). It owns the working set and the
 * region; the inventory owns nodes and caching.
 */
export class ShellState implements ClusterState {
  region: string | undefined;
  workingCluster: string | undefined;
  private readonly stores = new Map<string, KeyValueStore>();
  /** Listeners told when the prompt context (region or working set) changes. */
  onContextChange: (() => void) | undefined;

  constructor(
    readonly dustHome: string,
    readonly version: string,
    readonly dustConfig: DustConfig,
    readonly configFile: string | undefined,
    readonly inventory: Inventory,
    private readonly registry: CommandRegistry,
  ) {
    this.region = dustConfig.region;
  }

  get config(): Readonly<Record<string, unknown>> {
    return this.dustConfig as unknown as Readonly<Record<string, unknown>>;
  }

  nodes(): Promise<readonly DustNode[]> {
    return this.inventory.nodes();
  }

  async workingSet(): Promise<readonly DustNode[]> {
    const all = await this.inventory.nodes();
    return this.workingCluster === undefined ? all : all.filter((n) => n.cluster === this.workingCluster);
  }

  async clusters(): Promise<readonly string[]> {
    const names = new Set<string>();
    for (const n of await this.inventory.nodes()) if (n.cluster) names.add(n.cluster);
    for (const r of this.inventory.loginRules) if (r.cluster) names.add(r.cluster);
    return [...names].sort();
  }

  async resolveTarget(expr: string | undefined): Promise<DustNode[]> {
    const nodes = await this.inventory.nodes();
    const workingSet = await this.workingSet();
    return resolveTarget(expr ?? '', { nodes, workingSet, clusterNames: new Set(await this.clusters()) });
  }

  invalidate(): void {
    this.inventory.invalidate();
  }

  useCluster(name: string | undefined): void {
    this.workingCluster = name;
    this.onContextChange?.();
  }

  setRegion(region: string | undefined): void {
    this.region = region;
    this.onContextChange?.();
  }

  commands(): readonly RegisteredCommand[] {
    return this.registry.list();
  }

  store(namespace: string): KeyValueStore {
    let s = this.stores.get(namespace);
    if (!s) {
      s = JsonFileStore.forNamespace(this.dustHome, namespace);
      this.stores.set(namespace, s);
    }
    return s;
  }

  /** `[slurm1]$ ` with a working set, `[us-east-1]$ ` with a region, `[dust]$ ` otherwise. */
  promptText(): string {
    return `[${this.workingCluster ?? this.region ?? 'dust'}]$ `;
  }
}
