/**
 * The SSH transport as dust's config describes it: logins from the node (login rules already applied), then
 * the user's ssh config and /etc/ssh/ssh_config, then defaults; host keys against the known_hosts files OpenSSH
 * would use for each host plus $DUST_HOME/known_hosts; encrypted keys asked for once; one connection per bastion
 * for ProxyJump, a process per connection for ProxyCommand. The login machinery lives in ssh-logins.ts.
 */
import os from 'node:os';
import type { DustConfig } from '../config/schema.js';
import { SYSTEM_SSH_DIR, sshConfigFiles } from '../config/paths.js';
import { SshLogins } from './ssh-logins.js';
import { SshTransport } from './ssh-transport.js';

export interface SshTransportDeps {
  config: DustConfig;
  dustHome: string;
  /** Asks for a key passphrase (without echo). */
  askSecret(prompt: string): Promise<string>;
  warn(message: string): void;
  /** ssh config warnings (`file:line: ...`), each once. Default: `warn` with an `ssh config:` prefix. */
  warnConfig?(message: string): void;
  /** Extra known_hosts files trusted read-only (the demo's own host keys). */
  extraKnownHosts?: string[];
  /** The user's home for ~/.ssh (default os.homedir()); tests point it elsewhere. */
  home?: string;
  /** Where ssh_config and ssh_known_hosts live system-wide (default /etc/ssh); tests point it elsewhere. */
  systemSshDir?: string;
}

export function createSshTransport(deps: SshTransportDeps): SshTransport {
  return sshTransportFor(createSshLogins(deps), deps.config);
}

/** The login side alone (the `known-hosts` command shares it with the transport). */
export function createSshLogins(deps: SshTransportDeps): SshLogins {
  const { config } = deps;
  const home = deps.home ?? os.homedir();
  const systemDir = deps.systemSshDir ?? SYSTEM_SSH_DIR;
  // The file nodes were listed from (sshConfigHosts) is also the one their logins come from, unless set apart.
  const files = sshConfigFiles(config, home, systemDir);
  return new SshLogins({
    home,
    dustHome: deps.dustHome,
    userConfig: files.user,
    systemConfig: files.system,
    systemDir,
    policy: config.hostKeyChecking,
    ...(deps.extraKnownHosts ? { extraKnownHosts: deps.extraKnownHosts } : {}),
    askSecret: (q) => deps.askSecret(q),
    warn: (m) => deps.warn(m),
    ...(deps.warnConfig ? { warnConfig: (m: string) => deps.warnConfig!(m) } : {}),
    ...(config.ssh.connectTimeoutMs ? { connectTimeoutMs: config.ssh.connectTimeoutMs } : {}),
  });
}

export function sshTransportFor(logins: SshLogins, config: DustConfig): SshTransport {
  return new SshTransport({
    resolveLogin: (node) => logins.login(node),
    // Each login carries its own host's check (ssh config's files and policy); this is only the fallback.
    verifyHostKey: (host, port, key) => logins.knownHosts.verify(host, port, key),
    ...(config.ssh.connectTimeoutMs ? { connectTimeoutMs: config.ssh.connectTimeoutMs } : {}),
    ...(config.ssh.maxConcurrentHandshakes ? { maxConcurrentHandshakes: config.ssh.maxConcurrentHandshakes } : {}),
    ...(config.ssh.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: config.ssh.keepaliveIntervalMs } : {}),
    onClose: () => logins.close(),
  });
}
