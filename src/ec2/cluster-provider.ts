/**
 * EC2 as a ClusterProvider: the `cluster` commands call this, and this calls the lifecycle library
 * (src/ec2/lifecycle), which does the provisioning. Only the translation to dust's provider-neutral reports
 * lives here.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import type {
  ClusterCallOptions, ClusterDownReport, ClusterListEntry, ClusterNodeReport, ClusterProvider, ClusterStatusReport,
  ClusterUpOptions, ClusterUpReport,
} from '../clusters/provider.js';
import { recordedClusters } from '../clusters/records.js';
import type { ClusterSpec } from '../clusters/spec.js';
import type { Ec2Cloud } from './cloud-hooks.js';
import { listInstances } from './inventory-provider.js';
import type { LifecycleDeps, NodeInfo } from './lifecycle/index.js';

// The lifecycle (and the key parsing it does with ssh2) loads on the first cluster command, not on start-up.
const lifecycle = () => import('./lifecycle/index.js');
const lifecycleCommon = () => import('./lifecycle/common.js');
import type { WaitSettings } from './wait.js';

export interface Ec2ClusterProviderOptions {
  /** Undefined when EC2 is off: every call then answers with `unavailable()`'s line. */
  cloud: Ec2Cloud | undefined;
  clusterTag: string;
  dustHome: string;
  notEnabled: () => Error;
  /** See ClusterProvider.specDefaults (the demo's key). */
  specDefaults?: Readonly<Record<string, unknown>>;
  /** Tests make waits instant. */
  wait?: WaitSettings;
}

function report(n: NodeInfo): ClusterNodeReport {
  return {
    name: n.name,
    role: n.role,
    state: n.state,
    live: n.state === 'running',
    ...(n.address ? { address: n.address } : {}),
    kind: `${n.instanceType} ${n.lifecycle}`,
    id: n.instanceId,
    ...(n.stateReason ? { reason: n.stateReason.code } : {}),
  };
}

