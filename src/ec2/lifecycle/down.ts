import type { EC2Client, Instance, KeyPairInfo, PlacementGroup, SecurityGroup } from '@aws-sdk/client-ec2';
import { DustError, isDustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { loadEc2Sdk } from '../sdk.js';
import { sendEc2 } from '../client.js';
import { listInstances } from '../inventory-provider.js';
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_WAIT_TIMEOUT_MS, realSleep, waitForState } from '../wait.js';
import type { LifecycleDeps, LifecycleStep } from './deps.js';
import { awsCodeOf, chunks, isGone, managedBy, plural, progressFor, settingsOf, tagOf } from './common.js';
import { resourceName } from './names.js';
import { type ClusterState, deleteClusterState, readClusterState, stateFile, writeClusterState } from './state.js';

/** What `down` did. */
export interface DownResult {
  name: string;
  region: string;
  /** Instances terminated by this call (`worker0 i-…`); instances already terminating are waited for, not listed. */
  terminated: string[];
  /** Resources deleted (`security group dust-spark1 (sg-…)`). */
  deleted: string[];
  /** Resources of the cluster dust did not create, left alone. */
  kept: string[];
  /** Nothing of the cluster was left: no state file, no instance that was not terminated, no resource. */
  nothingFound: boolean;
}

/** EC2 filters take at most 200 values; TerminateInstances is happiest with a few hundred ids per call. */
const FILTER_VALUES = 200;
const TERMINATE_BATCH = 500;

/**
 * Takes a cluster down: terminates every instance carrying its cluster tag (and any its state file
 * lists), waits until they are terminated, then deletes the placement group, security group and key
 * pair — only those dust created (the state file says so; without one, dust's own tags do). It
 * tolerates partial state: anything already gone is skipped. The state file is removed at the end;
 * on failure it is kept, updated, and the error names what is left, so running `down` again finishes.
 */
export async function down(name: string, deps: LifecycleDeps): Promise<DownResult> {
  const settings = settingsOf(deps);
  const state = readClusterState(deps.dustHome, name);
  const region = state?.region ?? deps.defaultRegion;
  if (region === undefined) {
    throw new DustError(ErrorCodes.ClusterTeardown, `cluster down ${name}: no state file and no region to look in`, {
      hint: 'give dust a region (--region, AWS_REGION)',
    });
  }
  const client = await deps.client(region);
  const teardown = new Teardown(name, region, state, deps, client, settings.clusterTag);
  return teardown.run();
}

class Teardown {
  private readonly sdk = loadEc2Sdk();
  private readonly settings;
  private readonly result: DownResult;
  private readonly group: string;

  constructor(
    private readonly name: string,
    private readonly region: string,
    private readonly state: ClusterState | undefined,
    private readonly deps: LifecycleDeps,
    private readonly client: EC2Client,
    private readonly clusterTag: string,
  ) {
    this.settings = settingsOf(deps);
    this.group = resourceName(name);
    this.result = { name, region, terminated: [], deleted: [], kept: [], nothingFound: false };
  }

  async run(): Promise<DownResult> {
    const instances = await this.step('terminate', () => this.terminate());
    await this.step('delete-placement-group', () => this.deletePlacementGroup());
    await this.step('delete-security-group', () => this.deleteSecurityGroup());
    await this.step('delete-key-pair', () => this.deleteKeyPair());
    this.result.nothingFound = instances === 0 && this.result.deleted.length === 0 && this.result.kept.length === 0 && this.state === undefined;
    deleteClusterState(this.deps.dustHome, this.name);
    return this.result;
  }

