import os from 'node:os';
import path from 'node:path';

/** `$DUST_HOME`, default `~/.cluster`: history, known_hosts, plugins, per-plugin state. */
export function dustHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['DUST_HOME'];
  return fromEnv && fromEnv.length > 0 ? path.resolve(expandHome(fromEnv)) : path.join(os.homedir(), '.cluster');
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** Where `/etc/ssh/ssh_config` and the system-wide known_hosts files live. */
export const SYSTEM_SSH_DIR = '/etc/ssh';

/**
 * The OpenSSH client configs dust reads, from its config keys:
 * - `sshConfig` (default ~/.ssh/config; `false`: no ssh config at all); unset, the file `sshConfigHosts` names;
 * - `sshSystemConfig` (default /etc/ssh/ssh_config, read after the user's file; `false`: not read).
 * `hosts` is the file `sshConfigHosts: true` lists nodes from: "that file", the one logins come from.
 */
export function sshConfigFiles(
  config: { sshConfig?: string | false | undefined; sshSystemConfig?: string | false | undefined; sshConfigHosts: boolean | string },
  home: string = os.homedir(),
  systemDir: string = SYSTEM_SSH_DIR,
): { user: string | undefined; system: string | undefined; hosts: string | undefined } {
  const defaultUser = path.join(home, '.ssh', 'config');
  const listedFrom = typeof config.sshConfigHosts === 'string' ? expandHome(config.sshConfigHosts) : undefined;
  const named = typeof config.sshConfig === 'string' ? expandHome(config.sshConfig) : undefined;
  const user = config.sshConfig === false ? undefined : named ?? listedFrom ?? defaultUser;
  const system = config.sshConfig === false || config.sshSystemConfig === false
    ? undefined
    : config.sshSystemConfig !== undefined ? expandHome(config.sshSystemConfig) : path.join(systemDir, 'ssh_config');
  const hosts = config.sshConfigHosts === false ? undefined : listedFrom ?? named ?? defaultUser;
  return { user, system, hosts };
}
