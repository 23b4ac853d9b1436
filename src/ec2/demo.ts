import fs from 'node:fs';
import path from 'node:path';
import type { LoginRule } from '../config/schema.js';
import { startDemoCluster, type DemoCluster } from '../demo/index.js';
import { createEc2RequestHandler, Ec2EmulatorCore, loopbackPublicPool, type Ec2Clock, type LifecycleDelays } from './emulator/index.js';
import { DEFAULT_CLUSTER_TAG, type AwsSettings } from './aws-settings.js';
import { createEc2Integration, type Ec2Integration } from './cloud-hooks.js';
import { DEMO_FLEET, DEMO_REGION, DEMO_TAG, seedDemoFleet } from './demo-fleet.js';
import { launchedInstanceNodes, type LaunchedInstanceNodes } from './demo-instances.js';

export interface StartDemoOptions {
  dustHome: string;
  /** First demo node's port (default: the demo cluster's, 12220). */
  basePort?: number;
  /** Lifecycle delays (default: 3 s, so `stop --wait` shows progress but the tour stays quick). */
  delays?: Partial<LifecycleDelays>;
  clock?: Ec2Clock;
  /** How often the emulator is settled so stopped/started instances reach their node (default 250 ms). */
  settleIntervalMs?: number;
}

export interface DemoSession {
  region: string;
  /** Ready-made EC2 wiring (in-process emulator, fake credentials): cloud hooks + inventory provider. */
  ec2: Ec2Integration;
  /** One rule per demo instance (user, key, port), to put ahead of any other login rules. */
  loginRules: LoginRule[];
  /** `[127.0.0.x]:port ssh-ed25519 …` for every node listening now, also written to `knownHostsFile`. */
  readonly knownHostsLines: string[];
  /**
   * A known_hosts file trusting exactly the demo nodes (pass as sessions' extraKnownHosts); rewritten whenever
   * a launched instance's node starts listening or goes away.
   */
  knownHostsFile: string;
  /** The embedded SSH nodes of instances launched while the demo runs. */
  launched: LaunchedInstanceNodes;
  /** The line to print at start so nobody mistakes the demo for real machines. */
  banner: string;
  core: Ec2EmulatorCore;
  cluster: DemoCluster;
  /** How often waits for the demo's instances poll: a fraction of its delays, which are local and exact. */
  pollIntervalMs: number;
  close(): Promise<void>;
}

/**
 * The demo's lifecycle delay: 3 s, so `stop --wait` and `cluster up` show their progress, unless
 * `DUST_DEMO_PACE_MS` says otherwise (a scripted tour, or a fuzz run of thousands of lines, wants it short).
 */
function demoPaceMs(): number {
  const text = process.env['DUST_DEMO_PACE_MS'];
  const pace = text === undefined || text === '' ? NaN : Number(text);
  return Number.isInteger(pace) && pace >= 0 && pace <= 600_000 ? pace : 3000;
}

/** What the demo's clients pretend to be; the emulator checks no signatures. */
const DEMO_CREDENTIALS = { accessKeyId: 'dust-demo', secretAccessKey: 'dust-demo' };

/**
 * The demo: an in-process EC2 emulator seeded with two clusters (slurm1: master, worker0–2; webtest:
 * web1–2) whose instances' public addresses are embedded SSH servers on loopback (src/demo). Stopping
 * or terminating an instance takes its SSH node down; starting it brings the node back — so `stop
 * worker2` then `@worker2 uptime` fails the way it would on EC2. Nothing talks to AWS.
 */
