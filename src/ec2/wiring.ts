import type { DustConfig, LoginRule } from '../config/schema.js';
import type { InventoryProvider } from '../inventory/provider.js';
import type { DustApp } from '../shell/app.js';
import { effectiveRuleOrigins, effectiveRules, LoginRulesStore } from '../inventory/login-rules-store.js';
import { resolveAwsSettings, type AwsSettings } from './aws-settings.js';
import { createEc2Integration, type Ec2Integration } from './cloud-hooks.js';
import { createEc2Plugin } from './plugin.js';

/** What main.ts needs from EC2, in the two steps of building a DustApp. */
export interface Ec2Wiring {
  settings: AwsSettings;
  /** Undefined when EC2 is not enabled (the commands are still registered and say so). */
  integration: Ec2Integration | undefined;
  /** Pass as DustApp's `extraProviders`. */
  providers: InventoryProvider[];
  /** After `new DustApp(...)` and `app.loadPlugins()`: cloud hooks, region, login rules, the EC2 commands. */
  attach(app: DustApp): Promise<void>;
  close(): void;
}

export interface PrepareEc2Options {
  cli: { region?: string | undefined; profile?: string | undefined; endpointUrl?: string | undefined };
  config: DustConfig;
  dustHome: string;
  /** Ready-made integration (the demo's); skips settings resolution. */
  integration?: Ec2Integration;
  /** Rules that go ahead of everything (the demo's per-instance logins). */
  leadingRules?: readonly LoginRule[];
}

/** Resolves settings and builds the EC2 pieces. Loads no SDK. */
export async function prepareEc2(options: PrepareEc2Options): Promise<Ec2Wiring> {
  const settings = options.integration?.settings ?? await resolveAwsSettings({ cli: options.cli, config: options.config });
  const integration = options.integration ?? (settings.enabled ? createEc2Integration(settings) : undefined);
  const leading = options.leadingRules ?? [];
  return {
    settings,
    integration,
    providers: integration ? [integration.provider] : [],
    async attach(app) {
      if (integration) {
        app.state.cloud = integration.cloud;
        app.state.region = settings.region;
      }
      const store = new LoginRulesStore(options.dustHome);
      // A broken logins.yaml costs its rules, not the session: one line, and `assign` refuses to overwrite it.
      if (store.problem) app.out.error(store.problem);
      const applyRules = () => app.state.inventory.setRules(
        [...leading, ...effectiveRules(options.config.logins, store)],
        [...leading.map((_, i) => `demo rule ${i + 1}`), ...effectiveRuleOrigins(options.config.logins, app.state.configFile, store)],
      );
      applyRules();
      await app.addBuiltinPlugin(createEc2Plugin({
        rulesStore: store,
        configRules: options.config.logins,
        onRulesChanged: applyRules,
      }));
    },
    close: () => integration?.close(),
  };
}
