/**
 * The SSH transport as a built-in plugin: it reaches dust through `api.registerTransport`, the same call a
 * third-party transport (SSM, a container runtime) makes.
 */
import { DUST_PLUGIN_API, type DustPlugin } from '../plugins/api.js';
import { createSshTransport, type SshTransportDeps } from './ssh-transport-factory.js';
import type { SshTransport } from './ssh-transport.js';

export function sshPlugin(deps: SshTransportDeps): DustPlugin {
  // One transport for the life of the process: `plugins reload` sets built-ins up again, and their open
  // connections (the sessions on them) must survive that.
  let transport: SshTransport | undefined;
  return {
    name: 'builtin:ssh-transport',
    apiVersion: DUST_PLUGIN_API,
    description: 'SSH transport: persistent shells, SFTP, exec and port forwards over one ssh2 connection per node',
    setup(api) {
      transport ??= createSshTransport(deps);
      api.registerTransport(transport);
    },
  };
}