  private async step<T>(step: LifecycleStep, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const inner = isDustError(err) ? err : undefined;
      const done = [...this.result.terminated.length > 0 ? [`terminated ${this.result.terminated.join(', ')}`] : [], ...this.result.deleted.map((d) => `deleted ${d}`)];
      const left = this.state ? ` (the state file ${stateFile(this.deps.dustHome, this.name)} lists what is left)` : '';
      throw new DustError(ErrorCodes.ClusterTeardown,
        `cluster down ${this.name}: ${step.replace(/-/g, ' ')}: ${inner?.message ?? (err instanceof Error ? err.message : String(err))}${done.length > 0 ? `; done so far: ${done.join(', ')}` : ''}`,
        { hint: [inner?.hint, `run \`cluster down ${this.name}\` again to finish${left}`].filter(Boolean).join('; '), cause: err });
    }
  }

  private save(): void {
    if (this.state) writeClusterState(this.deps.dustHome, this.state, this.settings.now());
  }

  /** Terminates the cluster's instances and waits until they are terminated. Returns how many were not terminated yet. */
  private async terminate(): Promise<number> {
    const byTag = await listInstances(this.client, { filters: [{ Name: `tag:${this.clusterTag}`, Values: [this.name] }] });
    const known = new Set(byTag.map((i) => i.InstanceId));
    const recorded = (this.state?.launches ?? []).flatMap((l) => l.instanceIds).filter((id) => id !== '' && !known.has(id));
    const extra: Instance[] = [];
    for (const ids of chunks(recorded, FILTER_VALUES)) {
      // A filter, not InstanceIds: ids EC2 has forgotten (terminated long ago) are simply not listed.
      extra.push(...(await listInstances(this.client, { filters: [{ Name: 'instance-id', Values: ids }] })));
    }
    const all = [...byTag, ...extra];
    const nameOf = (i: Instance) => `${tagOf(i.Tags, 'Name') ?? '?'} ${i.InstanceId}`;
    const act = all.filter((i) => !isGone(i));
    if (act.length > 0) {
      this.settings.emit('terminate', 'start', `terminating ${plural(act.length, 'instance')}`);
      for (const batch of chunks(act, TERMINATE_BATCH)) {
        await sendEc2(this.client, 'TerminateInstances', new this.sdk.TerminateInstancesCommand({ InstanceIds: batch.map((i) => i.InstanceId ?? '') }));
      }
      this.result.terminated.push(...act.map(nameOf));
      this.settings.emit('terminate', 'done', `terminating ${act.map(nameOf).join(', ')}`);
    }
    const waiting = all.filter((i) => i.State?.Name !== 'terminated').map((i) => i.InstanceId ?? '');
    if (waiting.length > 0) {
      const timeoutMs = this.deps.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
      const outcome = await waitForState({
        client: this.client, ids: waiting, names: new Map(all.map((i) => [i.InstanceId ?? '', tagOf(i.Tags, 'Name') ?? i.InstanceId ?? ''])),
        target: 'terminated', progress: progressFor(this.settings.emit, 'wait-terminated'), signal: this.deps.signal ?? new AbortController().signal,
        intervalMs: this.deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, timeoutMs, sleep: this.deps.sleep ?? realSleep,
      });
      if (outcome.kind !== 'done') {
        const pending = [...outcome.states].filter(([, s]) => s !== 'terminated').map(([id, s]) => `${id} ${s}`);
        throw new DustError(ErrorCodes.ClusterTeardown, `${outcome.kind === 'interrupted' ? 'stopped waiting' : `gave up after ${Math.round(timeoutMs / 1000)} s`} with ${pending.join(', ')} not terminated yet`, {
          hint: 'the termination carries on in EC2; the groups and the key pair can only go once the instances are gone',
        });
      }
      this.settings.emit('wait-terminated', 'done', `${plural(waiting.length, 'instance')} terminated`);
    }
    if (this.state && this.state.launches.length > 0) {
      this.state.launches = [];
      this.save();
    }
    return waiting.length;
  }

  /** Retries `fn` while EC2 still sees a dependency (it lags behind instance termination), then gives up. */
  private async retryDependency(fn: () => Promise<void>, codes: readonly string[]): Promise<void> {
    const retries = this.deps.dependencyRetries ?? 10;
    const sleep = this.deps.sleep ?? realSleep;
    const signal = this.deps.signal ?? new AbortController().signal;
    for (let attempt = 0; ; attempt++) {
      try {
        await fn();
        return;
      } catch (err) {
        if (!codes.includes(awsCodeOf(err) ?? '') || attempt >= retries) throw err;
        if (!(await sleep(this.deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, signal))) throw err;
      }
    }
  }

  private async deletePlacementGroup(): Promise<void> {
    let record = this.state?.placementGroup;
    if (!record) {
      const found = await sendEc2<{ PlacementGroups?: PlacementGroup[] }>(this.client, 'DescribePlacementGroups', new this.sdk.DescribePlacementGroupsCommand({
        Filters: [{ Name: 'group-name', Values: [this.group] }],
      }));
      const g = found.PlacementGroups?.[0];
      if (!g) return;
      record = { name: this.group, id: g.GroupId ?? '', strategy: g.Strategy ?? '', created: managedBy(g.Tags, this.clusterTag, this.name) };
    }
    const label = `placement group ${record.name}`;
    if (!record.created) {
      this.result.kept.push(`${label} (dust did not create it)`);
      return;
    }
    const name = record.name;
    await this.retryDependency(async () => {
      try {
        await sendEc2(this.client, 'DeletePlacementGroup', new this.sdk.DeletePlacementGroupCommand({ GroupName: name }));
        this.result.deleted.push(label);
        this.settings.emit('delete-placement-group', 'done', `deleted ${label}`);
      } catch (err) {
        if (awsCodeOf(err) !== 'InvalidPlacementGroup.Unknown') throw err;
      }
    }, ['InvalidPlacementGroup.InUse']);
    if (this.state) {
      delete this.state.placementGroup;
      this.save();
    }
  }

  private async deleteSecurityGroup(): Promise<void> {
    let record = this.state?.securityGroup;
    if (!record) {
      const found = await sendEc2<{ SecurityGroups?: SecurityGroup[] }>(this.client, 'DescribeSecurityGroups', new this.sdk.DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'group-name', Values: [this.group] }, { Name: `tag:${this.clusterTag}`, Values: [this.name] }],
      }));
      const g = found.SecurityGroups?.[0];
      if (!g) return;
      record = { name: this.group, id: g.GroupId ?? '', created: managedBy(g.Tags, this.clusterTag, this.name) };
    }
    const label = `security group ${record.name} (${record.id})`;
    if (!record.created) {
      this.result.kept.push(`${label} (dust did not create it)`);
      return;
    }
    const id = record.id;
    try {
      await this.retryDependency(async () => {
        try {
          await sendEc2(this.client, 'DeleteSecurityGroup', new this.sdk.DeleteSecurityGroupCommand({ GroupId: id }));
          this.result.deleted.push(label);
          this.settings.emit('delete-security-group', 'done', `deleted ${label}`);
        } catch (err) {
          if (awsCodeOf(err) !== 'InvalidGroup.NotFound') throw err;
        }
      }, ['DependencyViolation']);
    } catch (err) {
      if (awsCodeOf(err) !== 'DependencyViolation') throw err;
      // Say who still holds it: an instance outside the cluster that was given the group, usually.
      const users = (await listInstances(this.client, { filters: [{ Name: 'instance.group-id', Values: [id] }] })).filter((i) => !isGone(i));
      throw new DustError(ErrorCodes.ClusterTeardown, `${label} is still in use${users.length > 0 ? ` by ${users.map((i) => `${tagOf(i.Tags, 'Name') ?? '?'} ${i.InstanceId}`).join(', ')}` : ' (network interfaces EC2 has not released yet)'}`, {
        hint: users.length > 0 ? 'take those instances out of the group (or terminate them)' : 'wait a minute', cause: err,
      });
    }
    if (this.state) {
      delete this.state.securityGroup;
      this.save();
    }
  }

  private async deleteKeyPair(): Promise<void> {
    let record = this.state?.keyPair;
    if (!record) {
      const found = await sendEc2<{ KeyPairs?: KeyPairInfo[] }>(this.client, 'DescribeKeyPairs', new this.sdk.DescribeKeyPairsCommand({
        Filters: [{ Name: 'key-name', Values: [this.group] }],
      }));
      const k = found.KeyPairs?.[0];
      if (!k) return;
      record = { name: this.group, id: k.KeyPairId ?? '', fingerprint: k.KeyFingerprint ?? '', created: managedBy(k.Tags, this.clusterTag, this.name) };
    }
    const label = `key pair ${record.name}`;
    if (!record.created) {
      this.result.kept.push(`${label} (dust did not create it)`);
      return;
    }
    // DeleteKeyPair succeeds for a key that is already gone.
    await sendEc2(this.client, 'DeleteKeyPair', new this.sdk.DeleteKeyPairCommand({ KeyName: record.name }));
    this.result.deleted.push(label);
    this.settings.emit('delete-key-pair', 'done', `deleted ${label}`);
    if (this.state) {
      delete this.state.keyPair;
      this.save();
    }
  }
}
