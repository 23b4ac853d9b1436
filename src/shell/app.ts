import fs from 'node:fs';
import path from 'node:path';
import type { Output, Prompter, SessionsApi } from '../plugins/api.js';
import { CommandRegistry } from '../plugins/registry.js';
import { EventBus } from '../plugins/events.js';
import { setupPlugin } from '../plugins/plugin-host.js';
import { builtinPlugins } from '../plugins/builtin/index.js';
import type { LoadedConfig } from '../config/load-config.js';
import { Inventory } from '../inventory/inventory.js';
import { StaticProvider } from '../inventory/static-provider.js';
import type { InventoryProvider } from '../inventory/provider.js';
import { ShellState } from './shell-state.js';
import { CommandRunner, type TerminalHost } from './command-runner.js';
import type { TerminalOutput } from '../output/terminal-output.js';
import { formatError } from '../errors/dust-error.js';

export interface AppOptions {
  version: string;
  dustHome: string;
  loaded: LoadedConfig;
  out: TerminalOutput;
  prompt: Prompter;
  terminal: TerminalHost;
  sessions: (app: { state: ShellState; events: EventBus; out: Output }) => SessionsApi & { closeAll(): Promise<void> };
  extraProviders?: InventoryProvider[];
}

/** Everything one dust process holds, wired once: registry, events, inventory, state, sessions, runner. */
export class DustApp {
  readonly registry = new CommandRegistry();
  readonly events: EventBus;
  readonly state: ShellState;
  readonly runner: CommandRunner;
  readonly sessions: SessionsApi & { closeAll(): Promise<void> };
  private exitRequested = false;
  onExitRequested: (() => void) | undefined;

  constructor(private readonly opts: AppOptions) {
    const { out } = opts;
    this.events = new EventBus((plugin, event, error) => out.warn(`plugin '${plugin}' failed handling ${event}: ${formatError(error)}`));
    const { config, file } = opts.loaded;
    const inventory = new Inventory([new StaticProvider(config.nodes, file), ...(opts.extraProviders ?? [])], config.logins);
    this.state = new ShellState(opts.dustHome, opts.version, config, file, inventory, this.registry);
    this.sessions = opts.sessions({ state: this.state, events: this.events, out });
    this.runner = new CommandRunner({
      registry: this.registry,
      state: this.state,
      out,
      prompt: opts.prompt,
      sessions: this.sessions,
      events: this.events,
      terminal: opts.terminal,
      requestExit: () => {
        this.exitRequested = true;
        this.onExitRequested?.();
      },
    });
  }

  get wantsExit(): boolean {
    return this.exitRequested;
  }

  /** Registers built-ins (the drop-in loader adds user plugins after them, so theirs win a clash). */
  async loadPlugins(): Promise<void> {
    const deps = {
      registry: this.registry,
      events: this.events,
      dustVersion: this.opts.version,
      log: { info: (m: string) => this.opts.out.info(m), warn: (m: string) => this.opts.out.warn(m), debug: (m: string) => this.opts.out.debug(m) },
    };
    for (const plugin of builtinPlugins) await setupPlugin(plugin, 'built-in', deps);
  }

  async shutdown(): Promise<void> {
    await this.sessions.closeAll();
  }
}

/** `$DUST_HOME` exists with owner-only permissions: it holds known_hosts, history and plugin state. */
export function ensureDustHome(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'plugins'), { recursive: true, mode: 0o700 });
}
