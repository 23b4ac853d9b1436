import fs from 'node:fs';
import path from 'node:path';
import type { Output, Prompter, SessionsApi } from '../plugins/api.js';
import { CommandRegistry } from '../plugins/registry.js';
import { EventBus } from '../plugins/events.js';
import { setupPlugin } from '../plugins/plugin-host.js';
import { builtinPlugins } from '../plugins/builtin/index.js';
import { clusterCommand } from '../clusters/commands/index.js';
import type { SetupTuning } from '../clusters/commands/setup-step.js';
import { pluginsCommand } from '../plugins/builtin/plugins.js';
import { loadUserPlugins, type PluginLoadReport } from '../plugins/loader.js';
import { definePlugin, DUST_PLUGIN_API, type DustPlugin } from '../plugins/api.js';
import type { LoadedConfig } from '../config/load-config.js';
import { Inventory } from '../inventory/inventory.js';
import { configRuleOrigins, effectiveRuleOrigins, effectiveRules, LoginRulesStore } from '../inventory/login-rules-store.js';
import type { LoginRule } from '../config/schema.js';
import { assignCommand } from '../plugins/builtin/assign.js';
import { refreshCommand } from '../plugins/builtin/refresh.js';
import { StaticProvider } from '../inventory/static-provider.js';
import type { InventoryProvider } from '../inventory/provider.js';
import { EngineState, ShellState } from './shell-state.js';
import type { CommandRunner, TerminalHost } from './command-runner.js';
import { DustClient, type ClientIO } from './client.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { TerminalOutput } from '../output/terminal-output.js';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { Contributions } from '../plugins/contributions.js';
import { createSessionManager, type ShellSessions } from './sessions-api.js';

export interface AppOptions {
  version: string;
  dustHome: string;
  loaded: LoadedConfig;
  /** The primary client's output (the CLI's terminal; `dust serve`'s log). */
  out: TerminalOutput;
  prompt: Prompter;
  terminal: TerminalHost;
  /**
   * The transports (SSH), as built-in plugins set up before every other one, so that a later plugin's transport
   * is asked first. They get what only the engine has: the current client's secret prompt and the engine's warn.
   */
  transports?: (engine: EngineForTransports) => DustPlugin[];
  /** A person types the lines at a terminal (default false: scripts, tests). */
  interactive?: boolean;
  /** The primary client's name for other clients (`local`; `dust serve` calls its own `server`). */
  label?: string;
  /** Integrations as built-in plugins (Kubernetes, EC2), set up after the core ones and before user plugins (so a
   * user plugin's transport is still asked before theirs). */
  integrations?: DustPlugin[];
  /** `cluster up`'s wait for nodes that do not answer (tests shorten it). */
  clusterSetup?: SetupTuning;
  /** Login rules ahead of every other (the demo's per-instance logins). */
  leadingRules?: readonly LoginRule[];
}

/** What the engine hands its transports: a secret prompt (a key's passphrase) and a warning line. */
export interface EngineForTransports {
  askSecret(question: string): Promise<string>;
  warn(message: string): void;
}

/** The plugin-facing sessions plus what only the shell itself uses. */
export type ShellSessionsApi = SessionsApi & {
  closeAll(): Promise<void>;
  /** Some node waits at a password prompt (history then keeps no `@target text` line). */
  anyWaitingForSecret(): boolean;
  /** dust's piped stdin becomes the input of every command run on nodes (script mode, see local-stdin.ts). */
  useLocalStdin(input: import('./local-stdin.js').LocalStdin): void;
};

/**
 * The engine: everything one dust process holds, wired once (the one composition root that the CLI, `dust serve`,
 * tests and bench share): registry, events, plugins, inventory, transports, sessions. Clients (src/shell/client.ts)
 * attach to it: the primary one is built from the options (the CLI's terminal or script); `openClient` adds more
 * (each connection to `dust serve`). `state`, `runner` and `sessions` are the primary client's.
 */
