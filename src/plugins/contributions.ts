/**
 * What plugins contribute besides commands and event handlers: transports (ways of reaching nodes) and inventory
 * providers (sources of nodes). Kept per plugin, in registration order, so `plugins reload` can take one
 * plugin's contributions back and the session layer can ask transports newest first.
 */
import type { InventoryProvider } from '../inventory/provider.js';
import type { Transport } from '../sessions/transport.js';
import type { ScopeProvider } from './api.js';
import type { ClusterProvider } from '../clusters/provider.js';

interface Owned<T> {
  plugin: string;
  item: T;
}

export class Contributions {
  private transportList: Owned<Transport>[] = [];
  private providerList: Owned<InventoryProvider>[] = [];
  private scopeList: Owned<ScopeProvider>[] = [];
  private clusterProviderList: Owned<ClusterProvider>[] = [];
  private readonly provided = new Map<string, Owned<unknown>>();
  private closers: Owned<() => void | Promise<void>>[] = [];
  /** Told when the provider list changed (the inventory re-reads it). */
  onProvidersChanged: (() => void) | undefined;

  /** Registering the same object again (a built-in set up again on reload) changes nothing. */
  addTransport(plugin: string, transport: Transport): void {
    if (this.transportList.some((o) => o.item === transport)) return;
    this.transportList.push({ plugin, item: transport });
  }

  addProvider(plugin: string, provider: InventoryProvider): void {
    if (this.providerList.some((o) => o.item === provider)) return;
    this.providerList.push({ plugin, item: provider });
    this.onProvidersChanged?.();
  }

  addScope(plugin: string, scope: ScopeProvider): void {
    if (this.scopeList.some((o) => o.item === scope)) return;
    this.scopeList.push({ plugin, item: scope });
  }

  scopes(): ScopeProvider[] {
    return this.scopeList.map((o) => o.item);
  }

  /** A provider of the same kind registered later replaces the earlier one (a plugin may serve `ec2` its own way). */
  addClusterProvider(plugin: string, provider: ClusterProvider): void {
    if (this.clusterProviderList.some((o) => o.item === provider)) return;
    this.clusterProviderList = this.clusterProviderList.filter((o) => o.item.kind !== provider.kind);
    this.clusterProviderList.push({ plugin, item: provider });
  }

  clusterProviders(): ClusterProvider[] {
    return this.clusterProviderList.map((o) => o.item);
  }

  /** A value one plugin offers others by name (`api.provide('ec2', access)`); the newest provider of a name wins. */
  provide(plugin: string, name: string, value: unknown): void {
    this.provided.set(name, { plugin, item: value });
  }

  use(name: string): unknown {
    return this.provided.get(name)?.item;
  }

  /** Called when the plugin goes away: `plugins reload` (user plugins) and dust leaving (all). */
  addCloser(plugin: string, fn: () => void | Promise<void>): void {
    if (this.closers.some((o) => o.item === fn)) return;
    this.closers.push({ plugin, item: fn });
  }

  /** In registration order (the session layer asks them newest first). */
  transports(): Transport[] {
    return this.transportList.map((o) => o.item);
  }

  providers(): InventoryProvider[] {
    return this.providerList.map((o) => o.item);
  }

  /** Forgets one plugin's contributions (`plugins reload`); its transports and providers are closed. */
  async removePlugin(plugin: string): Promise<void> {
    const transports = this.transportList.filter((o) => o.plugin === plugin).map((o) => o.item);
    const providers = this.providerList.filter((o) => o.plugin === plugin).map((o) => o.item);
    const closers = this.closers.filter((o) => o.plugin === plugin).map((o) => o.item);
    this.transportList = this.transportList.filter((o) => o.plugin !== plugin);
    this.providerList = this.providerList.filter((o) => o.plugin !== plugin);
    this.scopeList = this.scopeList.filter((o) => o.plugin !== plugin);
    this.clusterProviderList = this.clusterProviderList.filter((o) => o.plugin !== plugin);
    this.closers = this.closers.filter((o) => o.plugin !== plugin);
    for (const [name, o] of this.provided) if (o.plugin === plugin) this.provided.delete(name);
    if (providers.length > 0) this.onProvidersChanged?.();
    await Promise.all([...transports.map((t) => t.close()), ...providers.map((p) => p.close?.()), ...closers.map(async (c) => c())]);
  }

  async closeAll(): Promise<void> {
    const transports = this.transports();
    const providers = this.providers();
    const closers = this.closers.map((o) => o.item);
    this.transportList = [];
    this.providerList = [];
    this.closers = [];
    await Promise.all([...transports.map((t) => t.close()), ...providers.map((p) => p.close?.()), ...closers.map(async (c) => c())]);
  }
}
