import path from 'node:path';
import type { EC2Client, Instance, IpPermission, KeyPairInfo, PlacementGroup, SecurityGroup } from '@aws-sdk/client-ec2';
import { DustError, isDustError } from '../../errors/dust-error.js';
import { ErrorCodes, type DustErrorCode } from '../../errors/codes.js';
import { expandHome } from '../../config/paths.js';
import type { ClusterSpec, Ec2ClusterSpec } from '../../clusters/spec.js';
import { loadEc2Sdk } from '../sdk.js';
import { sendEc2 } from '../client.js';
import { listInstances } from '../inventory-provider.js';
import { type Architecture, architectureOf, defaultImageFilter, describeImage, newestDefaultImage } from '../images.js';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_WAIT_TIMEOUT_MS, realSleep, waitForState } from '../wait.js';
import type { LifecycleDeps, LifecycleStep } from './deps.js';
import {
  byNodeName, isGone, managedBy, type NodeInfo, nodeInfo, plural, progressFor, roleOf, settingsOf, tagOf,
} from './common.js';
import { CLUSTER_ROLE_TAG, clusterTags, HEAD_NAME, launchToken, type NodeRole, resourceName, workerName } from './names.js';
import { privateKeyFor, readLocalPublicKey, sameFingerprint } from './public-key.js';
import {
  type ClusterState, type LaunchRecord, newClusterState, readClusterState, stateFile, writeClusterState,
} from './state.js';

/** What `up` leaves behind. */
export interface UpResult {
  name: string;
  region: string;
  head: NodeInfo;
  /** Live workers (pending or running), by name. */
  workers: NodeInfo[];
  /** What this run created or changed, one line each; empty when the cluster already matched the spec. */
  changes: string[];
  /** False when waiting for the head was interrupted (signal): the head may still be pending. */
  ready: boolean;
  /** How to log in: the spec's user, and the private key next to the imported public key (if it is there). */
  login: { user: string; identityFile: string | undefined };
  state: ClusterState;
  stateFile: string;
}

/** Errors that already say what is wrong in cluster terms keep their code; anything else is a provisioning failure. */
const OWN_CODES: ReadonlySet<DustErrorCode> = new Set<DustErrorCode>([
  ErrorCodes.ClusterKey, ErrorCodes.ClusterConflict, ErrorCodes.ClusterSpecInvalid, ErrorCodes.ClusterNotReady, ErrorCodes.ClusterState,
]);

const STEP_LABELS: Record<LifecycleStep, string> = {
  state: 'reading the cluster state',
  'key-pair': 'key pair',
  'security-group': 'security group',
  'placement-group': 'placement group',
  image: 'image',
  'launch-head': 'launching the head',
  'launch-workers': 'launching workers',
  'start-stopped': 'starting stopped nodes',
  'name-tags': 'naming nodes',
  'wait-head': 'waiting for the head',
  terminate: 'terminating instances',
  'wait-terminated': 'waiting for the instances to terminate',
  'delete-placement-group': 'deleting the placement group',
  'delete-security-group': 'deleting the security group',
  'delete-key-pair': 'deleting the key pair',
};

/** Not coming back to running by itself while we wait for the head. */
const STRANDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped', 'gone']);

/**
 * Brings an EC2 cluster to what its spec says, idempotently: imports the key pair, creates the
 * security group (all traffic within the group, SSH and the listed ports from outside) and the
 * placement group, launches the head and the workers (spot when asked), tags everything with the
 * cluster tag, and returns once the head is running (workers may still be pending). Run again, it
 * changes nothing when nothing is missing; it replaces missing workers and head, starts stopped
 * nodes, and brings the security group's rules back to the spec. Everything it creates is recorded
 * in `$DUST_HOME/clusters/NAME.yaml` before and after each step; a failure throws a DustError naming
 * the step and what exists so far, and `down` removes exactly that.
 */
