import { definePlugin, DUST_PLUGIN_API, type DustPlugin } from '../plugins/api.js';
import type { LoginRule } from '../config/schema.js';
import type { LoginRulesStore } from '../inventory/login-rules-store.js';
import { powerCommands, type WaitSettings } from '../plugins/builtin/ec2-power.js';
import { refreshCommand, tagCommand, untagCommand } from '../plugins/builtin/ec2-tag.js';
import { assignCommand } from '../plugins/builtin/ec2-assign.js';
import { emulatorCommand } from '../plugins/builtin/ec2-emulator.js';
import { clusterCommand } from '../plugins/builtin/ec2-cluster.js';

export interface Ec2PluginOptions {
  /** Where `assign` keeps its rules ($DUST_HOME/logins.yaml). */
  rulesStore: LoginRulesStore;
  /** The config's `logins:`. */
  configRules: readonly LoginRule[];
  /** Receives the effective rule list after `assign` (wire to `inventory.setRules`). */
  onRulesChanged(rules: readonly LoginRule[]): void;
  /** `--wait` polling (tests make it instant). */
  wait?: WaitSettings;
}

/**
 * The EC2 commands as one built-in plugin: start, stop, reboot, terminate, tag, untag, refresh, assign,
 * emulator. Registering them loads nothing: the SDK is loaded by the first command that calls EC2.
 * Without EC2 enabled they answer with DUST_EC2_CREDENTIALS ("EC2 is not enabled"), except refresh,
 * assign and emulator, which work for any inventory.
 */
export function createEc2Plugin(options: Ec2PluginOptions): DustPlugin {
  return definePlugin({
    name: 'builtin:ec2',
    apiVersion: DUST_PLUGIN_API,
    description: 'EC2 instances: start/stop/reboot/terminate, tags, login rules, the emulator',
    setup(api) {
      for (const spec of powerCommands(options.wait)) api.registerCommand(spec);
      api.registerCommand(tagCommand);
      api.registerCommand(untagCommand);
      api.registerCommand(refreshCommand);
      api.registerCommand(assignCommand({ store: options.rulesStore, configRules: options.configRules, onRulesChanged: (r) => options.onRulesChanged(r) }));
      api.registerCommand(emulatorCommand);
      api.registerCommand(clusterCommand(options.wait));
    },
  });
}
