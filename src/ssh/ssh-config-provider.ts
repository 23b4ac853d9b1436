import { loadSshConfig, resolveHostConfig, listConcreteHosts } from './ssh-config.js';
import type { InventoryProvider, NodeDraft } from '../inventory/provider.js';

/**
 * Lists the concrete `Host` entries of an OpenSSH client config as nodes (config `sshConfigHosts`), so
 * a user's existing `~/.ssh/config` is an inventory with no extra typing. Wildcard patterns are
 * settings, not hosts, and are skipped. Logins still resolve through the same file when connecting.
 */
export class SshConfigProvider implements InventoryProvider {
  readonly name = 'ssh-config';
  constructor(private readonly file: string, private readonly opts: { warn?: (message: string) => void } = {}) {}

  async list(): Promise<NodeDraft[]> {
    const cfg = loadSshConfig(this.file);
    if (this.opts.warn) cfg.onWarning(this.opts.warn);
    return Promise.all(listConcreteHosts(cfg).map(async (alias) => {
      const h = await resolveHostConfig(cfg, alias);
      return {
        name: alias,
        source: this.name,
        cluster: undefined,
        state: 'running',
        // The session layer looks the node up by name in the same file for User, Port, keys and ProxyJump.
        host: h.hostName ?? alias,
        port: 22,
        user: undefined,
        identityFile: undefined,
        proxyJump: undefined,
        tags: {},
        annotations: {},
        props: { hostname: h.hostName ?? alias, ip: h.hostName ?? alias, ...(h.user ? { ssh_user: h.user } : {}), ...(h.port ? { ssh_port: h.port } : {}) },
      } satisfies NodeDraft;
    }));
  }
}