export async function up(spec: ClusterSpec, deps: LifecycleDeps): Promise<UpResult> {
  if (spec.provider !== 'ec2') {
    throw new DustError(ErrorCodes.ClusterSpecInvalid, `cluster up ${spec.name}: provider ${spec.provider} is not an EC2 cluster`, {
      hint: 'EC2 provisioning takes specs with provider: ec2',
    });
  }
  const region = spec.region ?? deps.defaultRegion;
  if (region === undefined) {
    throw new DustError(ErrorCodes.ClusterSpecInvalid, `cluster up ${spec.name}: no region`, {
      hint: 'set region: in the spec, or give dust a region (--region, AWS_REGION)',
    });
  }
  const provisioner = new Provisioner(spec, region, deps, await deps.client(region));
  return provisioner.run();
}

class Provisioner {
  private readonly settings;
  private readonly sdk = loadEc2Sdk();
  private state!: ClusterState;
  private readonly changes: string[] = [];
  private readonly name: string;
  private readonly group: string;

  constructor(
    private readonly spec: Ec2ClusterSpec,
    private readonly region: string,
    private readonly deps: LifecycleDeps,
    private readonly client: EC2Client,
  ) {
    this.settings = settingsOf(deps);
    this.name = spec.name;
    this.group = resourceName(spec.name);
  }

  async run(): Promise<UpResult> {
    await this.step('state', () => this.loadState());
    await this.step('key-pair', () => this.ensureKeyPair());
    await this.step('security-group', () => this.ensureSecurityGroup());
    await this.step('placement-group', () => this.ensurePlacementGroup());
    const live = await this.step('launch-head', () => this.reconcileInstances());
    const head = live.find((i) => roleOf(i) === 'head');
    if (!head?.InstanceId) throw this.failure('launch-head', new DustError(ErrorCodes.ClusterNotReady, 'no head after launching'));
    const ready = await this.step('wait-head', () => this.waitForHead(head.InstanceId as string));
    const nodes = (await listInstances(this.client, { filters: this.clusterFilter() }))
      .filter((i) => !isGone(i) && managedBy(i.Tags, this.settings.clusterTag, this.name))
      .map(nodeInfo)
      .sort(byNodeName);
    const headInfo = nodes.find((n) => n.role === 'head') ?? nodeInfo(head);
    return {
      name: this.name,
      region: this.region,
      head: headInfo,
      workers: nodes.filter((n) => n.role === 'worker'),
      changes: this.changes,
      ready,
      login: { user: this.spec.user, identityFile: privateKeyFor(this.keyFile()) },
      state: this.state,
      stateFile: stateFile(this.deps.dustHome, this.name),
    };
  }

  // ------------------------------------------------------------------------------------------ steps

  /** The step under way, for the error message if it fails (launch-head moves on to launch-workers, …). */
  private currentStep: LifecycleStep = 'state';

  private async step<T>(step: LifecycleStep, fn: () => Promise<T>): Promise<T> {
    this.currentStep = step;
    try {
      return await fn();
    } catch (err) {
      throw this.failure(this.currentStep, err);
    }
  }

  /** The error of a failed step: the step, the cause, and what exists so far (which `down` removes). */
  private failure(step: LifecycleStep, err: unknown): DustError {
    if (isDustError(err) && err.message.startsWith(`cluster up ${this.name}: `)) return err;
    const inner = isDustError(err) ? err : undefined;
    const code = inner && OWN_CODES.has(inner.code) ? inner.code : ErrorCodes.ClusterProvision;
    const message = inner?.message ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
    const created = this.state ? createdSoFar(this.state) : [];
    const createdText = created.length > 0 ? `; created so far: ${created.join(', ')}` : '; nothing was created';
    const cleanup = created.length > 0 ? `\`cluster down ${this.name}\` removes what was created, or fix this and run \`cluster up\` again to continue` : undefined;
    const hint = [inner?.hint, cleanup].filter((h): h is string => h !== undefined).join('; ');
    return new DustError(code, `cluster up ${this.name}: ${STEP_LABELS[step]}: ${message}${createdText}`, {
      ...(hint !== '' ? { hint } : {}),
      cause: err,
    });
  }