export class DustApp {
  readonly registry = new CommandRegistry();
  readonly events: EventBus;
  readonly engineState: EngineState;
  readonly manager: SessionManager;
  /** The primary client (the CLI's shell or script). */
  readonly client: DustClient;
  /** Every client, the primary one first. */
  readonly clients = new Set<DustClient>();
  /** Transports and inventory providers added by plugins (built-ins included). */
  readonly contributions = new Contributions();
  /** The login rules `assign` keeps in $DUST_HOME/logins.yaml. */
  readonly rulesStore: LoginRulesStore;
  private readonly applyRules: () => void;
  private inventoryFailureCount = 0;
  private userPlugins: PluginLoadReport = { loaded: [], failed: [], clashes: [] };
  /** Built-ins plus those added by integrations (EC2), re-registered on `plugins reload`. */
  private readonly builtins: DustPlugin[];
  /** Called on shutdown after sessions close (the demo's servers, the EC2 clients). */
  readonly closers: (() => void | Promise<void>)[] = [];
  onExitRequested: ((client: DustClient) => void) | undefined;
  /** The cluster state plugins' event handlers get (`api.state`): the engine's, with no working set of its own. */
  private readonly pluginState: ShellState;

  constructor(private readonly opts: AppOptions) {
    const { out } = opts;
    const warn = (m: string) => this.warnAll(m);
    this.events = new EventBus((plugin, event, error) => warn(`plugin '${plugin}' failed handling ${event}: ${formatError(error)}`));
    const { config, file } = opts.loaded;
    const baseProviders: InventoryProvider[] = [new StaticProvider(config.nodes, file)];
    const inventory = new Inventory(baseProviders, config.logins, configRuleOrigins(config.logins, file));
    this.contributions.onProvidersChanged = () => inventory.setProviders([...baseProviders, ...this.contributions.providers()]);
    inventory.onProviderFailure = (provider, error) => {
      this.inventoryFailureCount++;
      warn(`inventory: ${provider} failed: ${formatError(error)} (its nodes are missing)`);
    };
    inventory.onRuleFailure = (rule, error) => warn(`inventory: ${rule}: ${formatError(error)}`);
    inventory.onRefreshed = (nodes) => void this.events.emit('inventory:refreshed', { nodes });
    this.engineState = new EngineState(opts.dustHome, opts.version, config, file, inventory, this.registry);
    this.engineState.scopes = () => this.contributions.scopes();
    this.engineState.clusterProviders = () => this.contributions.clusterProviders();
    // Login rules: the demo's first, then those `assign` keeps in $DUST_HOME/logins.yaml around the config's.
    // Read in `loadPlugins`, before the first line: its schema (zod) loads only when the file exists.
    const rulesStore = new LoginRulesStore(opts.dustHome);
    this.rulesStore = rulesStore;
    const leading = opts.leadingRules ?? [];
    const applyRules = () => inventory.setRules(
      [...leading, ...effectiveRules(config.logins, rulesStore)],
      [...leading.map((_, i) => `demo rule ${i + 1}`), ...effectiveRuleOrigins(config.logins, file, rulesStore)],
    );
    applyRules();
    this.applyRules = applyRules;
    this.manager = createSessionManager({
      events: this.events, config,
      transports: () => this.contributions.transports(),
      clients: () => this.clients,
    });
    // Targets see each node's session as it is now (`session=waiting`).
    this.engineState.sessionState = (node) => this.manager.stateOf(node);
    this.pluginState = new ShellState(this.engineState);
    // Transports (SSH) are set up first, so plugin transports are asked before them.
    this.builtins = [
      ...(opts.transports?.({ askSecret: (q) => this.askSecret(q), warn }) ?? []),
      ...builtinPlugins,
      definePlugin({
        name: 'builtin:inventory-tools', apiVersion: DUST_PLUGIN_API,
        setup: (api) => {
          api.registerCommand(refreshCommand);
          api.registerCommand(assignCommand({ store: rulesStore, configRules: config.logins, onRulesChanged: () => applyRules() }));
        },
      }),
      definePlugin({
        name: 'builtin:clusters', apiVersion: DUST_PLUGIN_API,
        setup: (api) => api.registerCommand(clusterCommand(opts.clusterSetup ? { setup: opts.clusterSetup } : {})),
      }),
      ...(opts.integrations ?? []),
    ];
    this.client = this.openClient({
      out, prompt: opts.prompt, terminal: opts.terminal, interactive: opts.interactive ?? false, label: opts.label ?? 'local',
    });
  }

