import {
  CreatePlacementGroupCommand, CreateTagsCommand, DeletePlacementGroupCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribePlacementGroupsCommand, type Instance, RunInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

type Client = ReturnType<ReturnType<typeof harness>['client']>;

async function imageOf(c: Client): Promise<string> {
  const out = await c.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
  return out.Images?.[0]?.ImageId as string;
}

async function instancesById(c: Client, ids: string[]): Promise<Instance[]> {
  const out = await c.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

describe('ec2 emulator: placement groups', function () {
  this.timeout(30_000);

  it('create (cluster, spread, partition), describe with names, ids and filters, tag, delete', async () => {
    const h = harness();
    const c = h.client();
    const created = await c.send(new CreatePlacementGroupCommand({
      GroupName: 'hpc', Strategy: 'cluster', TagSpecifications: [{ ResourceType: 'placement-group', Tags: [{ Key: 'dust:cluster', Value: 'spark1' }] }],
    }));
    expect(created.PlacementGroup).to.deep.include({ GroupName: 'hpc', State: 'available', Strategy: 'cluster' });
    expect(created.PlacementGroup?.GroupId).to.match(/^pg-[0-9a-f]{17}$/);
    expect(created.PlacementGroup?.GroupArn).to.equal('arn:aws:ec2:us-east-1:123456789012:placement-group/hpc');
    expect(created.PlacementGroup?.Tags).to.deep.equal([{ Key: 'dust:cluster', Value: 'spark1' }]);
    const spread = await c.send(new CreatePlacementGroupCommand({ GroupName: 'etcd', Strategy: 'spread' }));
    expect(spread.PlacementGroup?.SpreadLevel).to.equal('rack');
    const part = await c.send(new CreatePlacementGroupCommand({ GroupName: 'hdfs', Strategy: 'partition', PartitionCount: 3 }));
    expect(part.PlacementGroup?.PartitionCount).to.equal(3);

    const all = await c.send(new DescribePlacementGroupsCommand({}));
    expect(all.PlacementGroups?.map((g) => g.GroupName)).to.deep.equal(['etcd', 'hdfs', 'hpc']);
    const byName = await c.send(new DescribePlacementGroupsCommand({ GroupNames: ['hpc'] }));
    expect(byName.PlacementGroups?.[0]?.GroupId).to.equal(created.PlacementGroup?.GroupId);
    const byId = await c.send(new DescribePlacementGroupsCommand({ GroupIds: [part.PlacementGroup?.GroupId as string] }));
    expect(byId.PlacementGroups?.map((g) => g.GroupName)).to.deep.equal(['hdfs']);
    const byFilter = await c.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'strategy', Values: ['spread', 'partition'] }] }));
    expect(byFilter.PlacementGroups?.map((g) => g.GroupName)).to.deep.equal(['etcd', 'hdfs']);
    const byTag = await c.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: 'tag:dust:cluster', Values: ['spark1'] }] }));
    expect(byTag.PlacementGroups?.map((g) => g.GroupName)).to.deep.equal(['hpc']);

    await c.send(new CreateTagsCommand({ Resources: [spread.PlacementGroup?.GroupId as string], Tags: [{ Key: 'role', Value: 'quorum' }] }));
    const tagged = await c.send(new DescribePlacementGroupsCommand({ GroupNames: ['etcd'] }));
    expect(tagged.PlacementGroups?.[0]?.Tags).to.deep.equal([{ Key: 'role', Value: 'quorum' }]);

    expect((await c.send(new DeletePlacementGroupCommand({ GroupName: 'etcd' }))).$metadata.httpStatusCode).to.equal(200);
    const unknown = await expectEc2Error(c.send(new DescribePlacementGroupsCommand({ GroupNames: ['etcd'] })), 'InvalidPlacementGroup.Unknown');
    expect(unknown.message).to.equal("The Placement Group 'etcd' is unknown.");
  });

  it('refuses duplicates, bad strategies, partition counts out of range and unknown groups', async () => {
    const h = harness();
    const c = h.client();
    await c.send(new CreatePlacementGroupCommand({ GroupName: 'g', Strategy: 'cluster' }));
    const dup = await expectEc2Error(c.send(new CreatePlacementGroupCommand({ GroupName: 'g', Strategy: 'spread' })), 'InvalidPlacementGroup.Duplicate');
    expect(dup.message).to.equal("The Placement Group 'g' already exists.");
    await expectEc2Error(c.send(new CreatePlacementGroupCommand({ GroupName: 'h', Strategy: 'diagonal' as never })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new CreatePlacementGroupCommand({ GroupName: 'h', Strategy: 'partition', PartitionCount: 8 })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new CreatePlacementGroupCommand({ GroupName: 'h', Strategy: 'cluster', PartitionCount: 2 })), 'InvalidParameterCombination');
    await expectEc2Error(c.send(new CreatePlacementGroupCommand({ GroupName: 'h' })), 'MissingParameter');
    await expectEc2Error(c.send(new DeletePlacementGroupCommand({ GroupName: 'nope' })), 'InvalidPlacementGroup.Unknown');
    await expectEc2Error(c.send(new DescribePlacementGroupsCommand({ GroupIds: ['pg-xyz'] })), 'InvalidPlacementGroupId.Malformed');
    expect((await c.send(new DescribePlacementGroupsCommand({}))).PlacementGroups?.map((g) => g.GroupName)).to.deep.equal(['g']);
  });

  it('RunInstances places instances in the group (validated), DescribeInstances shows it, deleting a group in use is refused', async () => {
    const h = harness({ delays: { pending: 0, shuttingDown: 0 } });
    const c = h.client();
    const imageId = await imageOf(c);
    await expectEc2Error(
      c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, Placement: { GroupName: 'missing' } })),
      'InvalidPlacementGroup.Unknown',
    );
    const group = await c.send(new CreatePlacementGroupCommand({ GroupName: 'hpc', Strategy: 'cluster' }));
    const run = await c.send(new RunInstancesCommand({
      ImageId: imageId, InstanceType: 'c6i.large', MinCount: 2, MaxCount: 2, Placement: { GroupName: 'hpc', AvailabilityZone: 'us-east-1b' },
    }));
    const ids = run.Instances?.map((i) => i.InstanceId as string) ?? [];
    expect(run.Instances?.[0]?.Placement).to.deep.include({ GroupName: 'hpc', GroupId: group.PlacementGroup?.GroupId, AvailabilityZone: 'us-east-1b' });
    const listed = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'placement-group-name', Values: ['hpc'] }] }));
    expect(listed.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId).sort()).to.deep.equal([...ids].sort());

    // A cluster group is one zone: an unpinned launch joins it there, a launch pinned elsewhere is refused.
    const joined = await c.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 'c6i.large', MinCount: 1, MaxCount: 1, Placement: { GroupName: 'hpc' } }));
    expect(joined.Instances?.[0]?.Placement?.AvailabilityZone).to.equal('us-east-1b');
    const elsewhere = await expectEc2Error(
      c.send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 'c6i.large', MinCount: 1, MaxCount: 1, Placement: { GroupName: 'hpc', AvailabilityZone: 'us-east-1c' } })),
      'InvalidPlacementGroup.InUse',
    );
    expect(elsewhere.message).to.equal("The placement group 'hpc' is in use in another availability zone: us-east-1b");

    const inUse = await expectEc2Error(c.send(new DeletePlacementGroupCommand({ GroupName: 'hpc' })), 'InvalidPlacementGroup.InUse');
    expect(inUse.message).to.equal("The placement group 'hpc' is in use and may not be deleted.");
    await c.send(new TerminateInstancesCommand({ InstanceIds: [...ids, joined.Instances?.[0]?.InstanceId as string] }));
    // Terminated instances leave the group: it can be deleted while they are still listed.
    expect((await instancesById(c, ids)).map((i) => i.State?.Name)).to.deep.equal(['terminated', 'terminated']);
    await c.send(new DeletePlacementGroupCommand({ GroupName: 'hpc' }));
  });

  it('partition groups spread instances over partitions; PartitionNumber is checked', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await imageOf(c);
    await c.send(new CreatePlacementGroupCommand({ GroupName: 'hdfs', Strategy: 'partition', PartitionCount: 3 }));
    const run = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 4, MaxCount: 4, Placement: { GroupName: 'hdfs' } }));
    expect(run.Instances?.map((i) => i.Placement?.PartitionNumber)).to.deep.equal([1, 2, 3, 1]);
    const pinned = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, Placement: { GroupName: 'hdfs', PartitionNumber: 3 } }));
    expect(pinned.Instances?.[0]?.Placement?.PartitionNumber).to.equal(3);
    const filtered = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'placement-partition-number', Values: ['3'] }] }));
    expect(filtered.Reservations?.flatMap((r) => r.Instances ?? [])).to.have.length(2);
    await expectEc2Error(
      c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, Placement: { GroupName: 'hdfs', PartitionNumber: 4 } })),
      'InvalidParameterValue',
    );
    await c.send(new CreatePlacementGroupCommand({ GroupName: 'etcd', Strategy: 'spread' }));
    await expectEc2Error(
      c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, Placement: { GroupName: 'etcd', PartitionNumber: 1 } })),
      'InvalidParameterCombination',
    );
  });
});