  private save(): void {
    writeClusterState(this.deps.dustHome, this.state, this.settings.now());
  }

  private change(step: LifecycleStep, message: string): void {
    this.changes.push(message);
    this.settings.emit(step, 'done', message);
  }

  private async loadState(): Promise<void> {
    const existing = readClusterState(this.deps.dustHome, this.name);
    if (existing && existing.region !== this.region) {
      throw new DustError(ErrorCodes.ClusterConflict, `cluster ${this.name} already exists in ${existing.region}, and the spec says ${this.region}`, {
        hint: `\`cluster down ${this.name}\` first, or give this cluster another name`,
      });
    }
    if (existing && existing.clusterTag !== this.settings.clusterTag) {
      throw new DustError(ErrorCodes.ClusterConflict, `cluster ${this.name} was brought up with the cluster tag ${existing.clusterTag}, and dust now uses ${this.settings.clusterTag}`, {
        hint: `set ec2.clusterTag back to ${existing.clusterTag}, or \`cluster down ${this.name}\` first`,
      });
    }
    this.state = existing ?? newClusterState(this.spec, this.region, this.settings.clusterTag, this.settings.now());
    // A new cluster's file is written with the first thing created (a failure before that leaves no file behind).
    if (existing && JSON.stringify(existing.spec) !== JSON.stringify(this.spec)) {
      this.state.spec = this.spec;
      this.save();
    }
  }

  private keyFile(): string {
    return path.resolve(this.deps.specDir ?? process.cwd(), expandHome(this.spec.key));
  }

