import type { DustNode, NodeRunResult, Output, RunOptions } from '../plugins/api.js';
import type { LocalStdin } from './local-stdin.js';
import type { EventBus } from '../plugins/events.js';
import type { ShellState } from './shell-state.js';
import type { TerminalHost } from './command-runner.js';
import type { ShellSessionsApi } from './app.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { Transport } from '../sessions/transport.js';
import type { DustConfig } from '../config/schema.js';
import { makeChalk, nodeColor } from '../output/style.js';

export interface ManagerDeps {
  events: EventBus;
  config: DustConfig;
  /** The transports plugins registered (the built-in SSH one first), read at each use. */
  transports: () => readonly Transport[];
  /** Every client now (background output and connection news go to each, minus what it muted). */
  clients: () => Iterable<{ out: Output; muted: ReadonlySet<string> }>;
}

export type ShellSessions = ShellSessionsApi & { manager: SessionManager };

/**
 * The engine's session layer: background output printed above every client's prompt (except where the node is
 * muted), connect/lost events to plugins and a line to every client. Nothing here knows which transport serves a
 * node.
 */
export function createSessionManager(deps: ManagerDeps): SessionManager {
  const { config, events } = deps;
  const labels = new Map<string, Map<boolean, string>>();
  const label = (node: DustNode, color: boolean) => {
    let byColor = labels.get(node.name);
    if (!byColor) labels.set(node.name, (byColor = new Map()));
    let l = byColor.get(color);
    if (l === undefined) byColor.set(color, (l = nodeColor(makeChalk(color), node.name)(`[${node.name}]`)));
    return l;
  };
  const each = (node: DustNode | undefined, fn: (out: Output, color: boolean) => void) => {
    for (const c of deps.clients()) if (!node || !c.muted.has(node.name)) fn(c.out, c.out.colorEnabled);
  };
  return new SessionManager({
    transports: deps.transports,
    ...(config.ssh.connectTimeoutMs ? { shellStartTimeoutMs: config.ssh.connectTimeoutMs } : {}),
    ...(config.ssh.quietMs ? { quietMs: config.ssh.quietMs } : {}),
    onBackgroundLine: (node, line) => each(node, (out, color) => out.print(`${label(node, color)} ${line}`)),
    onEvent: (e) => {
      if (e.type === 'connected') void events.emit('node:connected', { node: e.node });
      else if (e.type === 'notice') each(e.node, (out, color) => out.warn(`${label(e.node, color)} ${e.reason ?? ''}`));
      else {
        // A command running there names the loss on its own ✖ line; this warning is for losses nobody waits on.
        if (!e.reportedByRun) each(undefined, (out, color) => out.warn(`${label(e.node, color)} connection lost${e.reason ? `: ${e.reason}` : ''} (reconnects on next use)`));
        void events.emit('node:lost', { node: e.node, reason: e.reason ?? 'connection lost' });
      }
    },
  });
}

export interface ClientSessionsDeps {
  /** Who runs the commands (`local`, `attach#2`): named to other clients that find a node busy. */
  owner: string;
  state: ShellState;
  events: EventBus;
  terminal: TerminalHost;
  /** Where a word about this client's runs goes (that --pty gives way to local stdin). */
  warn?: (message: string) => void;
}

/**
 * The SessionsApi one client's commands get: runs recorded as that client's last results (`last=`), raw shells
 * through that client's terminal, everything tagged with the client as the owner; in a script, the script's piped
 * stdin as every node's input (`useLocalStdin`).
 */
export function clientSessions(manager: SessionManager, deps: ClientSessionsDeps): ShellSessions {
  const { state, events, owner } = deps;
  let localStdin: LocalStdin | undefined;
  let warnedPty = false;
  const run = async (nodes: readonly DustNode[], command: string, opts: RunOptions = {}): Promise<NodeRunResult[]> => {
    let o = opts;
    if (localStdin && o.stdin === undefined && !o.secret) {
      // dust's piped stdin goes to the nodes' commands, which only an exec channel can take cleanly (no line
      // discipline to mangle binary data or eat a ^D): see local-stdin.ts.
      const input = await localStdin.load();
      if (input !== undefined) {
        if (o.pty === true && !warnedPty) {
          warnedPty = true;
          deps.warn?.('local stdin goes to the nodes without a PTY: --pty (run.pty) is ignored while it is given');
        }
        o = { ...o, stdin: input, pty: false };
      }
    }
    const results = await manager.run(nodes, command, { ...o, owner });
    for (const r of results) {
      state.lastResults.record(r.node.name, { status: r.status, exitCode: r.exitCode });
      void events.emit('node:finished', { node: r.node, command: opts.secret ? '(secret)' : command, exitCode: r.exitCode, status: r.status, outputTail: r.output.slice(-20).join('\n') });
    }
    return results;
  };
  return {
    manager,
    run,
    exec: (nodes, command, opts) => run(nodes, command, { ...opts, pty: false }),
    useLocalStdin: (input) => { localStdin = input; },
    attach: (node) => deps.terminal.withTerminal((io) => manager.attachRaw(node, io, owner)),
    files: (node) => manager.files(node),
    forwarding: (node) => {
      const t = manager.transportFor(node);
      const forward = t.forward?.bind(t);
      return { transport: t.name, ...(forward ? { forward: (remotePort: number, opts?: { localPort?: number; remoteHost?: string }) => forward(node, remotePort, opts) } : {}) };
    },
    state: (node) => manager.stateOf(node),
    holder: (node) => {
      const h = manager.holder(node);
      return h ? { ...h, self: h.owner === owner } : undefined;
    },
    waitingPrompt: (node) => manager.waitingPrompt(node),
    anyWaitingForSecret: () => manager.anyWaitingForSecret(),
    connected: () => manager.connected(),
    close: (node) => manager.close(node),
    closeAll: () => manager.closeAll(),
  };
}
