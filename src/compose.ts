/**
 * The one composition root: what turns options into a running engine (the demo's nodes when asked for, EC2 when
 * a region is known, the engine, built-in and user plugins). The CLI, `dust serve`, tests and bench all start
 * dust through here, so none of them wires the app by hand.
 */
import type { DustPlugin } from './plugins/api.js';
import { DustApp, type AppOptions } from './shell/app.js';
import { sshPlugin } from './ssh/plugin.js';
import { sshConfigWarner } from './ssh/ssh-config.js';
import { prepareEc2, type PrepareEc2Options } from './ec2/wiring.js';
import type { LoginRule } from './config/schema.js';
import { type KubernetesCliOptions, resolveKubernetesSettings } from './kubernetes/settings.js';

/** The engine's own options, as `DustApp` takes them, and what the composition root decides for it. */
export interface ComposeOptions extends Pick<AppOptions, 'version' | 'dustHome' | 'loaded' | 'out' | 'prompt' | 'terminal' | 'label' | 'clusterSetup'> {
  interactive: boolean;
  /** Start the built-in demo cluster (embedded SSH nodes behind an in-process EC2 emulator). */
  demo?: boolean;
  /** EC2 settings from the command line. */
  cli?: PrepareEc2Options['cli'];
  /** An EC2 integration to use instead of the AWS one (tests: the emulator in process), login rules ahead. */
  ec2?: Pick<PrepareEc2Options, 'integration' | 'wait'> & { leadingRules?: readonly LoginRule[] };
  /** Extra known_hosts files trusted read-only (a demo started by the caller). */
  extraKnownHosts?: string[];
  /** Kubernetes settings from the command line (`--kube-context`, `--kubeconfig`, `--namespace`): any of them turns it on. */
  kube?: KubernetesCliOptions;
  /** How long `cluster up` waits for new pods to answer (tests shorten the default 180 s). */
  podReadyTimeoutMs?: number;
  /** Called once the demo started, before the engine (the CLI prints its banner). */
  onDemo?(banner: string): void;
}

export async function composeDust(o: ComposeOptions): Promise<DustApp> {
  // Loaded only when asked for: the demo pulls in ssh2's server side and node-pty.
  let demo: import('./ec2/demo.js').DemoSession | undefined;
  let pods: import('./kubernetes/demo.js').PodDemo | undefined;
  if (o.demo) {
    const [{ startDemo }, { startPodDemo }] = await Promise.all([import('./ec2/demo.js'), import('./kubernetes/demo.js')]);
    // Side by side: the SSH nodes and the Kubernetes emulator each make keys, and neither needs the other.
    const [ec2Demo, podDemo] = await Promise.allSettled([startDemo({ dustHome: o.dustHome }), startPodDemo({ dustHome: o.dustHome })]);
    if (ec2Demo.status === 'rejected' || podDemo.status === 'rejected') {
      if (ec2Demo.status === 'fulfilled') await ec2Demo.value.close();
      if (podDemo.status === 'fulfilled') await podDemo.value.close();
      throw ec2Demo.status === 'rejected' ? ec2Demo.reason : (podDemo as PromiseRejectedResult).reason;
    }
    demo = ec2Demo.value;
    pods = podDemo.value;
    o.onDemo?.(`${demo.banner}\n${pods.banner}`);
  }
  // Kubernetes: off unless the config or the command line asks (KUBECONFIG alone does not); the demo's pods always.
  const kube = resolveKubernetesSettings({
    config: pods ? { kubeconfig: pods.kubeconfig, namespace: pods.namespace } : o.loaded.config.kubernetes,
    cli: pods ? {} : (o.kube ?? {}),
  });
  const integrations: DustPlugin[] = [];
  let app: DustApp | undefined;
  if (kube.enabled) {
    // Loaded only when on: the plugin module brings the exec transport (ws) along, though not client-node.
    const { kubernetesPlugin } = await import('./kubernetes/plugin.js');
    integrations.push(kubernetesPlugin({
      settings: kube,
      ...(o.podReadyTimeoutMs !== undefined ? { readyTimeoutMs: o.podReadyTimeoutMs } : {}),
      // Any image runs on the demo's emulator; this one says what a real cluster would pull.
      ...(pods ? { clusterSpecDefaults: { image: 'busybox:1.36' } } : {}),
      podSpec: (event) => (app ? app.events.runHook('pod:spec', event) : Promise.resolve()),
    }));
  }
  const ec2 = await prepareEc2({
    cli: o.cli ?? {},
    config: o.loaded.config,
    ...(demo ? { integration: demo.ec2 } : {}),
    ...(o.ec2?.integration ? { integration: o.ec2.integration } : {}),
    ...(o.ec2?.wait ? { wait: o.ec2.wait } : demo ? { wait: { pollIntervalMs: demo.pollIntervalMs } } : {}),
  });
  integrations.push(ec2.plugin);
  const leadingRules = [...(demo?.loginRules ?? []), ...(o.ec2?.leadingRules ?? [])];
  // SSH is the default transport; its plugin (and ssh2) belong to src/ssh, wired here and nowhere else.
  const extraKnownHosts = [...(demo ? [demo.knownHostsFile] : []), ...(o.extraKnownHosts ?? [])];
  app = new DustApp({
    version: o.version,
    dustHome: o.dustHome,
    loaded: o.loaded,
    out: o.out,
    prompt: o.prompt,
    terminal: o.terminal,
    transports: (engine) => [sshPlugin({
      config: o.loaded.config, dustHome: o.dustHome, askSecret: engine.askSecret, warn: engine.warn, warnConfig: sshConfigWarner(o.out),
      ...(extraKnownHosts.length > 0 ? { extraKnownHosts } : {}),
    })],
    integrations,
    ...(leadingRules.length > 0 ? { leadingRules } : {}),
    interactive: o.interactive,
    ...(o.label ? { label: o.label } : {}),
    ...(o.clusterSetup ? { clusterSetup: o.clusterSetup } : {}),
  });
  if (demo) app.closers.push(() => demo.close());
  if (pods) app.closers.push(() => pods.close());
  await app.loadPlugins();
  return app;
}
