import type { DustConfig } from '../config/schema.js';
import type { DustPlugin } from '../plugins/api.js';
import { resolveAwsSettings, type AwsSettings } from './aws-settings.js';
import { createEc2Integration, type Ec2Integration } from './cloud-hooks.js';
import { createEc2Plugin } from './plugin.js';
import type { WaitSettings } from '../plugins/builtin/ec2-power.js';

/** EC2 as the composition root adds it: settings, the integration when enabled, and its plugin. */
export interface Ec2Wiring {
  settings: AwsSettings;
  /** Undefined when EC2 is not enabled (the commands are still registered and say so). */
  integration: Ec2Integration | undefined;
  /** A built-in plugin: provider, region scope, `use('ec2')`, the EC2 commands. */
  plugin: DustPlugin;
}

export interface PrepareEc2Options {
  cli: { region?: string | undefined; profile?: string | undefined; endpointUrl?: string | undefined };
  config: DustConfig;
  /** Ready-made integration (the demo's, the tests' emulator); skips settings resolution. */
  integration?: Ec2Integration;
  wait?: WaitSettings;
}

/** Resolves settings and builds the EC2 plugin. Loads no SDK. */
export async function prepareEc2(options: PrepareEc2Options): Promise<Ec2Wiring> {
  const settings = options.integration?.settings ?? await resolveAwsSettings({ cli: options.cli, config: options.config });
  const integration = options.integration ?? (settings.enabled ? createEc2Integration(settings) : undefined);
  return { settings, integration, plugin: createEc2Plugin({ settings, integration, ...(options.wait ? { wait: options.wait } : {}) }) };
}
