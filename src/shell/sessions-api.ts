import type { DustNode, Output } from '../plugins/api.js';
import type { EventBus } from '../plugins/events.js';
import type { ShellState } from './shell-state.js';
import type { TerminalHost } from './command-runner.js';
import type { ShellSessionsApi } from './app.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { Transport } from '../sessions/transport.js';
import type { DustConfig } from '../config/schema.js';
import { makeChalk, nodeColor } from '../output/style.js';

export interface SessionsDeps {
  state: ShellState;
  events: EventBus;
  out: Output;
  config: DustConfig;
  terminal: TerminalHost;
  /** The transports plugins registered (the built-in SSH one first), read at each use. */
  transports: () => readonly Transport[];
}

export type ShellSessions = ShellSessionsApi & { manager: SessionManager };

/**
 * Wires the session layer to the rest of dust: background output printed above the prompt, connect/lost events
 * to plugins, each run's outcomes recorded for `last=`, raw shells through the terminal host so the line editor
 * lets go of the keyboard. Nothing here knows which transport serves a node.
 */
export function createSessions(deps: SessionsDeps): ShellSessions {
  const { config, out, events, state } = deps;
  const chalk = makeChalk(out.colorEnabled);
  const label = (node: DustNode) => nodeColor(chalk, node.name)(`[${node.name}]`);

  const manager = new SessionManager({
    transports: deps.transports,
    ...(config.ssh.connectTimeoutMs ? { shellStartTimeoutMs: config.ssh.connectTimeoutMs } : {}),
    ...(config.ssh.quietMs ? { quietMs: config.ssh.quietMs } : {}),
    onBackgroundLine: (node, line) => out.print(`${label(node)} ${line}`),
    onEvent: (e) => {
      if (e.type === 'connected') void events.emit('node:connected', { node: e.node });
      else {
        out.warn(`${label(e.node)} connection lost${e.reason ? `: ${e.reason}` : ''} (reconnects on next use)`);
        void events.emit('node:lost', { node: e.node, reason: e.reason ?? 'connection lost' });
      }
    },
  });

  return {
    manager,
    run: async (nodes, command, opts) => {
      const results = await manager.run(nodes, command, opts);
      for (const r of results) {
        state.lastResults.record(r.node.name, { status: r.status, exitCode: r.exitCode });
        void events.emit('node:finished', { node: r.node, command: opts?.secret ? '(secret)' : command, exitCode: r.exitCode, status: r.status, outputTail: r.output.slice(-20).join('\n') });
      }
      return results;
    },
    attach: (node) => deps.terminal.withTerminal((io) => manager.attachRaw(node, io)),
    files: (node) => manager.files(node),
    state: (node) => manager.stateOf(node),
    waitingPrompt: (node) => manager.waitingPrompt(node),
    anyWaitingForSecret: () => manager.anyWaitingForSecret(),
    connected: () => manager.connected(),
    close: (node) => manager.close(node),
    closeAll: () => manager.closeAll(),
  };
}