  private async ensureKeyPair(): Promise<void> {
    const file = this.keyFile();
    const key = readLocalPublicKey(file);
    this.settings.emit('key-pair', 'start', `key pair ${this.group}`);
    const found = await this.send<{ KeyPairs?: KeyPairInfo[] }>('DescribeKeyPairs', new this.sdk.DescribeKeyPairsCommand({
      Filters: [{ Name: 'key-name', Values: [this.group] }],
    }));
    const existing = found.KeyPairs?.[0];
    if (!existing) {
      const out = await this.send<{ KeyPairId?: string; KeyFingerprint?: string }>('ImportKeyPair', new this.sdk.ImportKeyPairCommand({
        KeyName: this.group,
        PublicKeyMaterial: Buffer.from(`${key.line}\n`),
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: clusterTags(this.settings.clusterTag, this.name) }],
      }));
      this.state.keyPair = { name: this.group, id: out.KeyPairId ?? '', fingerprint: out.KeyFingerprint ?? key.fingerprint, created: true };
      this.save();
      this.change('key-pair', `key pair ${this.group}: imported ${key.type} key ${file}`);
      return;
    }
    if (!sameFingerprint(existing.KeyFingerprint, key.fingerprint)) {
      throw new DustError(ErrorCodes.ClusterConflict, `key pair ${this.group} already exists in ${this.region} with another key (${existing.KeyFingerprint}; ${file} is ${key.fingerprint})`, {
        hint: `point key: at the public key it was made from, or delete the key pair if it is a leftover (\`cluster down ${this.name}\` does, if dust created it)`,
      });
    }
    const created = this.state.keyPair?.created ?? managedBy(existing.Tags, this.settings.clusterTag, this.name);
    const record = { name: this.group, id: existing.KeyPairId ?? '', fingerprint: existing.KeyFingerprint ?? key.fingerprint, created };
    if (JSON.stringify(record) !== JSON.stringify(this.state.keyPair)) {
      this.state.keyPair = record;
      this.save();
    }
    this.settings.emit('key-pair', 'skip', `key pair ${this.group}: present`);
  }

  private async ensureSecurityGroup(): Promise<void> {
    this.settings.emit('security-group', 'start', `security group ${this.group}`);
    let vpcId: string | undefined;
    if (this.spec.subnet !== undefined) {
      const subnets = await this.send<{ Subnets?: { VpcId?: string }[] }>('DescribeSubnets', new this.sdk.DescribeSubnetsCommand({ SubnetIds: [this.spec.subnet] }));
      vpcId = subnets.Subnets?.[0]?.VpcId;
    }
    const found = await this.send<{ SecurityGroups?: SecurityGroup[] }>('DescribeSecurityGroups', new this.sdk.DescribeSecurityGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [this.group] }, ...(vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [])],
    }));
    const group = found.SecurityGroups?.[0];
    let groupId: string;
    if (!group) {
      const out = await this.send<{ GroupId?: string }>('CreateSecurityGroup', new this.sdk.CreateSecurityGroupCommand({
        GroupName: this.group,
        Description: `dust cluster ${this.name}: all traffic between its nodes, SSH from outside`,
        ...(vpcId ? { VpcId: vpcId } : {}),
        TagSpecifications: [{ ResourceType: 'security-group', Tags: clusterTags(this.settings.clusterTag, this.name) }],
      }));
      groupId = out.GroupId ?? '';
      this.state.securityGroup = { name: this.group, id: groupId, created: true, ...(vpcId ? { vpcId } : {}) };
      this.save();
      this.change('security-group', `security group ${this.group} (${groupId}): created`);
    } else {
      groupId = group.GroupId ?? '';
      const created = this.state.securityGroup?.id === groupId ? this.state.securityGroup.created : managedBy(group.Tags, this.settings.clusterTag, this.name);
      if (!created) {
        // dust changes the rules of the groups it made, never those of someone else's group.
        throw new DustError(ErrorCodes.ClusterConflict, `security group ${this.group} (${groupId}) already exists and dust did not create it`, {
          hint: 'rename or delete that group, or give this cluster another name',
        });
      }
      if (this.state.securityGroup?.id !== groupId) {
        this.state.securityGroup = { name: this.group, id: groupId, created, ...(group.VpcId ? { vpcId: group.VpcId } : {}) };
        this.save();
      }
    }
    await this.reconcileRules(groupId, group?.IpPermissions ?? []);
  }

  /** Brings the group's ingress rules to the spec: adds what is missing, revokes what the spec no longer lists. */
  private async reconcileRules(groupId: string, current: readonly IpPermission[]): Promise<void> {
    const wanted: Rule[] = [
      { protocol: '-1', from: undefined, to: undefined, source: { groupId }, description: `all traffic within cluster ${this.name}` },
      ...this.spec.ingress.ssh.map((cidr): Rule => ({ protocol: 'tcp', from: 22, to: 22, source: { cidr }, description: 'ssh' })),
      ...this.spec.ingress.ports.map((p): Rule => ({ protocol: 'tcp', from: p.port, to: p.to ?? p.port, source: { cidr: p.cidr }, description: `cluster ${this.name}` })),
    ];
    const have = flattenRules(current);
    const missing = wanted.filter((w) => !have.some((h) => sameRule(h, w)));
    const stale = have.filter((h) => !wanted.some((w) => sameRule(h, w)));
    if (missing.length > 0) {
      await this.send('AuthorizeSecurityGroupIngress', new this.sdk.AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: missing.map(toPermission) }));
    }
    if (stale.length > 0) {
      await this.send('RevokeSecurityGroupIngress', new this.sdk.RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: stale.map(toPermission) }));
    }
    if (missing.length > 0 || stale.length > 0) {
      const parts = [missing.length > 0 ? `${plural(missing.length, 'rule')} added (${missing.map(describeRule).join(', ')})` : '', stale.length > 0 ? `${plural(stale.length, 'rule')} removed (${stale.map(describeRule).join(', ')})` : ''].filter(Boolean);
      this.change('security-group', `security group ${this.group}: ${parts.join(', ')}`);
    } else {
      this.settings.emit('security-group', 'skip', `security group ${this.group} (${groupId}): rules as in the spec`);
    }
  }

  private async ensurePlacementGroup(): Promise<void> {
    if (this.spec.placement === 'none') {
      this.settings.emit('placement-group', 'skip', 'no placement group');
      return;
    }
    const found = await this.send<{ PlacementGroups?: PlacementGroup[] }>('DescribePlacementGroups', new this.sdk.DescribePlacementGroupsCommand({
      Filters: [{ Name: 'group-name', Values: [this.group] }],
    }));
    const existing = found.PlacementGroups?.[0];
    if (!existing) {
      const out = await this.send<{ PlacementGroup?: PlacementGroup }>('CreatePlacementGroup', new this.sdk.CreatePlacementGroupCommand({
        GroupName: this.group,
        Strategy: this.spec.placement,
        TagSpecifications: [{ ResourceType: 'placement-group', Tags: clusterTags(this.settings.clusterTag, this.name) }],
      }));
      this.state.placementGroup = { name: this.group, id: out.PlacementGroup?.GroupId ?? '', strategy: this.spec.placement, created: true };
      this.save();
      this.change('placement-group', `placement group ${this.group}: created (${this.spec.placement})`);
      return;
    }
    const created = this.state.placementGroup?.created ?? managedBy(existing.Tags, this.settings.clusterTag, this.name);
    if (!created) {
      throw new DustError(ErrorCodes.ClusterConflict, `placement group ${this.group} already exists and dust did not create it`, {
        hint: 'delete or rename that placement group, or give this cluster another name',
      });
    }
    if (existing.Strategy !== this.spec.placement) {
      throw new DustError(ErrorCodes.ClusterConflict, `placement group ${this.group} uses the ${existing.Strategy} strategy, and the spec asks for ${this.spec.placement}`, {
        hint: `a placement group cannot change strategy: \`cluster down ${this.name}\`, then \`cluster up\` again`,
      });
    }
    if (!this.state.placementGroup) {
      this.state.placementGroup = { name: this.group, id: existing.GroupId ?? '', strategy: this.spec.placement, created };
      this.save();
    }
    this.settings.emit('placement-group', 'skip', `placement group ${this.group}: present`);
  }

  private clusterFilter(): { Name: string; Values: string[] }[] {
    return [{ Name: `tag:${this.settings.clusterTag}`, Values: [this.name] }];
  }

  /**
   * Makes the cluster's instances match the spec: finishes launches a crash left unrecorded, launches
   * a head if there is none and the missing workers, starts stopped nodes and fixes Name tags.
   * Returns the live (not terminating) instances dust launched for this cluster.
   */
  private async reconcileInstances(): Promise<Instance[]> {
    let all = await listInstances(this.client, { filters: this.clusterFilter() });
    const foreign = all.filter((i) => !isGone(i) && !managedBy(i.Tags, this.settings.clusterTag, this.name));
    if (foreign.length > 0) {
      const names = foreign.map((i) => tagOf(i.Tags, 'Name') ?? i.InstanceId ?? '?');
      throw new DustError(ErrorCodes.ClusterConflict, `cluster ${this.name} has ${plural(foreign.length, 'instance')} dust did not launch from a spec (${names.join(', ')})`, {
        hint: `\`cluster down ${this.name}\` terminates them, or give this cluster another name`,
      });
    }
    // A launch recorded without ids: the process stopped between RunInstances and writing the answer down.
    for (const launch of this.state.launches.filter((l) => l.instanceIds.length === 0)) {
      const launched = await listInstances(this.client, { filters: [{ Name: 'client-token', Values: [launch.token] }] });
      if (launched.length > 0) {
        launch.instanceIds = [...launched].sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0)).map((i) => i.InstanceId ?? '');
      } else {
        this.state.launches = this.state.launches.filter((l) => l !== launch);
      }
      this.save();
      all = await listInstances(this.client, { filters: this.clusterFilter() });
    }

    let live = all.filter((i) => !isGone(i));
    if (!live.some((i) => roleOf(i) === 'head')) {
      const launched = await this.launch('head', [HEAD_NAME]);
      live = [...live, ...launched];
      this.state.subnetId = launched[0]?.SubnetId;
      this.save();
    }
    const head = live.find((i) => roleOf(i) === 'head') as Instance;
    if (this.state.subnetId === undefined && head.SubnetId) {
      this.state.subnetId = head.SubnetId;
      this.save();
    }

    const workers = live.filter((i) => roleOf(i) === 'worker');
    const missing = this.spec.workers.count - workers.length;
    if (missing > 0) {
      const taken = new Set(workers.map((w) => tagOf(w.Tags, 'Name')));
      const names: string[] = [];
      for (let i = 0; names.length < missing; i++) if (!taken.has(workerName(i))) names.push(workerName(i));
      live = [...live, ...(await this.launch('worker', names))];
    } else if (missing < 0) {
      this.settings.emit('launch-workers', 'skip', `${plural(workers.length, 'worker')} running, the spec asks for ${this.spec.workers.count}: dust leaves the extra ones (terminate them to scale down)`);
    } else {
      this.settings.emit('launch-workers', 'skip', `${plural(workers.length, 'worker')}: as in the spec`);
    }

    await this.startStopped(live);
    await this.fixNames(live);
    return live;
  }

  private async launch(role: NodeRole, names: string[]): Promise<Instance[]> {
    const step: LifecycleStep = role === 'head' ? 'launch-head' : 'launch-workers';
    this.currentStep = step;
    const type = role === 'head' ? this.spec.head.type : this.spec.workers.type;
    const imageId = await this.imageFor(type);
    const seq = this.state.launches.filter((l) => l.role === role).reduce((n, l) => Math.max(n, l.seq + 1), 0);
    const record: LaunchRecord = {
      role, seq, names, instanceIds: [],
      token: launchToken(this.name, this.region, this.state.launchId, role, seq),
      at: this.settings.now().toISOString(),
    };
    // Written down before asking EC2: if dust stops right after RunInstances, the token finds the instances.
    this.state.launches.push(record);
    this.save();
    const what = `${plural(names.length, role === 'head' ? 'head' : 'worker')} (${type}${this.spec.spot.enabled ? ', spot' : ''})`;
    this.settings.emit(step, 'start', `launching ${what}`);
    const tags = clusterTags(this.settings.clusterTag, this.name, { [CLUSTER_ROLE_TAG]: role, ...(names.length === 1 ? { Name: names[0] as string } : {}) });
    const subnet = this.spec.subnet ?? (role === 'worker' ? this.state.subnetId : undefined);
    const out = await this.send<{ Instances?: Instance[] }>('RunInstances', new this.sdk.RunInstancesCommand({
      ImageId: imageId,
      InstanceType: type as never,
      MinCount: names.length,
      MaxCount: names.length,
      KeyName: this.state.keyPair?.name,
      SecurityGroupIds: this.state.securityGroup ? [this.state.securityGroup.id] : undefined,
      ...(subnet ? { SubnetId: subnet } : {}),
      ...(this.state.placementGroup && this.spec.placement !== 'none' ? { Placement: { GroupName: this.state.placementGroup.name } } : {}),
      ...(this.spec.spot.enabled
        ? {
            InstanceMarketOptions: {
              MarketType: 'spot',
              SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate', ...(this.spec.spot.maxPrice ? { MaxPrice: this.spec.spot.maxPrice } : {}) },
            },
          }
        : {}),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        ...(this.spec.spot.enabled ? [{ ResourceType: 'spot-instances-request' as const, Tags: clusterTags(this.settings.clusterTag, this.name) }] : []),
      ],
      ClientToken: record.token,
    }));
    const instances = [...(out.Instances ?? [])].sort((a, b) => (a.AmiLaunchIndex ?? 0) - (b.AmiLaunchIndex ?? 0));
    record.instanceIds = instances.map((i) => i.InstanceId ?? '');
    this.save();
    // Clones of one launch share its tags; fixNames gives each its own Name right after.
    this.change(step, `launched ${what}: ${instances.map((i, k) => `${names[k]} ${i.InstanceId}`).join(', ')}`);
    return instances;
  }

  private readonly images = new Map<Architecture, string>();

  /** The AMI for an instance type: the spec's (checked against the type's architecture), else the newest default. */
  private async imageFor(instanceType: string): Promise<string> {
    const arch = architectureOf(instanceType);
    const known = this.images.get(arch);
    if (known) return known;
    let imageId: string;
    if (this.spec.image !== undefined) {
      const image = await describeImage(this.client, this.spec.image);
      if (image?.Architecture && image.Architecture !== arch) {
        throw new DustError(ErrorCodes.ClusterSpecInvalid, `image ${this.spec.image} is ${image.Architecture}, and ${instanceType} runs ${arch}`, {
          hint: 'pick instance types of the image\'s architecture, or another image (drop image: for the default)',
        });
      }
      imageId = this.spec.image;
    } else {
      const image = await newestDefaultImage(this.client, arch);
      if (!image?.ImageId) {
        const f = defaultImageFilter(arch);
        throw new DustError(ErrorCodes.ClusterProvision, `no default image for ${arch} in ${this.region} (owner ${f.owner}, name ${f.name})`, { hint: 'set image: in the spec' });
      }
      imageId = image.ImageId;
      this.settings.emit('image', 'done', `image ${imageId} (${image.Name ?? arch})`);
    }
    this.images.set(arch, imageId);
    return imageId;
  }

  private async startStopped(live: Instance[]): Promise<void> {
    const stopped = live.filter((i) => i.State?.Name === 'stopped');
    if (stopped.length === 0) return;
    this.currentStep = 'start-stopped';
    await this.send('StartInstances', new this.sdk.StartInstancesCommand({ InstanceIds: stopped.map((i) => i.InstanceId ?? '') }));
    for (const i of stopped) i.State = { Name: 'pending', Code: 0 };
    this.change('start-stopped', `started ${stopped.map((i) => tagOf(i.Tags, 'Name') ?? i.InstanceId).join(', ')}`);
  }

  /** Gives every node the Name its launch recorded (a crash between launch and naming leaves clones unnamed). */
  private async fixNames(live: Instance[]): Promise<void> {
    const wanted = new Map<string, string>();
    for (const l of this.state.launches) l.instanceIds.forEach((id, k) => wanted.set(id, l.names[k] ?? ''));
    const renamed: string[] = [];
    this.currentStep = 'name-tags';
    for (const i of live) {
      const name = wanted.get(i.InstanceId ?? '');
      if (!name || tagOf(i.Tags, 'Name') === name) continue;
      await this.send('CreateTags', new this.sdk.CreateTagsCommand({ Resources: [i.InstanceId ?? ''], Tags: [{ Key: 'Name', Value: name }] }));
      i.Tags = [...(i.Tags ?? []).filter((t) => t.Key !== 'Name'), { Key: 'Name', Value: name }];
      renamed.push(name);
    }
    if (renamed.length > 0) this.settings.emit('name-tags', 'done', `named ${renamed.join(', ')}`);
  }

  /** Waits until the head runs; a head that terminates or stops meanwhile is an error with EC2's reason. */
  private async waitForHead(headId: string): Promise<boolean> {
    const signal = this.deps.signal ?? new AbortController().signal;
    const timeoutMs = this.deps.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
    const outcome = await waitForState({
      client: this.client, ids: [headId], names: new Map([[headId, HEAD_NAME]]), target: 'running',
      progress: progressFor(this.settings.emit, 'wait-head'), signal,
      intervalMs: this.deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, timeoutMs, sleep: this.deps.sleep ?? realSleep,
      strandedWhen: (s) => STRANDED.has(s),
    });
    if (outcome.kind === 'done') {
      this.settings.emit('wait-head', 'done', `head ${headId} running`);
      return true;
    }
    if (outcome.kind === 'interrupted') return false;
    const state = outcome.states.get(headId) ?? 'gone';
    if (outcome.kind === 'timeout') {
      throw new DustError(ErrorCodes.ClusterNotReady, `the head (${headId}) is still ${state} after ${Math.round(timeoutMs / 1000)} s`, {
        hint: `\`cluster status ${this.name}\` shows where it is; \`cluster up\` again waits again`,
      });
    }
    const [instance] = await listInstances(this.client, { filters: [{ Name: 'instance-id', Values: [headId] }] });
    const reason = instance?.StateReason?.Message || instance?.StateReason?.Code;
    const spot = instance?.InstanceLifecycle === 'spot';
    throw new DustError(ErrorCodes.ClusterNotReady, `the head (${headId}) is ${state}${reason ? ` (${reason})` : ''}`, {
      hint: spot && /Spot/.test(reason ?? '')
        ? `EC2 took the spot capacity back: \`cluster up\` again launches a new head; raise spot.maxPrice or set spot.enabled: false if it keeps happening`
        : `\`cluster up\` again ${state === 'stopped' || state === 'stopping' ? 'starts it' : 'launches a new head'}`,
    });
  }

  private send<T>(action: string, command: unknown): Promise<T> {
    return sendEc2<T>(this.client, action, command);
  }
}

