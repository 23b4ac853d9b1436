import { DUST_PLUGIN_API, type ClusterState, type CommandSpec, type DustEvents, type DustPlugin, type EventHandler, type PluginApi } from './api.js';
import type { CommandRegistry } from './registry.js';
import type { EventBus } from './events.js';
import type { Contributions } from './contributions.js';
import { SpecProblem, specError, validateSubscription } from './spec-validation.js';

export interface PluginHostDeps {
  registry: CommandRegistry;
  events: EventBus;
  dustVersion: string;
  log: { info(m: string): void; warn(m: string): void; debug(m: string): void };
  /** The shared cluster state, so event handlers can act (annotate, look nodes up) outside a command. */
  state: ClusterState;
  /** Transports and inventory providers plugins add, remembered per plugin so a reload can take them back. */
  contributions: Contributions;
}

/** Builds the `api` object a plugin's setup() receives; built-ins get exactly the same one. */
export function createPluginApi(plugin: DustPlugin, source: string, deps: PluginHostDeps, registryName = plugin.name, options: Readonly<Record<string, unknown>> = {}): PluginApi {
  const prefix = `[${plugin.name}] `;
  return {
    apiVersion: DUST_PLUGIN_API,
    dustVersion: deps.dustVersion,
    pluginName: plugin.name,
    state: deps.state,
    options: Object.freeze({ ...options }),
    registerScope(scope) {
      deps.contributions.addScope(registryName, scope);
    },
    registerClusterProvider(provider) {
      if (typeof provider?.kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(provider.kind)) {
        throw specError(new SpecProblem(`registerClusterProvider() got a provider without a valid kind (${JSON.stringify(provider?.kind)})`, "kind is the spec's provider: value, e.g. kind: 'ec2'"), registryName, source);
      }
      deps.contributions.addClusterProvider(registryName, provider);
    },
    provide(name, value) {
      deps.contributions.provide(registryName, name, value);
    },
    use<T>(name: string) {
      return deps.contributions.use(name) as T | undefined;
    },
    onClose(fn) {
      deps.contributions.addCloser(registryName, fn);
    },
    registerCommand(spec: CommandSpec) {
      deps.registry.register(spec, registryName, source);
    },
    registerTransport(transport) {
      deps.contributions.addTransport(registryName, transport);
    },
    registerInventoryProvider(provider) {
      deps.contributions.addProvider(registryName, provider);
    },
    on<E extends keyof DustEvents>(event: E, handler: EventHandler<E>) {
      try {
        validateSubscription(event, handler);
      } catch (err) {
        throw err instanceof SpecProblem ? specError(err, registryName, source) : err;
      }
      deps.events.on(event, registryName, handler);
    },
    log: {
      info: (m) => deps.log.info(prefix + m),
      warn: (m) => deps.log.warn(prefix + m),
      debug: (m) => deps.log.debug(prefix + m),
    },
  };
}

export async function setupPlugin(plugin: DustPlugin, source: string, deps: PluginHostDeps, registryName?: string, options?: Readonly<Record<string, unknown>>): Promise<void> {
  await plugin.setup(createPluginApi(plugin, source, deps, registryName, options));
}
