import os from 'node:os';
import path from 'node:path';
import type { DustNode, Output } from '../plugins/api.js';
import type { EventBus } from '../plugins/events.js';
import type { ShellState } from './shell-state.js';
import type { TerminalHost } from './command-runner.js';
import type { ShellSessionsApi } from './app.js';
import type { DustConfig } from '../config/schema.js';
import { SessionManager } from '../ssh/session-manager.js';
import { resolveLogin } from '../ssh/login.js';
import { flattenLogin } from '../ssh/connect-plan.js';
import { KnownHosts, type HostKeyPolicy } from '../ssh/known-hosts.js';
import { PrivateKeyStore } from '../ssh/private-key.js';
import { JumpHostPool } from '../ssh/jump.js';
import { loadSshConfig, parseSshConfig } from '../ssh/ssh-config.js';
import { expandHome } from '../config/paths.js';
import { makeChalk, nodeColor } from '../output/style.js';

export interface SessionsDeps {
  state: ShellState;
  events: EventBus;
  out: Output;
  config: DustConfig;
  terminal: TerminalHost;
  askSecret: (prompt: string) => Promise<string>;
  /** Extra known_hosts files trusted read-only (the demo's own host keys). */
  extraKnownHosts?: string[];
}

export type ShellSessions = ShellSessionsApi & { manager: SessionManager };

/**
 * Wires the session layer to the rest of dust: logins from the node (login rules already applied),
 * then ~/.ssh/config, then defaults; host keys against $DUST_HOME/known_hosts and ~/.ssh/known_hosts;
 * background output printed above the prompt; connect/lost events to plugins; raw shells through the
 * terminal host so the line editor lets go of the keyboard.
 */
export function createSessions(deps: SessionsDeps): ShellSessions {
  const { config, out, events, state } = deps;
  const home = os.homedir();
  // The file nodes were listed from (sshConfigHosts) is also the one their logins come from, unless set apart.
  const listedFrom = typeof config.sshConfigHosts === 'string' ? config.sshConfigHosts : undefined;
  const sshConfigPath = config.sshConfig === false ? undefined : expandHome(config.sshConfig ?? listedFrom ?? path.join(home, '.ssh', 'config'));
  let sshConfig: ReturnType<typeof loadSshConfig> | undefined;
  const sshConfigFile = () => (sshConfig ??= sshConfigPath ? loadSshConfig(sshConfigPath) : parseSshConfig('', 'none'));
  const knownHosts = new KnownHosts({
    writableFile: path.join(state.dustHome, 'known_hosts'),
    readOnlyFiles: [path.join(home, '.ssh', 'known_hosts'), ...(deps.extraKnownHosts ?? [])],
    policy: config.hostKeyChecking,
  });
  const keys = new PrivateKeyStore({ askSecret: deps.askSecret, warn: (m) => out.warn(m) });
  const jumps = new JumpHostPool({ knownHosts, ...(config.ssh.connectTimeoutMs ? { readyTimeoutMs: config.ssh.connectTimeoutMs } : {}) });
  // ssh config's StrictHostKeyChecking for a host overrides dust's policy for that host only.
  const policyFor = new Map<string, HostKeyPolicy>();
  const chalk = makeChalk(out.colorEnabled);
  const label = (node: DustNode) => nodeColor(chalk, node.name)(`[${node.name}]`);

  const manager = new SessionManager({
    async resolveLogin(node) {
      const spec = await resolveLogin(node, { sshConfig: sshConfigFile(), keys, nodeLabel: node.props['login_rule'] ? 'login rule' : 'node' });
      if (spec.hostKeyPolicy) policyFor.set(`${spec.host}:${spec.port}`, spec.hostKeyPolicy);
      return flattenLogin(spec, jumps);
    },
    verifyHostKey(host, port, key) {
      const verdict = knownHosts.verify(host, port, key, policyFor.get(`${host}:${port}`));
      return verdict.ok ? { ok: true } : { ok: false, error: verdict.error };
    },
    ...(config.ssh.connectTimeoutMs ? { connectTimeoutMs: config.ssh.connectTimeoutMs } : {}),
    ...(config.ssh.maxConcurrentHandshakes ? { maxConcurrentHandshakes: config.ssh.maxConcurrentHandshakes } : {}),
    ...(config.ssh.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: config.ssh.keepaliveIntervalMs } : {}),
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
    sftp: (node) => manager.sftp(node),
    waitingPrompt: (node) => manager.waitingPrompt(node),
    anyWaitingForSecret: () => manager.anyWaitingForSecret(),
    connected: () => manager.connected(),
    close: (node) => manager.close(node),
    closeAll: async () => {
      await manager.closeAll();
      jumps.close();
    },
  };
}
