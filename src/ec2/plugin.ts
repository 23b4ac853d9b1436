import { definePlugin, DUST_PLUGIN_API, type DustPlugin } from '../plugins/api.js';
import { powerCommands, type WaitSettings } from '../plugins/builtin/ec2-power.js';
import { tagCommand, untagCommand } from '../plugins/builtin/ec2-tag.js';
import { emulatorCommand } from '../plugins/builtin/ec2-emulator.js';
import type { AwsSettings } from './aws-settings.js';
import type { Ec2Integration } from './cloud-hooks.js';
import { disabledEc2Access, ec2Access, ec2NotEnabled } from './access.js';
import { ec2ClusterProvider } from './cluster-provider.js';

export interface Ec2PluginOptions {
  settings: AwsSettings;
  /** Undefined when EC2 is not enabled: the commands are registered and say so when used. */
  integration: Ec2Integration | undefined;
  /** `--wait` polling (tests make it instant). */
  wait?: WaitSettings;
}

/**
 * EC2 as an integration, through exactly the API a third-party plugin gets: its instances as an inventory
 * provider, its regions as the scope `use` switches, its client and SDK offered as `use('ec2')`, and the
 * commands start, stop, reboot, terminate, tag, untag and emulator, and clusters on EC2 for the `cluster` commands. Registering loads nothing: the SDK
 * loads on the first call to EC2.
 */
export function createEc2Plugin(options: Ec2PluginOptions): DustPlugin {
  const { integration } = options;
  // Provided even when EC2 is off: its client() then answers with dust's own DUST_EC2_CREDENTIALS line.
  const access = integration ? ec2Access(integration.cloud, options.settings.clusterTag) : disabledEc2Access(options.settings.clusterTag);
  const close = () => integration?.close();
  return definePlugin({
    name: 'builtin:ec2',
    apiVersion: DUST_PLUGIN_API,
    description: 'EC2 instances: inventory, regions, start/stop/reboot/terminate, tags, clusters (the ec2 cluster provider), the emulator',
    setup(api) {
      api.provide('ec2', access);
      if (integration) {
        api.registerInventoryProvider(integration.provider);
        api.registerScope(integration.cloud);
        api.onClose(close);
      }
      for (const spec of powerCommands(options.wait)) api.registerCommand(spec);
      api.registerCommand(tagCommand);
      api.registerCommand(untagCommand);
      api.registerCommand(emulatorCommand);
      api.registerClusterProvider(ec2ClusterProvider({
        cloud: integration?.cloud, clusterTag: options.settings.clusterTag, dustHome: api.state.dustHome, notEnabled: ec2NotEnabled,
        ...(options.wait ? { wait: options.wait } : {}),
        ...(integration?.specDefaults ? { specDefaults: integration.specDefaults } : {}),
      }));
    },
  });
}