  /** A new client of this engine (a connection to `dust serve`); closed with `client.close()`. */
  openClient(io: ClientIO): DustClient {
    const client = new DustClient(io, {
      registry: this.registry, events: this.events, engine: this.engineState, manager: this.manager,
      use: (name) => this.contributions.use(name),
      onExit: (c) => this.onExitRequested?.(c),
      onClose: (c) => this.clients.delete(c),
    });
    this.clients.add(client);
    return client;
  }

  /** The primary client's cluster state (its working set, its `last=`). */
  get state(): ShellState {
    return this.client.state;
  }

  get runner(): CommandRunner {
    return this.client.runner;
  }

  get sessions(): ShellSessions {
    return this.client.sessions;
  }

  /**
   * A key passphrase the SSH transport needs: asked of an interactive client whose command is connecting (the
   * primary one on a terminal, else the first interactive one attached).
   */
  private askSecret(question: string): Promise<string> {
    for (const c of this.clients) if (c.io.interactive) return c.io.prompt.secret(question);
    return this.opts.prompt.secret(question);
  }

  /** Engine news (a failing plugin handler, a failed inventory source): every client sees it once. */
  warnAll(message: string): void {
    const seen = new Set<Output>();
    for (const c of this.clients) {
      if (seen.has(c.out)) continue;
      seen.add(c.out);
      c.out.warn(message);
    }
    if (!seen.has(this.opts.out)) this.opts.out.warn(message);
  }

  /** The terminal writer every part of this process prints through. */
  get out(): TerminalOutput {
    return this.opts.out;
  }

  /**
   * A script's line (`dust -c`, stdin, or sent to `dust serve`) run by one client's runner. It did not succeed when
   * an inventory source failed meanwhile: what it showed or ran on was missing that source's nodes, and a script
   * must not take that for the whole fleet.
   */
  async runScriptLine(runner: CommandRunner, line: string): Promise<boolean> {
    const failuresBefore = this.inventoryFailureCount;
    const ok = await runner.runLine(line);
    return ok && this.inventoryFailureCount === failuresBefore;
  }

  get wantsExit(): boolean {
    return this.client.wantsExit;
  }

  private get hostDeps() {
    return {
      registry: this.registry,
      events: this.events,
      dustVersion: this.opts.version,
      state: this.pluginState,
      contributions: this.contributions,
      log: { info: (m: string) => this.opts.out.info(m), warn: (m: string) => this.opts.out.warn(m), debug: (m: string) => this.opts.out.debug(m) },
    };
  }

  /**
   * Built-ins first, then user plugins (drop-ins, then configured packages), all before the first prompt
   * so a typed line never races plugin loading. A user plugin registering a built-in's name replaces it,
   * and that is reported.
   */
  async loadPlugins(): Promise<void> {
    await this.rulesStore.loadKeepingProblem();
    // A broken logins.yaml costs its rules, not the session: one line, and `assign` refuses to overwrite it.
    if (this.rulesStore.problem) this.opts.out.error(this.rulesStore.problem);
    this.applyRules();
    for (const plugin of this.builtins) await setupPlugin(plugin, 'built-in', this.hostDeps);
    await setupPlugin({
      name: 'builtin:plugins',
      apiVersion: DUST_PLUGIN_API,
      setup: (api) => api.registerCommand(pluginsCommand({
        describe: () => this.describePlugins(),
        failures: () => this.userPlugins.failed.map((f) => ({ source: f.source, message: formatError(f.error) })),
        reload: () => this.reloadUserPlugins(),
      })),
    }, 'built-in', this.hostDeps);
    await this.loadUserPluginsAndReport();
  }

