/**
 * The SSH transport as dust's config describes it: logins from the node (login rules already applied), then
 * ~/.ssh/config, then defaults; host keys against $DUST_HOME/known_hosts (written) and ~/.ssh/known_hosts (read);
 * encrypted keys asked for once; one connection per bastion for ProxyJump.
 */
import os from 'node:os';
import path from 'node:path';
import type { DustConfig } from '../config/schema.js';
import { expandHome } from '../config/paths.js';
import { resolveLogin } from './login.js';
import { flattenLogin } from './connect-plan.js';
import { KnownHosts, type HostKeyPolicy } from './known-hosts.js';
import { PrivateKeyStore } from './private-key.js';
import { JumpHostPool } from './jump.js';
import { loadSshConfig, parseSshConfig } from './ssh-config.js';
import { SshTransport } from './ssh-transport.js';

export interface SshTransportDeps {
  config: DustConfig;
  dustHome: string;
  /** Asks for a key passphrase (without echo). */
  askSecret(prompt: string): Promise<string>;
  warn(message: string): void;
  /** Extra known_hosts files trusted read-only (the demo's own host keys). */
  extraKnownHosts?: string[];
}

export function createSshTransport(deps: SshTransportDeps): SshTransport {
  const { config } = deps;
  const home = os.homedir();
  // The file nodes were listed from (sshConfigHosts) is also the one their logins come from, unless set apart.
  const listedFrom = typeof config.sshConfigHosts === 'string' ? config.sshConfigHosts : undefined;
  const sshConfigPath = config.sshConfig === false ? undefined : expandHome(config.sshConfig ?? listedFrom ?? path.join(home, '.ssh', 'config'));
  let sshConfig: ReturnType<typeof loadSshConfig> | undefined;
  const sshConfigFile = () => (sshConfig ??= sshConfigPath ? loadSshConfig(sshConfigPath) : parseSshConfig('', 'none'));
  const knownHosts = new KnownHosts({
    writableFile: path.join(deps.dustHome, 'known_hosts'),
    readOnlyFiles: [path.join(home, '.ssh', 'known_hosts'), ...(deps.extraKnownHosts ?? [])],
    policy: config.hostKeyChecking,
  });
  const keys = new PrivateKeyStore({ askSecret: deps.askSecret, warn: deps.warn });
  const jumps = new JumpHostPool({ knownHosts, ...(config.ssh.connectTimeoutMs ? { readyTimeoutMs: config.ssh.connectTimeoutMs } : {}) });
  // ssh config's StrictHostKeyChecking for a host overrides dust's policy for that host only.
  const policyFor = new Map<string, HostKeyPolicy>();
  return new SshTransport({
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
    onClose: () => jumps.close(),
  });
}
