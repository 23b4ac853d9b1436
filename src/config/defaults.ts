import type { DustConfig } from './schema.js';

/**
 * The config when there is no file: what `ConfigSchema.parse({})` gives (a test holds them equal), without
 * loading zod for it, the largest single cost of reaching the first prompt.
 */
export function defaultConfig(): DustConfig {
  return {
    nodes: [],
    logins: [],
    sshConfigHosts: false,
    hostKeyChecking: 'accept-new',
    ssh: {},
    ec2: {},
    run: {},
    plugins: [],
    history: {},
  };
}