  /**
   * Adds a built-in after start (an integration such as EC2 that needs the app first). User plugins
   * already loaded keep their replacements of its commands.
   */
  async addBuiltinPlugin(plugin: DustPlugin): Promise<void> {
    this.builtins.push(plugin);
    const userOwned = new Map(this.registry.list().filter((c) => !c.plugin.startsWith('builtin')).map((c) => [c.spec.name, c]));
    await setupPlugin(plugin, 'built-in', this.hostDeps);
    for (const c of userOwned.values()) if (this.registry.lookup(c.spec.name)?.plugin !== c.plugin) this.registry.register(c.spec, c.plugin, c.source);
  }

  private async loadUserPluginsAndReport(): Promise<void> {
    this.userPlugins = await loadUserPlugins({
      pluginDir: path.join(this.opts.dustHome, 'plugins'),
      configured: this.opts.loaded.config.plugins,
      dustHome: this.opts.dustHome,
      // Relative paths in `plugins:` mean relative to the config file that names them.
      cwd: this.opts.loaded.file ? path.dirname(this.opts.loaded.file) : process.cwd(),
      deps: this.hostDeps,
    });
    for (const f of this.userPlugins.failed) {
      this.opts.out.error(f.error);
    }
    for (const c of this.userPlugins.clashes) this.opts.out.warn(c);
  }

  /** `plugins reload`: forget every user plugin and load the folder again; built-ins they replaced come back. */
  async reloadUserPlugins(): Promise<void> {
    for (const p of this.userPlugins.loaded) {
      this.registry.unregisterPlugin(p.name);
      this.events.removePlugin(p.name);
      await this.contributions.removePlugin(p.name);
    }
    for (const plugin of this.builtins) {
      this.registry.unregisterPlugin(plugin.name);
      await setupPlugin(plugin, 'built-in', this.hostDeps);
    }
    await this.loadUserPluginsAndReport();
  }

  private describePlugins(): { name: string; source: string; commands: string[]; builtin: boolean }[] {
    const byPlugin = new Map<string, { source: string; commands: string[] }>();
    for (const c of this.registry.list()) {
      const entry = byPlugin.get(c.plugin) ?? { source: c.source, commands: [] };
      entry.commands.push(c.spec.prefix ?? c.spec.name);
      byPlugin.set(c.plugin, entry);
    }
    for (const p of this.userPlugins.loaded) if (!byPlugin.has(p.name)) byPlugin.set(p.name, { source: p.source, commands: [] });
    return [...byPlugin].map(([name, v]) => ({ name, source: v.source, commands: v.commands, builtin: name.startsWith('builtin:') }));
  }

  async shutdown(): Promise<void> {
    await this.manager.closeAll();
    this.engineState.inventory.dropSubscriptions(true);
    await this.contributions.closeAll();
    for (const close of this.closers.splice(0)) await close();
  }
}

/** `$DUST_HOME` exists with owner-only permissions: it holds known_hosts, history and plugin state. */
export function ensureDustHome(dir: string): void {
  for (const d of [dir, path.join(dir, 'plugins')]) {
    try {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' || code === 'ENOTDIR' ? `${blocking(d)} is a file, not a directory` : (err as Error).message;
      throw new DustError(ErrorCodes.HomeUnusable, `DUST_HOME ${dir}: ${why}`, {
        hint: 'point DUST_HOME at a directory (default ~/.cluster), or move that file away', cause: err,
      });
    }
  }
}

/** The first existing non-directory on the way to `dir` (what stops mkdir). */
function blocking(dir: string): string {
  for (let p = dir; ; p = path.dirname(p)) {
    try {
      if (!fs.statSync(p).isDirectory()) return p;
    } catch {
      // missing: look further up
    }
    if (path.dirname(p) === p) return dir;
  }
}
