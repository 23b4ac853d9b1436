/**
 * SSH behind the instances launched while the demo runs (`cluster up`, `cluster up --nodes`): each gets an
 * embedded demo node as soon as the emulator reports it, listening once it is running, on its own public address
 * (127.0.1.x, from the emulator's loopback pool) where the OS allows, else elsewhere on loopback. It goes down
 * when the instance stops and is deleted when it terminates. The instance's EC2 key pair is authorized on it as
 * EC2 would (next to the demo's own client key), and `hostname` prints its Name tag.
 *
 * dust reaches these nodes through the demo's EC2 inventory: `decorate` gives each such node the address, port,
 * user and key of its embedded server (the seeded fleet uses login rules instead, fixed at start).
 */
import type { DemoCluster, DemoNode } from '../demo/index.js';
import type { NodeDraft } from '../inventory/provider.js';
import type { Ec2EmulatorCore, InstanceStateChange } from './emulator/index.js';

export interface LaunchedInstanceNodes {
  /** Feed every emulator state change here. */
  onChange(change: InstanceStateChange): void;
  /** The inventory hook: points a launched instance's node at its embedded SSH server. */
  decorate(draft: NodeDraft): NodeDraft;
  /** The demo node of an instance, if it has one. */
  nodeOf(instanceId: string): DemoNode | undefined;
  /** Resolves once every queued change has been applied. */
  idle(): Promise<void>;
}

export interface LaunchedInstanceOptions {
  cluster: DemoCluster;
  core: Ec2EmulatorCore;
  /** Port every launched node prefers on its own address. */
  port: number;
  /** Instances that already have a node (the seeded fleet). */
  seeded: ReadonlySet<string>;
  /** The tag whose value is the cluster (for the node's record). */
  clusterTag: string;
  /** Called whenever the set of host keys changed (a node listens somewhere new, or went away). */
  onHostKeysChanged(): void;
}

const DOWN = new Set(['stopping', 'stopped']);
const GONE = new Set(['shutting-down', 'terminated']);

export function launchedInstanceNodes(opts: LaunchedInstanceOptions): LaunchedInstanceNodes {
  const { cluster, core } = opts;
  const nodes = new Map<string, DemoNode>();
  const queues = new Map<string, Promise<void>>();

  const snapshot = (region: string, id: string) => core.instances(region).find((i) => i.id === id);

  const apply = async (change: InstanceStateChange): Promise<void> => {
    const id = change.instanceId;
    let node = nodes.get(id);
    if (GONE.has(change.state)) {
      if (node) {
        nodes.delete(id);
        await cluster.removeNode(id);
        opts.onHostKeysChanged();
      }
      return;
    }
    // One copy of the region's instances per change (each copy settles the region and copies every instance).
    let seen: ReturnType<typeof snapshot> | null = null;
    const current = () => (seen ??= snapshot(change.region, id));
    if (!node) {
      const info = current();
      const keyName = info?.keyName;
      const publicKey = keyName ? core.region(change.region).keyPairs.get(keyName)?.publicKey : undefined;
      const clusterName = change.tags[opts.clusterTag];
      node = cluster.addNode({
        name: id,
        hostname: change.tags['Name'] ?? id,
        tags: change.tags,
        ...(clusterName !== undefined ? { cluster: clusterName } : {}),
        ...(publicKey ? { authorizedKeys: [publicKey] } : {}),
      });
      nodes.set(id, node);
    }
    const name = change.tags['Name'];
    if (name !== undefined && name !== '') cluster.renameHost(id, name);
    if (DOWN.has(change.state)) {
      await cluster.stopNode(id);
    } else if (change.state === 'running' && !node.running) {
      // EC2 hands out a new public address on every start: listen where the instance now is.
      const ip = current()?.publicIp;
      const host = ip !== undefined && ip.startsWith('127.') ? ip : '127.0.0.1';
      await cluster.startNode(id, { host, port: opts.port });
      opts.onHostKeysChanged();
    }
  };

  return {
    onChange(change) {
      if (opts.seeded.has(change.instanceId)) return;
      const previous = queues.get(change.instanceId) ?? Promise.resolve();
      // One change at a time per instance; a failure (a port nobody can have) leaves that instance without SSH.
      queues.set(change.instanceId, previous.then(() => apply(change)).catch(() => {}));
    },
    decorate(draft) {
      const id = draft.props['id'];
      const node = typeof id === 'string' ? nodes.get(id) : undefined;
      if (!node || node.port === 0) return draft;
      return { ...draft, host: node.host, port: node.port, user: cluster.user, identityFile: cluster.clientKeyPath };
    },
    nodeOf: (id) => nodes.get(id),
    idle: async () => {
      await Promise.all(queues.values());
    },
  };
}