export async function startDemo(options: StartDemoOptions): Promise<DemoSession> {
  const dir = path.join(options.dustHome, 'demo');
  const cluster = await startDemoCluster({
    dir,
    nodes: DEMO_FLEET.map((f) => ({ name: f.name, cluster: f.cluster, tags: { [DEMO_TAG]: 'true', role: f.role } })),
    ...(options.basePort !== undefined ? { basePort: options.basePort } : {}),
  });
  const pace = demoPaceMs();
  try {
    const core = new Ec2EmulatorCore({
      defaultRegion: DEMO_REGION,
      regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
      delays: { pending: pace, stopping: pace, shuttingDown: pace, ...options.delays },
      // Instances launched in the demo (cluster up) get their own loopback address, where their SSH node listens.
      addressPool: { public: loopbackPublicPool() },
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const byName = new Map(cluster.nodes.map((n) => [n.name, n]));
    const ids = seedDemoFleet(core, { clusterTag: DEFAULT_CLUSTER_TAG, publicIp: (name) => byName.get(name)?.host });

    const loginRules: LoginRule[] = DEMO_FLEET.map((f) => ({
      selector: `id=${ids.get(f.name)}`,
      user: cluster.user,
      identityFile: cluster.clientKeyPath,
      port: byName.get(f.name)!.port,
    }));
    const knownHostsFile = path.join(dir, 'known_hosts');
    const writeKnownHosts = (): void => {
      // Atomically: a handshake reading it meanwhile sees the old file or the new one, never half of one.
      const tmp = `${knownHostsFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${cluster.knownHostsLines().join('\n')}\n`, { mode: 0o600 });
      fs.renameSync(tmp, knownHostsFile);
    };
    writeKnownHosts();

    const stopOrStart = nodeDriver(cluster, new Map([...ids].map(([name, id]) => [id, name])));
    const launched = launchedInstanceNodes({
      cluster, core, port: cluster.nodes[0]?.port ?? options.basePort ?? 12220, seeded: new Set(ids.values()),
      clusterTag: DEFAULT_CLUSTER_TAG, onHostKeysChanged: writeKnownHosts,
    });
    const unsubscribe = core.onStateChange((change) => {
      if (change.region === DEMO_REGION) stopOrStart(change.instanceId, change.state);
      launched.onChange(change);
    });
    const timer = setInterval(() => core.settle(), options.settleIntervalMs ?? 250);
    timer.unref();

    const settings: AwsSettings = {
      enabled: true, reason: 'demo', region: DEMO_REGION, regionSource: 'default', profile: undefined, profileSource: undefined,
      endpoint: 'http://ec2.demo.invalid', endpointSource: 'default', clusterTag: DEFAULT_CLUSTER_TAG,
    };
    const ec2 = createEc2Integration(settings, { requestHandler: createEc2RequestHandler(core), credentials: DEMO_CREDENTIALS, maxAttempts: 2 }, { decorate: (d) => launched.decorate(d) });
    ec2.specDefaults = { key: `${cluster.clientKeyPath}.pub` };
    const clusters = [...new Set(DEMO_FLEET.map((f) => f.cluster))].join(' and ');
    const banner = `DEMO — ${DEMO_FLEET.length} pretend EC2 instances (clusters ${clusters}, tag ${DEMO_TAG}=true) on dust's built-in emulator; `
      + `their SSH servers run inside this process on ${cluster.nodes[0]?.host ?? '127.0.0.1'}…. Nothing here touches AWS.`;
    let closed = false;
    return {
      region: DEMO_REGION, ec2, loginRules, knownHostsFile, banner, core, cluster, launched,
      pollIntervalMs: Math.min(500, Math.max(50, Math.round(pace / 4))),
      get knownHostsLines() {
        return cluster.knownHostsLines();
      },
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        unsubscribe();
        ec2.close();
        await stopOrStart.idle();
        await launched.idle();
        await cluster.close();
      },
    };
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

/**
 * Maps instance states onto demo nodes, one change at a time per node (a quick stop/start must not
 * race): down as soon as an instance stops or terminates, up again once it runs.
 */
function nodeDriver(cluster: DemoCluster, nameOf: ReadonlyMap<string, string>): ((id: string, state: string) => void) & { idle(): Promise<void> } {
  const queues = new Map<string, Promise<void>>();
  const drive = (id: string, state: string): void => {
    const name = nameOf.get(id);
    if (name === undefined) return;
    const down = state === 'stopping' || state === 'stopped' || state === 'shutting-down' || state === 'terminated';
    const up = state === 'running';
    if (!down && !up) return;
    const previous = queues.get(name) ?? Promise.resolve();
    const next = previous.then(() => (down ? cluster.stopNode(name) : cluster.startNode(name))).catch(() => {});
    queues.set(name, next);
  };
  return Object.assign(drive, { idle: async () => { await Promise.all(queues.values()); } });
}
