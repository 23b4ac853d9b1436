/**
 * Where clusters come from. The `cluster` commands are dust's own and know nothing of EC2 or Kubernetes: an
 * integration registers a ClusterProvider (`api.registerClusterProvider`) for the `provider:` value of a spec,
 * and the commands ask it to provision (`up`), describe (`status`, `list`) and remove (`down`). What happens on
 * the nodes afterwards (setup, submit, dashboard) goes through dust's sessions and is the same for every provider.
 */
import type { ClusterSpec } from './spec.js';

/** One node of a cluster as a provider reports it. */
export interface ClusterNodeReport {
  /** The node's name in dust's inventory (`head`, `worker0`): what `@NAME` and `show` use. */
  name: string;
  role: 'head' | 'worker' | 'other';
  /** The provider's own state word: `running`, `pending`, `terminated` (EC2), `Running`, `Pending` (pods). */
  state: string;
  /** True when the provider counts the node as up (EC2 running, a pod Running). */
  live: boolean;
  /** Where dust reaches it (an IP address), when it has one. */
  address?: string;
  /** What kind of node it is, one short phrase: `t3.micro spot`, `image python:3.12`. */
  kind?: string;
  /** The provider's id (`i-0abc…`, the pod's uid), for messages. */
  id?: string;
  /** Why it is in its state, when the provider says (`Server.SpotInstanceTermination`, `OOMKilled`). */
  reason?: string;
}

/** One step of provisioning or teardown, for a progress display. */
export interface ClusterProgress {
  /** Provider-specific step name (`security-group`, `launch-workers`, `create-pods`). */
  step: string;
  /** `start` before the step, `done` when it changed something, `skip` when nothing was needed, `wait` while polling. */
  phase: 'start' | 'done' | 'skip' | 'wait';
  /** One line: `security group dust-spark1 (sg-…): created, 2 rules added`. */
  message: string;
}

export interface ClusterCallOptions {
  onProgress?(event: ClusterProgress): void;
  /** Ctrl-C: ends waits early (what was started on the provider's side carries on). */
  signal?: AbortSignal;
}

export interface ClusterUpOptions extends ClusterCallOptions {
  /** Where relative paths in the spec (`key:`, `podSpec:`) start: the spec file's folder. */
  specDir: string;
  /** How long to wait for new nodes to come up (`cluster up --timeout`); the provider's own default otherwise. */
  readyTimeoutMs?: number;
}

export interface ClusterUpReport {
  name: string;
  /** Where it runs, one phrase: `us-east-1`, `namespace demo`. */
  location: string;
  head: ClusterNodeReport;
  workers: ClusterNodeReport[];
  /** What this run created or changed, one line each; empty when the cluster already matched its spec. */
  changes: string[];
  /** The head is up. False when waiting was interrupted. */
  ready: boolean;
  /**
   * How dust logs in to the nodes, when the provider decides it (EC2: the spec's user and the private half of
   * the imported key). The command writes it as a login rule for the cluster.
   */
  login?: { user?: string; identityFile?: string };
  /** The provider's record of the cluster on this machine. */
  stateFile?: string;
}

export interface ClusterStatusReport {
  name: string;
  location: string;
  /** Head first, then workers by name, then nodes carrying the cluster's tag that its spec did not create. */
  nodes: ClusterNodeReport[];
  ready: boolean;
  /** Where the cluster differs from its spec, one line each (empty when it matches). */
  drift: string[];
  /** Resources the cluster owns besides its nodes, one line each (`security group dust-spark1 (sg-…), created`). */
  resources: string[];
  /** The spec as last applied, when this machine brought the cluster up. */
  spec?: ClusterSpec;
  stateFile?: string;
}

export interface ClusterDownReport {
  name: string;
  /** Nodes removed by this call (`worker0 i-…`). */
  removed: string[];
  /** Other resources deleted (`security group dust-spark1 (sg-…)`). */
  deleted: string[];
  /** Resources the cluster used that dust did not create: left alone, named. */
  kept: string[];
  /** Nothing of the cluster was found. */
  nothingFound: boolean;
}

export interface ClusterListEntry {
  name: string;
  location: string;
  /** Nodes per state (`{ running: 3, terminated: 1 }`). */
  states: Record<string, number>;
  /** The head's state and address, when there is one. */
  head?: { state: string; address?: string };
  /** This machine holds the cluster's state (it was brought up from a spec here). */
  fromSpec: boolean;
}

export interface ClusterProvider {
  /** The spec's `provider:` value it serves (`ec2`, `k8s`). */
  readonly kind: string;
  /** One phrase for `cluster list` and messages: `EC2 (us-east-1)`. */
  describe(): string;
  /**
   * Why the provider cannot work right now (EC2 without a region, no kubeconfig), as a DustError to throw, or
   * undefined when it can.
   */
  unavailable?(): Error | undefined;
  /** Provisions or reconciles: idempotent, so running it again with the same spec changes nothing. */
  up(spec: ClusterSpec, opts: ClusterUpOptions): Promise<ClusterUpReport>;
  /** The cluster as it is, or undefined when the provider knows nothing of a cluster by that name. */
  status(name: string, opts?: ClusterCallOptions): Promise<ClusterStatusReport | undefined>;
  /** Removes what `up` created, and nothing else. Safe to repeat. */
  down(name: string, opts?: ClusterCallOptions): Promise<ClusterDownReport>;
  /** Every cluster the provider can see, running or not. */
  list(opts?: ClusterCallOptions): Promise<ClusterListEntry[]>;
  /** Spec values to start from instead of the schema's defaults (`cluster init`, `cluster up NAME`): the demo's key. */
  specDefaults?(): Readonly<Record<string, unknown>>;
}