/** What the state says dust created, for error messages: `key pair dust-x, security group sg-…, head i-…`. */
export function createdSoFar(state: ClusterState): string[] {
  const out: string[] = [];
  if (state.keyPair?.created) out.push(`key pair ${state.keyPair.name}`);
  if (state.securityGroup?.created) out.push(`security group ${state.securityGroup.name} (${state.securityGroup.id})`);
  if (state.placementGroup?.created) out.push(`placement group ${state.placementGroup.name}`);
  for (const l of state.launches) {
    if (l.instanceIds.length > 0) out.push(l.instanceIds.map((id, k) => `${l.names[k] ?? l.role} ${id}`).join(', '));
    else out.push(`a launch of ${l.names.join(', ')} that may have started (its token finds it)`);
  }
  return out;
}

// ------------------------------------------------------------------------------- security group rules

interface Rule {
  protocol: string;
  from: number | undefined;
  to: number | undefined;
  source: { cidr: string } | { groupId: string };
  description: string | undefined;
}

/** EC2's IpPermissions (several sources per entry) as one rule per source, as EC2 stores them. */
function flattenRules(permissions: readonly IpPermission[]): Rule[] {
  return permissions.flatMap((p) => {
    const protocol = p.IpProtocol ?? '-1';
    const ports = protocol === '-1' ? { from: undefined, to: undefined } : { from: p.FromPort, to: p.ToPort };
    return [
      ...(p.IpRanges ?? []).map((r): Rule => ({ protocol, ...ports, source: { cidr: r.CidrIp ?? '' }, description: r.Description })),
      ...(p.UserIdGroupPairs ?? []).map((g): Rule => ({ protocol, ...ports, source: { groupId: g.GroupId ?? '' }, description: g.Description })),
      // IPv6 ranges and prefix lists are never dust's: keep them out of the comparison (never revoked).
    ];
  });
}

function sameRule(a: Rule, b: Rule): boolean {
  const src = (r: Rule) => ('cidr' in r.source ? `cidr:${r.source.cidr}` : `sg:${r.source.groupId}`);
  return a.protocol === b.protocol && a.from === b.from && a.to === b.to && src(a) === src(b);
}

function toPermission(r: Rule): IpPermission {
  return {
    IpProtocol: r.protocol,
    ...(r.protocol === '-1' ? {} : { FromPort: r.from, ToPort: r.to }),
    ...('cidr' in r.source
      ? { IpRanges: [{ CidrIp: r.source.cidr, ...(r.description ? { Description: r.description } : {}) }] }
      : { UserIdGroupPairs: [{ GroupId: r.source.groupId, ...(r.description ? { Description: r.description } : {}) }] }),
  };
}

function describeRule(r: Rule): string {
  const what = r.protocol === '-1' ? 'all traffic' : `${r.protocol} ${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;
  return `${what} from ${'cidr' in r.source ? r.source.cidr : 'the cluster itself'}`;
}
