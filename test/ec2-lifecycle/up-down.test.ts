import fs from 'node:fs';
import {
  CreateKeyPairCommand, CreatePlacementGroupCommand, CreateSecurityGroupCommand, DescribeKeyPairsCommand, DescribePlacementGroupsCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { down, readClusterState, stateFile, up } from '../../src/ec2/lifecycle/index.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { lifecycleFixture, type LifecycleFixture, READ_ONLY, REGION } from './fixture.js';

/** Everything in the region an unrelated user owns: compared before and after, it must not move. */
async function snapshotOthers(f: LifecycleFixture) {
  const instances = f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] !== 'spark1').map((i) => ({ id: i.id, state: i.state, tags: i.tags }));
  const groups = (await f.client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups?.filter((g) => g.GroupName !== 'dust-spark1')
    .map((g) => ({ id: g.GroupId, rules: g.IpPermissions, tags: g.Tags }));
  const keys = (await f.client.send(new DescribeKeyPairsCommand({}))).KeyPairs?.filter((k) => k.KeyName !== 'dust-spark1').map((k) => k.KeyPairId);
  const placement = (await f.client.send(new DescribePlacementGroupsCommand({}))).PlacementGroups?.filter((g) => g.GroupName !== 'dust-spark1').map((g) => g.GroupId);
  return { instances, groups, keys, placement };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { hint?: string }> {
  try {
    await promise;
  } catch (err) {
    expect(isDustError(err), String(err)).to.equal(true);
    expect((err as { code: string }).code, (err as Error).message).to.equal(code);
    expect((err as Error).message).to.not.contain('\n');
    return err as Error & { hint?: string };
  }
  throw new Error(`expected ${code}`);
}

describe('ec2 lifecycle: up and down against the emulator (real SDK)', function () {
  this.timeout(60_000);
  let f: LifecycleFixture;
  beforeEach(() => {
    f = lifecycleFixture();
  });
  afterEach(() => f.cleanup());

  it('up creates key pair, security group and nodes, tagged, returns with the head running; down leaves nothing and touches nothing else', async () => {
    // Someone else's things in the same region: dust must not touch them.
    f.core.seed(REGION, [{ name: 'db1', tags: { team: 'data' } }, { name: 'head', tags: { 'dust:cluster': 'other' } }]);
    await f.client.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web' }));
    await f.client.send(new CreateKeyPairCommand({ KeyName: 'alice', KeyType: 'ed25519' }));
    await f.client.send(new CreatePlacementGroupCommand({ GroupName: 'hpc', Strategy: 'cluster' }));
    const before = await snapshotOthers(f);

    const result = await up(f.spec({ workers: { count: 2 } }), f.deps);
    expect(result.ready).to.equal(true);
    expect(result.head).to.deep.include({ name: 'head', role: 'head', state: 'running', instanceType: 't3.micro', lifecycle: 'on-demand' });
    expect(result.head.address).to.equal(result.head.publicIp);
    expect(result.head.publicIp).to.be.a('string');
    expect(result.workers.map((w) => w.name)).to.deep.equal(['worker0', 'worker1']);
    expect(result.changes.join('\n')).to.match(/key pair dust-spark1: imported ed25519 key/);

    const mine = f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] === 'spark1');
    expect(mine.map((i) => [i.tags['Name'], i.tags['dust:cluster-role'], i.tags['dust:managed'], i.keyName])).to.have.deep.members([
      ['head', 'head', 'true', 'dust-spark1'], ['worker0', 'worker', 'true', 'dust-spark1'], ['worker1', 'worker', 'true', 'dust-spark1'],
    ]);
    // Workers follow the head into its zone.
    expect(new Set(mine.map((i) => i.availabilityZone)).size).to.equal(1);

    const sg = (await f.client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['dust-spark1'] }))).SecurityGroups?.[0];
    expect(sg?.Tags).to.deep.include({ Key: 'dust:cluster', Value: 'spark1' });
    const perms = sg?.IpPermissions ?? [];
    expect(perms.find((p) => p.IpProtocol === '-1')?.UserIdGroupPairs?.[0]?.GroupId).to.equal(sg?.GroupId);
    expect(perms.find((p) => p.FromPort === 22)?.IpRanges?.map((r) => r.CidrIp)).to.deep.equal(['0.0.0.0/0']);
    const key = (await f.client.send(new DescribeKeyPairsCommand({ KeyNames: ['dust-spark1'], IncludePublicKey: true }))).KeyPairs?.[0];
    expect(key?.PublicKey?.split(' ')[1]).to.equal(fs.readFileSync(f.keyFile, 'utf8').split(' ')[1]);

    const file = stateFile(f.home, 'spark1');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const state = readClusterState(f.home, 'spark1');
    expect(state).to.deep.include({ region: REGION, clusterTag: 'dust:cluster' });
    expect(state?.keyPair).to.deep.include({ name: 'dust-spark1', created: true });
    expect(state?.securityGroup).to.deep.include({ id: sg?.GroupId, created: true });
    expect(state?.launches.map((l) => [l.role, l.names, l.instanceIds.length])).to.deep.equal([['head', ['head'], 1], ['worker', ['worker0', 'worker1'], 2]]);
    expect(f.events.some((e) => e.step === 'wait-head' && e.phase === 'wait')).to.equal(true);

    const gone = await down('spark1', f.deps);
    expect(gone.terminated.map((t) => t.split(' ')[0]).sort()).to.deep.equal(['head', 'worker0', 'worker1']);
    expect(gone.deleted).to.deep.equal(['security group dust-spark1 (' + sg?.GroupId + ')', 'key pair dust-spark1']);
    expect(gone.kept).to.deep.equal([]);
    expect(fs.existsSync(file)).to.equal(false);
    expect(f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] === 'spark1').map((i) => i.state)).to.deep.equal(['terminated', 'terminated', 'terminated']);
    expect((await f.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['dust-spark1'] }] }))).SecurityGroups).to.deep.equal([]);
    expect((await f.client.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['dust-spark1'] }] }))).KeyPairs).to.deep.equal([]);
    expect(await snapshotOthers(f)).to.deep.equal(before);
    // And a second down finds nothing and changes nothing.
    const mark = f.mark();
    const again = await down('spark1', f.deps);
    expect(again).to.deep.include({ terminated: [], deleted: [], nothingFound: true });
    expect(f.since(mark).filter((r) => !READ_ONLY.test(r.action))).to.deep.equal([]);
  });

  it('running up twice changes nothing: the second run only describes', async () => {
    const spec = f.spec({ workers: { count: 3 }, ingress: { ssh: ['203.0.113.7/32'], ports: [{ port: 8080, cidr: '203.0.113.7/32' }] } });
    await up(spec, f.deps);
    const stateBefore = readClusterState(f.home, 'spark1');
    const mark = f.mark();
    const second = await up(spec, f.deps);
    expect(second.changes).to.deep.equal([]);
    expect(f.since(mark).map((r) => r.action).filter((a) => !READ_ONLY.test(a))).to.deep.equal([]);
    expect(f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] === 'spark1')).to.have.length(4);
    const stateAfter = readClusterState(f.home, 'spark1');
    expect({ ...stateAfter, updatedAt: '' }).to.deep.equal({ ...stateBefore, updatedAt: '' });
  });

  it('spot and a cluster placement group: spot instances in the group, one zone; down deletes the group too', async () => {
    const spec = f.spec({ head: { type: 'c6i.large' }, workers: { count: 2, type: 'c6i.xlarge' }, placement: 'cluster', spot: { enabled: true, maxPrice: '0.5' } });
    const result = await up(spec, f.deps);
    expect(result.head.lifecycle).to.equal('spot');
    expect(result.workers.map((w) => [w.lifecycle, w.instanceType])).to.deep.equal([['spot', 'c6i.xlarge'], ['spot', 'c6i.xlarge']]);
    const mine = f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] === 'spark1');
    expect(mine.map((i) => i.placementGroup)).to.deep.equal(['dust-spark1', 'dust-spark1', 'dust-spark1']);
    expect(new Set(mine.map((i) => i.availabilityZone)).size).to.equal(1);
    const runs = f.core.requestLog.filter((r) => r.action === 'RunInstances');
    expect(runs.map((r) => r.params['InstanceMarketOptions.SpotOptions.MaxPrice'])).to.deep.equal(['0.5', '0.5']);
    expect(runs.every((r) => r.params['ClientToken']?.startsWith('dust-'))).to.equal(true);
    const pg = (await f.client.send(new DescribePlacementGroupsCommand({ GroupNames: ['dust-spark1'] }))).PlacementGroups?.[0];
    expect(pg).to.deep.include({ Strategy: 'cluster' });
    expect(readClusterState(f.home, 'spark1')?.placementGroup).to.deep.include({ name: 'dust-spark1', created: true, strategy: 'cluster' });

    const gone = await down('spark1', f.deps);
    expect(gone.deleted[0]).to.equal('placement group dust-spark1');
    expect((await f.client.send(new DescribePlacementGroupsCommand({}))).PlacementGroups).to.deep.equal([]);
  });

  it('a spot max price below the market fails the head launch in one line naming the step and what exists; down cleans it', async () => {
    const err = await expectCode(up(f.spec({ spot: { enabled: true, maxPrice: '0.0001' } }), f.deps), ErrorCodes.ClusterProvision);
    expect(err.message).to.match(/^cluster up spark1: launching the head: EC2 RunInstances failed in us-east-1: Your Spot request price of 0\.0001 is lower than the minimum required Spot request fulfillment price of [0-9.]+\. \(SpotMaxPriceTooLow\); created so far: key pair dust-spark1, security group dust-spark1 \(sg-[0-9a-f]+\), a launch of head that may have started \(its token finds it\)$/);
    expect(err.hint).to.contain('`cluster down spark1` removes what was created');
    await down('spark1', f.deps);
    expect(readClusterState(f.home, 'spark1')).to.equal(undefined);
    expect((await f.client.send(new DescribeKeyPairsCommand({}))).KeyPairs).to.deep.equal([]);
  });

  for (const [what, action, after] of [
    ['the workers launch', 'RunInstances', 'launch-head'],
    ['the ingress rules', 'AuthorizeSecurityGroupIngress', 'security-group'],
    ['the placement group', 'CreatePlacementGroup', 'security-group'],
  ] as const) {
    it(`a fault halfway (${what}) leaves a cluster that down cleans completely, and up can also finish it`, async () => {
      const spec = f.spec({ head: { type: 'c6i.large' }, workers: { count: 2, type: 'c6i.large' }, placement: 'cluster' });
      let armed = false;
      f.deps.onProgress = (e) => {
        // Arm the fault once the step before it is under way, so everything earlier succeeds.
        if (!armed && e.step === after && (e.phase === 'done' || e.phase === 'start')) {
          armed = true;
          f.core.faults.add({ action, error: 'InsufficientInstanceCapacity' });
        }
      };
      const err = await expectCode(up(spec, f.deps), ErrorCodes.ClusterProvision);
      expect(err.message).to.match(/created so far: key pair dust-spark1, security group dust-spark1/);
      expect(err.message).to.contain('InsufficientInstanceCapacity');

      // up again continues from the state: it finishes without launching a second head.
      const fixed = await up(spec, f.deps);
      expect(fixed.workers.map((w) => w.name)).to.deep.equal(['worker0', 'worker1']);
      expect(f.core.instances(REGION).filter((i) => i.tags['Name'] === 'head')).to.have.length(1);

      const gone = await down('spark1', f.deps);
      expect(gone.deleted.map((d) => d.split(' (')[0])).to.deep.equal(['placement group dust-spark1', 'security group dust-spark1', 'key pair dust-spark1']);
      expect((await f.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['dust-spark1'] }] }))).SecurityGroups).to.deep.equal([]);
      expect((await f.client.send(new DescribePlacementGroupsCommand({}))).PlacementGroups).to.deep.equal([]);
      expect(f.core.instances(REGION).every((i) => i.state === 'terminated')).to.equal(true);
    });
  }

  it('a fault halfway, then down straight away: nothing is left', async () => {
    let armed = false;
    f.deps.onProgress = (e) => {
      if (!armed && e.step === 'launch-head' && e.phase === 'done') {
        armed = true;
        f.core.faults.add({ action: 'RunInstances', error: 'InternalError' });
      }
    };
    const err = await expectCode(up(f.spec({ workers: { count: 3 } }), f.deps), ErrorCodes.ClusterProvision);
    expect(err.message).to.match(/^cluster up spark1: launching workers: .*InternalError.*created so far: key pair dust-spark1, security group dust-spark1 \(sg-[0-9a-f]+\), head i-[0-9a-f]+, a launch of worker0, worker1, worker2 that may have started/);
    const gone = await down('spark1', f.deps);
    expect(gone.terminated.map((t) => t.split(' ')[0])).to.deep.equal(['head']);
    expect(readClusterState(f.home, 'spark1')).to.equal(undefined);
    expect((await f.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['dust-spark1'] }] }))).SecurityGroups).to.deep.equal([]);
    expect((await f.client.send(new DescribeKeyPairsCommand({}))).KeyPairs).to.deep.equal([]);
  });
});
