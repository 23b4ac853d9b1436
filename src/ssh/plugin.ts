/**
 * The SSH transport as a built-in plugin: it reaches dust through `api.registerTransport`, the same call a
 * third-party transport (SSM, a container runtime) makes. It also brings `known-hosts show|forget`, which
 * works on the same logins (ssh config, known_hosts files) the transport connects with.
 */
import { DUST_PLUGIN_API, type DustNode, type DustPlugin } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { knownHostsCommand } from '../plugins/builtin/known-hosts.js';
import { createSshLogins, sshTransportFor, type SshTransportDeps } from './ssh-transport-factory.js';
import type { SshLogins } from './ssh-logins.js';
import type { SshTransport } from './ssh-transport.js';

export function sshPlugin(deps: SshTransportDeps): DustPlugin {
  // One transport for the life of the process: `plugins reload` sets built-ins up again, and their open
  // connections (the sessions on them) must survive that.
  let logins: SshLogins | undefined;
  let transport: SshTransport | undefined;
  return {
    name: 'builtin:ssh-transport',
    apiVersion: DUST_PLUGIN_API,
    description: 'SSH transport: persistent shells, SFTP, exec and port forwards over one ssh2 connection per node',
    setup(api) {
      logins ??= createSshLogins(deps);
      transport ??= sshTransportFor(logins, deps.config);
      api.registerTransport(transport);
      const l = logins;
      const t = transport;
      // Only nodes this transport reaches have SSH host keys (a pod or an SSM-plugin node does not).
      const mine = (node: DustNode): DustNode => {
        if (t.claims(node)) return node;
        throw new DustError(ErrorCodes.Usage, node.host === '' ? 'has no address to look up' : 'is not reached over SSH', {
          hint: 'known-hosts works on SSH nodes only',
        });
      };
      api.registerCommand(knownHostsCommand(() => ({
        show: (node) => l.hostKeys(mine(node)),
        forget: (node) => l.forgetHostKeys(mine(node)),
      })));
    },
  };
}
