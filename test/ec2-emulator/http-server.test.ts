import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import {
  Ec2EmulatorCore, type Ec2EmulatorServer, isLoopbackHost, ManualClock, startEc2EmulatorServer,
} from '../../src/ec2/emulator/index.js';
import { expectEc2Error, FAKE_CREDENTIALS } from './helpers.js';

describe('ec2 emulator: HTTP server', function () {
  this.timeout(60_000);

  let server: Ec2EmulatorServer | undefined;
  const clock = new ManualClock();
  const core = new Ec2EmulatorCore({ clock });

  before(async () => {
    server = await startEc2EmulatorServer({ core, host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server?.close();
  });

  function client(region: string): EC2Client {
    return new EC2Client({ region, endpoint: server?.url as string, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
  }

  it('serves the real SDK over loopback HTTP, per region', async () => {
    expect(server?.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    core.seed('eu-west-1', [{ name: 'eu-1' }]);
    const c = client('us-east-1');
    const images = await c.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const run = await c.send(new RunInstancesCommand({ ImageId: images.Images?.[0]?.ImageId as string, MinCount: 2, MaxCount: 2 }));
    expect(run.Instances).to.have.length(2);
    clock.advance(5000);
    const us = await c.send(new DescribeInstancesCommand({}));
    expect(us.Reservations?.[0]?.Instances?.map((i) => i.State?.Name)).to.deep.equal(['running', 'running']);
    expect(us.$metadata.requestId).to.match(/^[0-9a-f-]{36}$/);
    const eu = await client('eu-west-1').send(new DescribeInstancesCommand({}));
    expect(eu.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.Tags?.[0]?.Value)).to.deep.equal(['eu-1']);
    await expectEc2Error(c.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound');
  });

  it('answers plain form posts without a signature (default region) and unknown actions with XML', async () => {
    const res = await fetch(`${server?.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeRegions&Version=2016-11-15&RegionName.1=us-east-1',
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/xml');
    expect(await res.text()).to.contain('<regionName>us-east-1</regionName>');
    const bad = await fetch(`${server?.url}/?Action=Nope`);
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.contain('<Code>InvalidAction</Code>');
  });

  it('refuses to listen on a non-loopback host', async () => {
    let caught: unknown;
    try {
      await startEc2EmulatorServer({ core, host: '0.0.0.0', port: 0 });
    } catch (err) {
      caught = err;
    }
    expect(isDustError(caught)).to.equal(true);
    expect((caught as Error).message).to.contain('loopback');
    expect(isLoopbackHost('127.0.0.5')).to.equal(true);
    expect(isLoopbackHost('::1')).to.equal(true);
    expect(isLoopbackHost('localhost')).to.equal(true);
    expect(isLoopbackHost('192.168.1.10')).to.equal(false);
    expect(isLoopbackHost('::')).to.equal(false);
    expect(isLoopbackHost('example.com')).to.equal(false);
  });
});
