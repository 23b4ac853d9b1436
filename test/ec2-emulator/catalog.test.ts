import { DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeRegionsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: regions, zones, images', function () {
  this.timeout(30_000);

  it('DescribeRegions lists regions with their endpoints', async () => {
    const h = harness();
    const out = await h.client().send(new DescribeRegionsCommand({}));
    expect(out.Regions?.length).to.be.greaterThan(10);
    expect(out.Regions).to.deep.include({ RegionName: 'eu-west-1', Endpoint: 'ec2.eu-west-1.amazonaws.com', OptInStatus: 'opt-in-not-required' });
    const two = await h.client().send(new DescribeRegionsCommand({ RegionNames: ['us-east-1', 'eu-west-1'] }));
    expect(two.Regions?.map((r) => r.RegionName)).to.deep.equal(['us-east-1', 'eu-west-1']);
    const eu = await h.client().send(new DescribeRegionsCommand({ Filters: [{ Name: 'region-name', Values: ['eu-*'] }] }));
    expect(eu.Regions?.every((r) => r.RegionName?.startsWith('eu-'))).to.equal(true);
    await expectEc2Error(h.client().send(new DescribeRegionsCommand({ RegionNames: ['mars-1'] })), 'InvalidParameterValue');
  });

  it('DescribeAvailabilityZones answers for the client region', async () => {
    const h = harness();
    const out = await h.client('eu-west-1').send(new DescribeAvailabilityZonesCommand({}));
    expect(out.AvailabilityZones?.map((z) => z.ZoneName)).to.deep.equal(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(out.AvailabilityZones?.[0]).to.deep.include({ ZoneId: 'euw1-az1', State: 'available', RegionName: 'eu-west-1', ZoneType: 'availability-zone' });
    const one = await h.client('us-east-1').send(new DescribeAvailabilityZonesCommand({ ZoneNames: ['us-east-1b'] }));
    expect(one.AvailabilityZones?.map((z) => z.ZoneId)).to.deep.equal(['use1-az2']);
  });

  it('DescribeImages: owners, name filter, newest by CreationDate, ids', async () => {
    const h = harness();
    const c = h.client();
    const out = await c.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*-x86_64'] }] }));
    expect(out.Images).to.have.length(2);
    const newest = [...(out.Images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    expect(newest?.Name).to.equal('al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64');
    expect(newest?.State).to.equal('available');
    expect(newest?.Public).to.equal(true);
    expect(newest?.OwnerId).to.equal('137112412989');
    expect(newest?.ImageOwnerAlias).to.equal('amazon');
    expect(typeof newest?.CreationDate).to.equal('string');
    const byId = await c.send(new DescribeImagesCommand({ ImageIds: [newest?.ImageId as string] }));
    expect(byId.Images?.map((i) => i.Name)).to.deep.equal([newest?.Name]);
    const canonical = await c.send(new DescribeImagesCommand({ Owners: ['099720109477'] }));
    expect(canonical.Images?.[0]?.Name).to.match(/^ubuntu\//);
    await expectEc2Error(c.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })), 'InvalidAMIID.NotFound');
    // AMI ids differ per region, as in EC2.
    const eu = await h.client('eu-west-1').send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(eu.Images?.map((i) => i.ImageId)).to.not.include(newest?.ImageId);
  });

  it('DescribeSubnets lists the default subnet of each zone, in the default VPC', async () => {
    const c = harness().client();
    const all = await c.send(new DescribeSubnetsCommand({}));
    expect(all.Subnets?.map((s) => s.AvailabilityZone)).to.deep.equal(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const first = all.Subnets?.[0];
    expect(first).to.deep.include({ State: 'available', DefaultForAz: true, MapPublicIpOnLaunch: true, CidrBlock: '172.31.0.0/20', AvailabilityZoneId: 'use1-az1' });
    expect(first?.VpcId).to.match(/^vpc-/);
    const byId = await c.send(new DescribeSubnetsCommand({ SubnetIds: [first?.SubnetId as string] }));
    expect(byId.Subnets?.map((s) => s.SubnetId)).to.deep.equal([first?.SubnetId]);
    const byZone = await c.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1c'] }] }));
    expect(byZone.Subnets?.map((s) => s.AvailabilityZone)).to.deep.equal(['us-east-1c']);
    await expectEc2Error(c.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })), 'InvalidSubnetID.NotFound');
  });
});
