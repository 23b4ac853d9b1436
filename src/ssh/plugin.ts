/**
 * The SSH transport as a built-in plugin: it reaches dust through `api.registerTransport`, the same call a
 * third-party transport (SSM, a container runtime) makes. It also brings `known-hosts show|forget`, which
 * works on the same logins (ssh config, known_hosts files) the transport connects with.
 *
 * The transport itself (ssh2, keys, known_hosts, ssh config) is loaded when a node first needs it: ssh2 alone is
 * ~70 ms of CPU at start-up that a prompt, `show` or `help` never use.
 */
import { DUST_PLUGIN_API, type DustNode, type DustPlugin } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { knownHostsCommand } from '../plugins/builtin/known-hosts.js';
import type {
  ExecProcess, ExecRequest, PortForward, RemoteFiles, ShellChannel, ShellRequest, Transport,
} from '../sessions/transport.js';
import { sshClaims } from './claims.js';
import { sshConfigFiles } from '../config/paths.js';
import { SshConfigProvider } from './ssh-config-provider.js';
import type { SshTransportDeps } from './ssh-transport-factory.js';
import type { SshLogins } from './ssh-logins.js';
import type { SshTransport } from './ssh-transport.js';

interface Loaded { logins: SshLogins; transport: SshTransport }

/** The SSH transport, loaded on first use; until then it holds nothing, so disconnect and close have nothing to do. */
class LazySshTransport implements Transport {
  readonly name = 'ssh';
  private loading: Promise<Loaded> | undefined;

  constructor(private readonly deps: SshTransportDeps) {}

  /** The loaded logins and transport (loading them once). */
  load(): Promise<Loaded> {
    this.loading ??= import('./ssh-transport-factory.js').then(({ createSshLogins, sshTransportFor }) => {
      const logins = createSshLogins(this.deps);
      return { logins, transport: sshTransportFor(logins, this.deps.config) };
    });
    return this.loading;
  }

  claims(node: DustNode): boolean {
    return sshClaims(node);
  }

  async openShell(node: DustNode, request: ShellRequest): Promise<ShellChannel> {
    return (await this.load()).transport.openShell(node, request);
  }

  async files(node: DustNode): Promise<RemoteFiles> {
    return (await this.load()).transport.files(node);
  }

  async exec(node: DustNode, request: ExecRequest): Promise<ExecProcess> {
    return (await this.load()).transport.exec(node, request);
  }

  async forward(node: DustNode, remotePort: number, opts?: { localPort?: number; remoteHost?: string }): Promise<PortForward> {
    return (await this.load()).transport.forward(node, remotePort, opts);
  }

  async disconnect(node: DustNode): Promise<void> {
    if (this.loading) await (await this.loading).transport.disconnect(node);
  }

  async close(): Promise<void> {
    if (this.loading) await (await this.loading).transport.close();
  }
}

export function sshPlugin(deps: SshTransportDeps): DustPlugin {
  // One transport for the life of the process: `plugins reload` sets built-ins up again, and their open
  // connections (the sessions on them) must survive that.
  let transport: LazySshTransport | undefined;
  let hostsProvider: SshConfigProvider | undefined;
  return {
    name: 'builtin:ssh-transport',
    apiVersion: DUST_PLUGIN_API,
    description: 'SSH transport: persistent shells, SFTP, exec and port forwards over one ssh2 connection per node',
    setup(api) {
      transport ??= new LazySshTransport(deps);
      api.registerTransport(transport);
      // sshConfigHosts: true lists "that file" as nodes: the one `sshConfig` names, the one logins come from.
      const hosts = sshConfigFiles(deps.config).hosts;
      if (hosts !== undefined) {
        hostsProvider ??= new SshConfigProvider(hosts, { warn: deps.warnConfig ?? ((m) => deps.warn(`ssh config: ${m}`)) });
        api.registerInventoryProvider(hostsProvider);
      }
      const t = transport;
      // Only nodes this transport reaches have SSH host keys (a pod or an SSM-plugin node does not).
      const mine = (node: DustNode): DustNode => {
        if (t.claims(node)) return node;
        throw new DustError(ErrorCodes.Usage, node.host === '' ? 'has no address to look up' : 'is not reached over SSH', {
          hint: 'known-hosts works on SSH nodes only',
        });
      };
      api.registerCommand(knownHostsCommand(() => ({
        show: async (node) => (await t.load()).logins.hostKeys(mine(node)),
        forget: async (node) => (await t.load()).logins.forgetHostKeys(mine(node)),
      })));
    },
  };
}