export function ec2ClusterProvider(options: Ec2ClusterProviderOptions): ClusterProvider {
  const { clusterTag, dustHome } = options;
  const cloudOrThrow = (): Ec2Cloud => {
    if (!options.cloud || options.cloud.region === undefined) throw options.notEnabled();
    return options.cloud;
  };
  const deps = (opts: ClusterCallOptions = {}, specDir?: string): LifecycleDeps => {
    const cloud = cloudOrThrow();
    return {
      client: (region) => cloud.client(region),
      defaultRegion: cloud.region,
      dustHome,
      clusterTag,
      ...(specDir !== undefined ? { specDir } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(options.wait?.sleep ? { sleep: options.wait.sleep } : {}),
      ...(options.wait?.pollIntervalMs !== undefined ? { pollIntervalMs: options.wait.pollIntervalMs } : {}),
      ...(options.wait?.waitTimeoutMs !== undefined ? { timeoutMs: options.wait.waitTimeoutMs } : {}),
    };
  };

  return {
    kind: 'ec2',
    describe: () => (options.cloud?.region ? `EC2 (${options.cloud.region})` : 'EC2 (not enabled)'),
    unavailable: () => (!options.cloud || options.cloud.region === undefined ? options.notEnabled() : undefined),
    specDefaults: () => options.specDefaults ?? {},

    async up(spec: ClusterSpec, opts: ClusterUpOptions): Promise<ClusterUpReport> {
      const { up } = await lifecycle();
      const d = deps(opts, opts.specDir);
      const r = await up(spec, opts.readyTimeoutMs !== undefined ? { ...d, timeoutMs: opts.readyTimeoutMs } : d);
      return {
        name: r.name,
        location: r.region,
        head: report(r.head),
        workers: r.workers.map(report),
        changes: r.changes,
        ready: r.ready,
        login: { user: r.login.user, ...(r.login.identityFile ? { identityFile: r.login.identityFile } : {}) },
        stateFile: r.stateFile,
      };
    },

    async status(name: string, opts?: ClusterCallOptions): Promise<ClusterStatusReport | undefined> {
      const { clusterStatus } = await lifecycle();
      const s = await clusterStatus(name, deps(opts));
      const nodes = [...(s.head ? [s.head] : []), ...s.workers, ...s.others];
      if (nodes.length === 0 && s.stateFile === undefined) return undefined;
      const resources: string[] = [];
      const r = s.resources;
      if (r.keyPair) resources.push(`key pair ${r.keyPair.name}${r.keyPair.created ? '' : ' (not created by dust)'}`);
      if (r.securityGroup) resources.push(`security group ${r.securityGroup.name} (${r.securityGroup.id})${r.securityGroup.created ? '' : ' (not created by dust)'}`);
      if (r.placementGroup) resources.push(`placement group ${r.placementGroup.name} (${r.placementGroup.strategy})${r.placementGroup.created ? '' : ' (not created by dust)'}`);
      return {
        name, location: s.region, nodes: nodes.map(report), ready: s.ready, drift: s.drift, resources,
        ...(s.spec ? { spec: s.spec } : {}), ...(s.stateFile ? { stateFile: s.stateFile } : {}),
      };
    },

    async down(name: string, opts?: ClusterCallOptions): Promise<ClusterDownReport> {
      const { down } = await lifecycle();
      const r = await down(name, deps(opts));
      return { name, removed: r.terminated, deleted: r.deleted, kept: r.kept, nothingFound: r.nothingFound };
    },

    async list(): Promise<ClusterListEntry[]> {
      const cloud = cloudOrThrow();
      const [{ readClusterState }, { byNodeName, isGone, nodeInfo, tagOf }] = await Promise.all([lifecycle(), lifecycleCommon()]);
      const isGoneState = (n: NodeInfo) => isGone({ State: { Name: n.state as never } });
      // The current region, plus every region this machine brought a cluster up in.
      const recorded = recordedClusters(dustHome).filter((c) => c.provider === 'ec2');
      const regions = new Set<string>([cloud.region!]);
      const states = new Map<string, string>();
      for (const c of recorded) {
        try {
          const st = readClusterState(dustHome, c.name);
          if (st) {
            regions.add(st.region);
            states.set(c.name, st.region);
          }
        } catch {
          // A damaged record is reported by `cluster status NAME`; the list goes on.
        }
      }
      const byCluster = new Map<string, { region: string; nodes: NodeInfo[] }>();
      for (const region of regions) {
        const client = await cloud.client(region);
        const instances: Instance[] = await listInstances(client, { filters: [{ Name: 'tag-key', Values: [clusterTag] }] });
        for (const i of instances) {
          const c = tagOf(i.Tags, clusterTag);
          if (!c) continue;
          const key = `${region}\u0000${c}`;
          const entry = byCluster.get(key) ?? { region, nodes: [] };
          entry.nodes.push(nodeInfo(i));
          byCluster.set(key, entry);
        }
      }
      for (const [name, region] of states) {
        const key = `${region}\u0000${name}`;
        if (!byCluster.has(key)) byCluster.set(key, { region, nodes: [] });
      }
      return [...byCluster.entries()].map(([key, { region, nodes }]) => {
        const name = key.split('\u0000')[1]!;
        const counts: Record<string, number> = {};
        for (const n of nodes) counts[n.state] = (counts[n.state] ?? 0) + 1;
        const heads = nodes.filter((n) => n.role === 'head').sort((a, b) => Number(isGoneState(a)) - Number(isGoneState(b)) || byNodeName(a, b));
        const head = heads[0];
        return {
          name, location: region, states: counts,
          ...(head ? { head: { state: head.state, ...(head.address ? { address: head.address } : {}) } } : {}),
          fromSpec: states.get(name) === region,
        };
      });
    },
  };
}

