/**
 * What plugins contribute besides commands and event handlers: transports (ways of reaching nodes) and inventory
 * providers (sources of nodes). Kept per plugin, in registration order, so `plugins reload` can take one
 * plugin's contributions back and the session layer can ask transports newest first.
 */
import type { InventoryProvider } from '../inventory/provider.js';
import type { Transport } from '../sessions/transport.js';

interface Owned<T> {
  plugin: string;
  item: T;
}

export class Contributions {
  private transportList: Owned<Transport>[] = [];
  private providerList: Owned<InventoryProvider>[] = [];
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
    this.transportList = this.transportList.filter((o) => o.plugin !== plugin);
    this.providerList = this.providerList.filter((o) => o.plugin !== plugin);
    if (providers.length > 0) this.onProvidersChanged?.();
    await Promise.all([...transports.map((t) => t.close()), ...providers.map((p) => p.close?.())]);
  }

  async closeAll(): Promise<void> {
    const transports = this.transports();
    const providers = this.providers();
    this.transportList = [];
    this.providerList = [];
    await Promise.all([...transports.map((t) => t.close()), ...providers.map((p) => p.close?.())]);
  }
}
