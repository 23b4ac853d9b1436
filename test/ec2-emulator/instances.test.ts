import {
  CreateKeyPairCommand, CreateSecurityGroupCommand, DescribeImagesCommand, DescribeInstancesCommand, type Instance,
  RebootInstancesCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
  waitUntilInstanceRunning, waitUntilInstanceStopped,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { PIN_PUBLIC_IP_TAG } from '../../src/ec2/emulator/index.js';
import { expectEc2Error, harness } from './helpers.js';

async function allInstances(client: ReturnType<ReturnType<typeof harness>['client']>, ids?: string[]): Promise<Instance[]> {
  const out = await client.send(new DescribeInstancesCommand(ids ? { InstanceIds: ids } : {}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

async function firstImage(client: ReturnType<ReturnType<typeof harness>['client']>): Promise<string> {
  const out = await client.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
  return out.Images?.[0]?.ImageId as string;
}

describe('ec2 emulator: instances', function () {
  this.timeout(30_000);

  it('DescribeInstances returns every field a real answer has', async () => {
    const h = harness();
    const [id] = h.core.seed('us-east-1', [
      { name: 'web-1', type: 't3.micro', tags: { Role: 'web' }, keyName: 'demo-key', publicIp: '127.0.0.2', privateIp: '10.0.0.12', availabilityZone: 'us-east-1b' },
    ]);
    const out = await h.client().send(new DescribeInstancesCommand({}));
    expect(out.Reservations).to.have.length(1);
    const reservation = out.Reservations?.[0];
    expect(reservation?.ReservationId).to.match(/^r-[0-9a-f]{17}$/);
    expect(reservation?.OwnerId).to.equal('123456789012');
    const i = reservation?.Instances?.[0] as Instance;
    expect(i.InstanceId).to.equal(id);
    expect(i.InstanceId).to.match(/^i-[0-9a-f]{17}$/);
    expect(i.ImageId).to.match(/^ami-/);
    expect(i.InstanceType).to.equal('t3.micro');
    expect(i.State).to.deep.equal({ Code: 16, Name: 'running' });
    expect(i.PublicIpAddress).to.equal('127.0.0.2');
    expect(i.PrivateIpAddress).to.equal('10.0.0.12');
    expect(i.PublicDnsName).to.equal('ec2-127-0-0-2.compute-1.amazonaws.com');
    expect(i.PrivateDnsName).to.equal('ip-10-0-0-12.ec2.internal');
    expect(i.KeyName).to.equal('demo-key');
    expect(i.LaunchTime).to.be.instanceOf(Date);
    expect(i.LaunchTime?.toISOString()).to.equal('2026-01-01T12:00:00.000Z');
    expect(i.Placement?.AvailabilityZone).to.equal('us-east-1b');
    expect(i.Placement?.Tenancy).to.equal('default');
    expect(i.VpcId).to.match(/^vpc-/);
    expect(i.SubnetId).to.match(/^subnet-/);
    expect(i.SecurityGroups).to.have.length(1);
    expect(i.SecurityGroups?.[0]?.GroupName).to.equal('default');
    expect(i.Tags).to.deep.include({ Key: 'Name', Value: 'web-1' });
    expect(i.Tags).to.deep.include({ Key: 'Role', Value: 'web' });
    expect(i.Architecture).to.equal('x86_64');
    expect(i.StateTransitionReason).to.equal('');
    expect(i.RootDeviceType).to.equal('ebs');
    expect(i.BlockDeviceMappings?.[0]?.DeviceName).to.equal(i.RootDeviceName);
    expect(i.BlockDeviceMappings?.[0]?.Ebs?.VolumeId).to.match(/^vol-/);
    expect(i.NetworkInterfaces).to.have.length(1);
    const eni = i.NetworkInterfaces?.[0];
    expect(eni?.NetworkInterfaceId).to.match(/^eni-/);
    expect(eni?.PrivateIpAddress).to.equal('10.0.0.12');
    expect(eni?.Association?.PublicIp).to.equal('127.0.0.2');
    expect(eni?.SubnetId).to.equal(i.SubnetId);
    expect(i.Monitoring?.State).to.equal('disabled');
    expect(i.ProductCodes).to.deep.equal([]);
    expect(i.EbsOptimized).to.equal(false);
    expect(i.AmiLaunchIndex).to.equal(0);
    expect(i.VirtualizationType).to.equal('hvm');
    expect(out.$metadata.requestId).to.match(/^[0-9a-f-]{36}$/);
    expect(out.NextToken).to.equal(undefined);
  });

  it('RunInstances launches MaxCount instances in one reservation with tags, key and groups', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await firstImage(c);
    await c.send(new CreateKeyPairCommand({ KeyName: 'demo-key', KeyType: 'ed25519' }));
    const sg = await c.send(new CreateSecurityGroupCommand({ GroupName: 'cluster-sg', Description: 'cluster' }));
    const out = await c.send(new RunInstancesCommand({
      ImageId: imageId, InstanceType: 't3.small', MinCount: 1, MaxCount: 3, KeyName: 'demo-key',
      SecurityGroupIds: [sg.GroupId as string], Placement: { AvailabilityZone: 'us-east-1c' },
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Cluster', Value: 'demo' }, { Key: 'Empty', Value: '' }] }],
    }));
    expect(out.ReservationId).to.match(/^r-/);
    expect(out.OwnerId).to.equal('123456789012');
    expect(out.Instances).to.have.length(3);
    expect(out.Instances?.map((i) => i.AmiLaunchIndex)).to.deep.equal([0, 1, 2]);
    for (const i of out.Instances ?? []) {
      expect(i.State).to.deep.equal({ Code: 0, Name: 'pending' });
      expect(i.KeyName).to.equal('demo-key');
      expect(i.InstanceType).to.equal('t3.small');
      expect(i.SecurityGroups).to.deep.equal([{ GroupId: sg.GroupId, GroupName: 'cluster-sg' }]);
      expect(i.Placement?.AvailabilityZone).to.equal('us-east-1c');
      expect(i.Tags).to.deep.equal([{ Key: 'Cluster', Value: 'demo' }, { Key: 'Empty', Value: '' }]);
    }
    const described = await allInstances(c);
    expect(described.map((i) => i.InstanceId)).to.deep.equal(out.Instances?.map((i) => i.InstanceId));
  });

  it('RunInstances validates its parameters like EC2', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await firstImage(c);
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1 })), 'InvalidAMIID.NotFound');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: 'nope', MinCount: 1, MaxCount: 1 })), 'InvalidAMIID.Malformed');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, KeyName: 'missing' })), 'InvalidKeyPair.NotFound');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, SecurityGroupIds: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 3, MaxCount: 2 })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'aws:x', Value: 'y' }] }] })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId } as never)), 'MissingParameter');
    expect(h.core.instances('us-east-1')).to.have.length(0);
  });

  it('a repeated ClientToken returns the original reservation instead of launching again', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await firstImage(c);
    const first = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2, ClientToken: 'token-1' }));
    const second = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2, ClientToken: 'token-1' }));
    expect(second.ReservationId).to.equal(first.ReservationId);
    expect(second.Instances?.map((i) => i.InstanceId)).to.deep.equal(first.Instances?.map((i) => i.InstanceId));
    expect(h.core.instances('us-east-1')).to.have.length(2);
  });

  it('a ClientToken reused with other parameters is refused with IdempotentParameterMismatch, launching nothing', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await firstImage(c);
    const first = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', ClientToken: 'token-2' }));
    const err = await expectEc2Error(
      c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.small', ClientToken: 'token-2' })),
      'IdempotentParameterMismatch',
    );
    expect(err.message).to.equal('Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    await expectEc2Error(
      c.send(new RunInstancesCommand({
        ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', ClientToken: 'token-2',
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'other' }] }],
      })),
      'IdempotentParameterMismatch',
    );
    // The identical request still answers with the original reservation, even after it was terminated.
    await c.send(new TerminateInstancesCommand({ InstanceIds: [first.Instances?.[0]?.InstanceId as string] }));
    const again = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', ClientToken: 'token-2' }));
    expect(again.ReservationId).to.equal(first.ReservationId);
    expect(again.Instances?.[0]?.State?.Name).to.equal('shutting-down');
    expect(h.core.instances('us-east-1')).to.have.length(1);
  });

  it('lifecycle: pending → running and stopping → stopped follow the fake clock', async () => {
    const h = harness({ delays: { pending: 2000, stopping: 3000 } });
    const c = h.client();
    const run = await c.send(new RunInstancesCommand({ ImageId: await firstImage(c), MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    expect((await allInstances(c, [id]))[0]?.State?.Name).to.equal('pending');
    h.clock.advance(1999);
    expect((await allInstances(c, [id]))[0]?.State?.Name).to.equal('pending');
    h.clock.advance(1);
    const running = (await allInstances(c, [id]))[0];
    expect(running?.State).to.deep.equal({ Code: 16, Name: 'running' });
    expect(running?.StateReason).to.equal(undefined);

    const stop = await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances).to.deep.equal([
      { InstanceId: id, CurrentState: { Code: 64, Name: 'stopping' }, PreviousState: { Code: 16, Name: 'running' } },
    ]);
    h.clock.advance(2999);
    expect((await allInstances(c, [id]))[0]?.State?.Name).to.equal('stopping');
    h.clock.advance(1);
    const stopped = (await allInstances(c, [id]))[0];
    expect(stopped?.State).to.deep.equal({ Code: 80, Name: 'stopped' });
    expect(stopped?.StateTransitionReason).to.match(/^User initiated \(2026-01-01 12:00:02 GMT\)$/);
    expect(stopped?.StateReason?.Code).to.equal('Client.UserInitiatedShutdown');
    // A stopped instance loses its (non-pinned) public address, as in EC2.
    expect(stopped?.PublicIpAddress).to.equal(undefined);
    expect(stopped?.PrivateIpAddress).to.match(/^172\.31\./);

    const start = await c.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances?.[0]?.CurrentState).to.deep.equal({ Code: 0, Name: 'pending' });
    expect(start.StartingInstances?.[0]?.PreviousState).to.deep.equal({ Code: 80, Name: 'stopped' });
    h.clock.advance(2000);
    const again = (await allInstances(c, [id]))[0];
    expect(again?.State?.Name).to.equal('running');
    expect(again?.PublicIpAddress).to.match(/^198\.51\.100\./);
  });

  it('with zero delays, action responses still report the transitional state and the next read has settled', async () => {
    const h = harness({ delays: { pending: 0, stopping: 0, shuttingDown: 0 } });
    const c = h.client();
    const run = await c.send(new RunInstancesCommand({ ImageId: await firstImage(c), MinCount: 1, MaxCount: 1 }));
    const id = run.Instances?.[0]?.InstanceId as string;
    expect(run.Instances?.[0]?.State?.Name).to.equal('pending');
    expect((await allInstances(c, [id]))[0]?.State?.Name).to.equal('running');
    const stop = await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances?.[0]?.CurrentState?.Name).to.equal('stopping');
    expect((await allInstances(c, [id]))[0]?.State?.Name).to.equal('stopped');
  });

  it('terminate: shutting-down → terminated, visible for an hour, then InvalidInstanceID.NotFound', async () => {
    const h = harness();
    const c = h.client();
    const [id, other] = h.core.seed('us-east-1', [{ name: 'a' }, { name: 'b' }]) as [string, string];
    const term = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances).to.deep.equal([
      { InstanceId: id, CurrentState: { Code: 32, Name: 'shutting-down' }, PreviousState: { Code: 16, Name: 'running' } },
    ]);
    h.clock.advance(2000);
    const terminated = (await allInstances(c, [id]))[0];
    expect(terminated?.State).to.deep.equal({ Code: 48, Name: 'terminated' });
    expect(terminated?.PublicIpAddress).to.equal(undefined);
    expect(terminated?.PrivateIpAddress).to.equal(undefined);
    expect(terminated?.NetworkInterfaces).to.deep.equal([]);
    expect(terminated?.SecurityGroups).to.deep.equal([]);
    // Idempotent: terminating again echoes the current state.
    const again = await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(again.TerminatingInstances?.[0]?.CurrentState?.Name).to.equal('terminated');
    expect(again.TerminatingInstances?.[0]?.PreviousState?.Name).to.equal('terminated');
    h.clock.advance(60 * 60 * 1000 - 1);
    expect((await allInstances(c)).map((i) => i.InstanceId)).to.include(id);
    h.clock.advance(1);
    expect((await allInstances(c)).map((i) => i.InstanceId)).to.deep.equal([other]);
    await expectEc2Error(c.send(new DescribeInstancesCommand({ InstanceIds: [id] })), 'InvalidInstanceID.NotFound');
  });

  it('state rules: IncorrectInstanceState where EC2 refuses, echo where EC2 is idempotent, all-or-nothing', async () => {
    const h = harness();
    const c = h.client();
    const [running, stopped, terminated] = h.core.seed('us-east-1', [
      { name: 'r' }, { name: 's', state: 'stopped' }, { name: 't', state: 'terminated' },
    ]) as [string, string, string];

    const startRunning = await c.send(new StartInstancesCommand({ InstanceIds: [running] }));
    expect(startRunning.StartingInstances?.[0]).to.deep.include({
      CurrentState: { Code: 16, Name: 'running' }, PreviousState: { Code: 16, Name: 'running' },
    });
    const stopStopped = await c.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
    expect(stopStopped.StoppingInstances?.[0]?.CurrentState?.Name).to.equal('stopped');

    const err = await expectEc2Error(c.send(new StartInstancesCommand({ InstanceIds: [stopped, terminated] })), 'IncorrectInstanceState');
    expect(err.message).to.contain(terminated);
    expect(err.$metadata?.httpStatusCode).to.equal(400);
    // The refused call changed nothing, not even the instance that could have started.
    expect((await allInstances(c, [stopped]))[0]?.State?.Name).to.equal('stopped');

    await expectEc2Error(c.send(new StopInstancesCommand({ InstanceIds: [terminated] })), 'IncorrectInstanceState');
    await expectEc2Error(c.send(new RebootInstancesCommand({ InstanceIds: [stopped] })), 'IncorrectInstanceState');
    const reboot = await c.send(new RebootInstancesCommand({ InstanceIds: [running] }));
    expect(reboot.$metadata.httpStatusCode).to.equal(200);
    expect((await allInstances(c, [running]))[0]?.State?.Name).to.equal('running');
  });

  it('unknown and malformed instance ids', async () => {
    const h = harness();
    const c = h.client();
    const one = await expectEc2Error(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound');
    expect(one.message).to.equal("The instance ID 'i-0123456789abcdef0' does not exist");
    expect(one.$fault).to.equal('client');
    const two = await expectEc2Error(c.send(new StopInstancesCommand({ InstanceIds: ['i-0123456789abcdef0', 'i-0123456789abcdef1'] })), 'InvalidInstanceID.NotFound');
    expect(two.message).to.equal("The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist");
    await expectEc2Error(c.send(new TerminateInstancesCommand({ InstanceIds: ['bogus'] })), 'InvalidInstanceID.Malformed');
    await expectEc2Error(c.send(new StartInstancesCommand({ InstanceIds: [] })), 'MissingParameter');
  });

  it('addresses come from the configured pool and can be pinned by tag or seed', async () => {
    const h = harness({ addressPool: { public: ['127.0.0.2', '127.0.0.3'], private: ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4'] } });
    const c = h.client();
    const imageId = await firstImage(c);
    const run = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2 }));
    expect(run.Instances?.map((i) => i.PublicIpAddress)).to.deep.equal(['127.0.0.2', '127.0.0.3']);
    expect(run.Instances?.map((i) => i.PrivateIpAddress)).to.deep.equal(['10.1.0.1', '10.1.0.2']);
    // Public pool exhausted: the instance runs without a public address.
    const third = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    expect(third.Instances?.[0]?.PublicIpAddress).to.equal(undefined);
    // Pinned by tag.
    const pinned = await c.send(new RunInstancesCommand({
      ImageId: imageId, MinCount: 1, MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: PIN_PUBLIC_IP_TAG, Value: '127.0.0.9' }] }],
    }));
    expect(pinned.Instances?.[0]?.PublicIpAddress).to.equal('127.0.0.9');
    // Private pool exhausted: EC2's error, nothing launched.
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })), 'InsufficientFreeAddressesInSubnet');
    // Terminating returns addresses to the pool.
    await c.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances?.[0]?.InstanceId as string] }));
    h.clock.advance(2000);
    const reused = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    expect(reused.Instances?.[0]?.PublicIpAddress).to.equal('127.0.0.2');
    expect(reused.Instances?.[0]?.PrivateIpAddress).to.equal('10.1.0.1');
  });

  it('a seeded pinned public address survives stop/start like an Elastic IP', async () => {
    const h = harness({ delays: { pending: 0, stopping: 0 } });
    const c = h.client();
    const [id] = h.core.seed('us-east-1', [{ name: 'n', publicIp: '127.0.0.5' }]) as [string];
    await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect((await allInstances(c, [id]))[0]?.PublicIpAddress).to.equal('127.0.0.5');
    await c.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect((await allInstances(c, [id]))[0]?.PublicIpAddress).to.equal('127.0.0.5');
    const [none] = h.core.seed('us-east-1', [{ name: 'private-only', publicIp: null }]) as [string];
    expect((await allInstances(c, [none]))[0]?.PublicIpAddress).to.equal(undefined);
  });

  it('regions are separate (the region comes from the SigV4 scope)', async () => {
    const h = harness();
    h.core.seed('eu-west-1', [{ name: 'eu-node' }]);
    h.core.seed('us-east-1', [{ name: 'us-node-1' }, { name: 'us-node-2' }]);
    const eu = await allInstances(h.client('eu-west-1'));
    expect(eu.map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value)).to.deep.equal(['eu-node']);
    expect(eu[0]?.Placement?.AvailabilityZone).to.match(/^eu-west-1[abc]$/);
    expect(eu[0]?.PrivateDnsName).to.match(/\.eu-west-1\.compute\.internal$/);
    expect(await allInstances(h.client('us-east-1'))).to.have.length(2);
    expect(await allInstances(h.client('ap-south-1'))).to.have.length(0);
  });

  it("the SDK's waiters work against it", async () => {
    const h = harness({ delays: { pending: 0, stopping: 0 } });
    const c = h.client();
    const run = await c.send(new RunInstancesCommand({ ImageId: await firstImage(c), MinCount: 1, MaxCount: 1 }));
    const ids = [run.Instances?.[0]?.InstanceId as string];
    const running = await waitUntilInstanceRunning({ client: c, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: ids });
    expect(running.state).to.equal('SUCCESS');
    await c.send(new StopInstancesCommand({ InstanceIds: ids }));
    const stopped = await waitUntilInstanceStopped({ client: c, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: ids });
    expect(stopped.state).to.equal('SUCCESS');
  });
});
