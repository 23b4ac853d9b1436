/**
 * One client of the engine (mongosh's Runtime, one per I/O): the interactive shell, a `dust -c` script, or a
 * connection to `dust serve`. Each has its own working set (`use`), its own `last=` results, its own Ctrl-C
 * (aborting its own command only), its own output and prompter, and its own terminal for raw shells; the
 * engine (src/shell/app.ts) holds what they share: inventory, plugins, sessions, events.
 */
import type { Output, Prompter } from '../plugins/api.js';
import type { CommandRegistry } from '../plugins/registry.js';
import type { EventBus } from '../plugins/events.js';
import type { SessionManager } from '../sessions/session-manager.js';
import { EngineState, ShellState } from './shell-state.js';
import { CommandRunner, type TerminalHost } from './command-runner.js';
import { clientSessions, type ShellSessions } from './sessions-api.js';

/** How a client talks to its person or script. */
export interface ClientIO {
  out: Output;
  prompt: Prompter;
  terminal: TerminalHost;
  /** A person types the lines (questions can be asked, remote prompts answered). */
  interactive: boolean;
  /** Shown to other clients (`held by attach#2`) and in `dust status`. */
  label?: string;
  /** The client's working directory: local paths of put/get and `!cmd` are relative to it. */
  cwd?: string;
  /** This client's defaults for lines run on nodes, over the config's `run:` (`dust --timeout` of a script client). */
  runDefaults?: { timeout?: number };
}

export interface ClientDeps {
  registry: CommandRegistry;
  events: EventBus;
  engine: EngineState;
  manager: SessionManager;
  /** What plugins provided by name (`ctx.use`). */
  use(name: string): unknown;
  /** Called when a command of this client asks to leave (`exit`). */
  onExit(client: DustClient): void;
  onClose(client: DustClient): void;
}

let nextId = 1;

export class DustClient {
  readonly id = nextId++;
  readonly label: string;
  readonly state: ShellState;
  readonly runner: CommandRunner;
  readonly sessions: ShellSessions;
  /** Nodes whose output lines this client does not show (`mute`); results still count them. */
  readonly muted = new Set<string>();
  readonly connectedAt = Date.now();
  private exitRequested = false;
  private closed = false;

  constructor(readonly io: ClientIO, private readonly deps: ClientDeps) {
    this.label = io.label ?? `client#${this.id}`;
    this.state = new ShellState(deps.engine);
    this.state.muted = this.muted;
    if (io.runDefaults) this.state.runOverrides = io.runDefaults;
    this.sessions = clientSessions(deps.manager, {
      owner: this.label, state: this.state, events: deps.events, terminal: io.terminal, warn: (m) => io.out.warn(m),
    });
    this.state.lastResults.stillWaiting = (name) => deps.manager.stateOf(name) === 'waiting';
    this.runner = new CommandRunner({
      registry: deps.registry,
      state: this.state,
      out: io.out,
      prompt: io.prompt,
      sessions: this.sessions,
      events: deps.events,
      terminal: io.terminal,
      interactive: io.interactive,
      cwd: () => io.cwd ?? process.cwd(),
      muted: this.muted,
      use: (name) => deps.use(name),
      requestExit: () => {
        this.exitRequested = true;
        deps.onExit(this);
      },
    });
  }

  get out(): Output {
    return this.io.out;
  }

  get wantsExit(): boolean {
    return this.exitRequested;
  }

  /** The client went away (its connection closed): its command is interrupted, the sessions stay. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.runner.interrupt();
    this.deps.onClose(this);
  }
}
