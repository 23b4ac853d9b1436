import {
  CancelSpotInstanceRequestsCommand, CreatePlacementGroupCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand, DescribeSpotPriceHistoryCommand, type Instance, paginateDescribeSpotPriceHistory,
  RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { formatPrice, onDemandPrice } from '../../src/ec2/emulator/index.js';
import { expectEc2Error, harness } from './helpers.js';

type Client = ReturnType<ReturnType<typeof harness>['client']>;

async function imageOf(c: Client): Promise<string> {
  const out = await c.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
  return out.Images?.[0]?.ImageId as string;
}

async function instance(c: Client, id: string): Promise<Instance> {
  const out = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0] as Instance;
}

const spotOptions = (extra: Record<string, unknown> = {}) => ({ MarketType: 'spot' as const, SpotOptions: { ...extra } });

describe('ec2 emulator: spot instances', function () {
  this.timeout(30_000);

  it('RunInstances with InstanceMarketOptions launches spot instances, each with its spot request', async () => {
    const h = harness({ delays: { pending: 0 } });
    const c = h.client();
    const run = await c.send(new RunInstancesCommand({
      ImageId: await imageOf(c), InstanceType: 'm6i.large', MinCount: 2, MaxCount: 2, SubnetId: undefined,
      Placement: { AvailabilityZone: 'us-east-1a' }, InstanceMarketOptions: spotOptions({ MaxPrice: '0.5' }),
      TagSpecifications: [{ ResourceType: 'spot-instances-request', Tags: [{ Key: 'dust:cluster', Value: 'spark1' }] }],
    }));
    const [a, b] = run.Instances ?? [];
    expect(a?.InstanceLifecycle).to.equal('spot');
    expect(a?.SpotInstanceRequestId).to.match(/^sir-[0-9a-z]{8}$/);
    expect(b?.SpotInstanceRequestId).to.not.equal(a?.SpotInstanceRequestId);
    const described = await instance(c, a?.InstanceId as string);
    expect(described.InstanceLifecycle).to.equal('spot');
    expect(described.SpotInstanceRequestId).to.equal(a?.SpotInstanceRequestId);
    const spotOnly = await c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-lifecycle', Values: ['spot'] }] }));
    expect(spotOnly.Reservations?.flatMap((r) => r.Instances ?? [])).to.have.length(2);

    const requests = await c.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [a?.SpotInstanceRequestId as string] }));
    const req = requests.SpotInstanceRequests?.[0];
    expect(req).to.deep.include({ State: 'active', Type: 'one-time', InstanceId: a?.InstanceId, SpotPrice: '0.500000', InstanceInterruptionBehavior: 'terminate', LaunchedAvailabilityZone: 'us-east-1a' });
    expect(req?.Status?.Code).to.equal('fulfilled');
    expect(req?.Tags).to.deep.equal([{ Key: 'dust:cluster', Value: 'spark1' }]);

    // On-demand launches have no lifecycle field at all, as in EC2.
    const onDemand = await c.send(new RunInstancesCommand({ ImageId: await imageOf(c), MinCount: 1, MaxCount: 1 }));
    expect(onDemand.Instances?.[0]?.InstanceLifecycle).to.equal(undefined);
  });

  it('DescribeSpotPriceHistory: history per type and zone, newest first, the price in effect at StartTime, pages', async () => {
    const h = harness();
    const c = h.client();
    const now = new Date(h.clock.now());
    const current = await c.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m6i.large'], ProductDescriptions: ['Linux/UNIX'], StartTime: now }));
    const rows = current.SpotPriceHistory ?? [];
    expect(rows.map((r) => r.AvailabilityZone).sort()).to.deep.equal(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    for (const r of rows) {
      expect(r.InstanceType).to.equal('m6i.large');
      expect(r.ProductDescription).to.equal('Linux/UNIX');
      expect(r.Timestamp).to.be.instanceOf(Date);
      expect(r.SpotPrice).to.match(/^\d+\.\d{6}$/);
      expect(Number(r.SpotPrice)).to.equal(h.core.spotPrice('us-east-1', 'm6i.large', r.AvailabilityZone as string));
      expect(Number(r.SpotPrice)).to.be.below(onDemandPrice('m6i.large'));
    }
    const all = await c.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['m6i.large'], AvailabilityZone: 'us-east-1a', ProductDescriptions: ['Linux/UNIX'] }));
    const times = (all.SpotPriceHistory ?? []).map((r) => (r.Timestamp as Date).getTime());
    expect(times.length).to.be.greaterThan(1);
    expect(times).to.deep.equal([...times].sort((x, y) => y - x));

    const pages: number[] = [];
    for await (const page of paginateDescribeSpotPriceHistory({ client: c, pageSize: 5 }, { InstanceTypes: ['t3.micro', 'c6i.large'] })) {
      pages.push(page.SpotPriceHistory?.length ?? 0);
    }
    // 2 types × 3 zones × 2 Linux products × 4 points.
    expect(pages.reduce((x, y) => x + y, 0)).to.equal(48);
    expect(pages.length).to.be.greaterThan(1);
    const filtered = await c.send(new DescribeSpotPriceHistoryCommand({ StartTime: now, Filters: [{ Name: 'instance-type', Values: ['t3.*'] }, { Name: 'availability-zone', Values: ['us-east-1b'] }, { Name: 'product-description', Values: ['Linux/UNIX'] }] }));
    expect(new Set(filtered.SpotPriceHistory?.map((r) => r.InstanceType))).to.deep.equal(new Set(['t3.nano', 't3.micro', 't3.small', 't3.medium', 't3.large', 't3.xlarge']));
    await expectEc2Error(c.send(new DescribeSpotPriceHistoryCommand({ AvailabilityZone: 'us-east-1z' })), 'InvalidParameterValue');
  });

  it('a max price below the current spot price is refused with SpotMaxPriceTooLow and launches nothing', async () => {
    const h = harness();
    const c = h.client();
    const price = h.core.spotPrice('us-east-1', 'c6i.large', 'us-east-1a');
    const err = await expectEc2Error(c.send(new RunInstancesCommand({
      ImageId: await imageOf(c), InstanceType: 'c6i.large', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1a' },
      InstanceMarketOptions: spotOptions({ MaxPrice: '0.001' }),
    })), 'SpotMaxPriceTooLow');
    expect(err.message).to.equal(`Your Spot request price of 0.001 is lower than the minimum required Spot request fulfillment price of ${Number(formatPrice(price))}.`);
    expect(h.core.instances('us-east-1')).to.have.length(0);
    // Without a max price the cap is the on-demand price: above it, nothing launches either.
    h.core.setSpotPrice('us-east-1', { instanceType: 'c6i.large', price: onDemandPrice('c6i.large') * 2 });
    await expectEc2Error(c.send(new RunInstancesCommand({
      ImageId: await imageOf(c), InstanceType: 'c6i.large', MinCount: 1, MaxCount: 1, InstanceMarketOptions: spotOptions(),
    })), 'SpotMaxPriceTooLow');
  });

  it('spot options are checked as EC2 checks them', async () => {
    const h = harness();
    const c = h.client();
    const imageId = await imageOf(c);
    const base = { ImageId: imageId, MinCount: 1, MaxCount: 1 };
    await expectEc2Error(c.send(new RunInstancesCommand({ ...base, InstanceMarketOptions: spotOptions({ SpotInstanceType: 'persistent' }) })), 'InvalidParameterCombination');
    await expectEc2Error(c.send(new RunInstancesCommand({ ...base, InstanceMarketOptions: spotOptions({ InstanceInterruptionBehavior: 'stop' }) })), 'InvalidParameterCombination');
    await expectEc2Error(c.send(new RunInstancesCommand({ ...base, InstanceMarketOptions: spotOptions({ MaxPrice: 'cheap' }) })), 'InvalidParameterValue');
    await c.send(new CreatePlacementGroupCommand({ GroupName: 'pg', Strategy: 'cluster' }));
    const inGroup = await expectEc2Error(c.send(new RunInstancesCommand({
      ...base, InstanceType: 'c6i.large', Placement: { GroupName: 'pg' },
      InstanceMarketOptions: spotOptions({ SpotInstanceType: 'persistent', InstanceInterruptionBehavior: 'stop' }),
    })), 'InvalidParameterCombination');
    expect(inGroup.message).to.contain('placement group');
    // Terminate-on-interruption spot instances are fine in a placement group.
    const ok = await c.send(new RunInstancesCommand({ ...base, InstanceType: 'c6i.large', Placement: { GroupName: 'pg' }, InstanceMarketOptions: spotOptions() }));
    expect(ok.Instances?.[0]).to.deep.include({ InstanceLifecycle: 'spot' });
    expect(ok.Instances?.[0]?.Placement?.GroupName).to.equal('pg');
  });

  it('a spot interruption terminates spot instances with Server.SpotInstanceTermination and closes their requests', async () => {
    const h = harness({ delays: { pending: 0, shuttingDown: 0 } });
    const c = h.client();
    const imageId = await imageOf(c);
    const spot = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 2, MaxCount: 2, InstanceMarketOptions: spotOptions() }));
    const onDemand = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    const [first, second] = spot.Instances?.map((i) => i.InstanceId as string) ?? [];
    const onDemandId = onDemand.Instances?.[0]?.InstanceId as string;

    expect(h.core.interruptSpotInstances('us-east-1', [first as string, onDemandId])).to.deep.equal([first]);
    const gone = await instance(c, first as string);
    expect(gone.State?.Name).to.equal('terminated');
    expect(gone.StateReason).to.deep.equal({ Code: 'Server.SpotInstanceTermination', Message: 'Server.SpotInstanceTermination: Spot instance termination' });
    expect((await instance(c, second as string)).State?.Name).to.equal('running');
    expect((await instance(c, onDemandId)).State?.Name).to.equal('running');
    const req = (await c.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [gone.SpotInstanceRequestId as string] }))).SpotInstanceRequests?.[0];
    expect(req?.State).to.equal('closed');
    expect(req?.Status?.Code).to.equal('instance-terminated-no-capacity');
    // With no ids: every live spot instance of the region.
    expect(h.core.interruptSpotInstances('us-east-1')).to.deep.equal([second]);
    expect(h.core.instances('us-east-1').map((i) => i.stateReasonCode)).to.deep.equal(['Server.SpotInstanceTermination', 'Server.SpotInstanceTermination', undefined]);
  });

  it('a spot price rising above an instance\'s max price interrupts it; user termination closes the request', async () => {
    const h = harness({ delays: { pending: 0, shuttingDown: 0 } });
    const c = h.client();
    const imageId = await imageOf(c);
    const launch = (maxPrice: string) => c.send(new RunInstancesCommand({
      ImageId: imageId, InstanceType: 'r6i.large', MinCount: 1, MaxCount: 1, Placement: { AvailabilityZone: 'us-east-1c' },
      InstanceMarketOptions: spotOptions({ MaxPrice: maxPrice }),
    }));
    const cheap = (await launch('0.06')).Instances?.[0]?.InstanceId as string;
    const generous = (await launch('0.12')).Instances?.[0]?.InstanceId as string;
    expect(h.core.setSpotPrice('us-east-1', { instanceType: 'r6i.large', availabilityZone: 'us-east-1c', price: 0.08 })).to.deep.equal([cheap]);
    expect((await instance(c, cheap)).StateReason?.Code).to.equal('Server.SpotInstanceTermination');
    const cheapReq = (await c.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'instance-id', Values: [cheap] }] }))).SpotInstanceRequests?.[0];
    expect(cheapReq?.Status?.Code).to.equal('instance-terminated-by-price');
    const latest = await c.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ['r6i.large'], AvailabilityZone: 'us-east-1c', ProductDescriptions: ['Linux/UNIX'], StartTime: new Date(h.clock.now()) }));
    expect(latest.SpotPriceHistory?.map((r) => r.SpotPrice)).to.deep.equal(['0.080000']);
    await expectEc2Error(launch('0.06'), 'SpotMaxPriceTooLow');

    await c.send(new TerminateInstancesCommand({ InstanceIds: [generous] }));
    const generousReq = (await c.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'instance-id', Values: [generous] }] }))).SpotInstanceRequests?.[0];
    expect(generousReq?.State).to.equal('closed');
    expect(generousReq?.Status?.Code).to.equal('instance-terminated-by-user');
    expect((await instance(c, generous)).StateReason?.Code).to.equal('Client.UserInitiatedShutdown');
  });

  it('one-time spot instances cannot be stopped; persistent ones stop on interruption and start again', async () => {
    const h = harness({ delays: { pending: 0, stopping: 0 } });
    const c = h.client();
    const imageId = await imageOf(c);
    const oneTime = (await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceMarketOptions: spotOptions() }))).Instances?.[0]?.InstanceId as string;
    const err = await expectEc2Error(c.send(new StopInstancesCommand({ InstanceIds: [oneTime] })), 'UnsupportedOperation');
    expect(err.message).to.contain('one-time Spot Instance request');
    expect((await instance(c, oneTime)).State?.Name).to.equal('running');

    const persistent = (await c.send(new RunInstancesCommand({
      ImageId: imageId, MinCount: 1, MaxCount: 1, InstanceMarketOptions: spotOptions({ SpotInstanceType: 'persistent', InstanceInterruptionBehavior: 'stop' }),
    }))).Instances?.[0]?.InstanceId as string;
    h.core.interruptSpotInstances('us-east-1', [persistent]);
    const stopped = await instance(c, persistent);
    expect(stopped.State?.Name).to.equal('stopped');
    expect(stopped.StateReason?.Code).to.equal('Server.SpotInstanceShutdown');
    const reqId = stopped.SpotInstanceRequestId as string;
    const disabled = (await c.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [reqId] }))).SpotInstanceRequests?.[0];
    expect(disabled?.State).to.equal('disabled');
    await c.send(new StartInstancesCommand({ InstanceIds: [persistent] }));
    expect((await instance(c, persistent)).State?.Name).to.equal('running');
    expect((await c.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [reqId] }))).SpotInstanceRequests?.[0]?.State).to.equal('active');

    const cancelled = await c.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [reqId] }));
    expect(cancelled.CancelledSpotInstanceRequests).to.deep.equal([{ SpotInstanceRequestId: reqId, State: 'cancelled' }]);
    expect((await instance(c, persistent)).State?.Name).to.equal('running');
    await expectEc2Error(c.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ['sir-00000000'] })), 'InvalidSpotInstanceRequestID.NotFound');
  });
});
