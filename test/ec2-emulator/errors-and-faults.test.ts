import {
  DescribeInstancesCommand, RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: errors, DryRun, auth and fault injection', function () {
  this.timeout(60_000);

  it('DryRun=true answers DryRunOperation (HTTP 412) and changes nothing', async () => {
    const h = harness();
    const c = h.client();
    const [id] = h.core.seed('us-east-1', [{ name: 'n' }]) as [string];
    const err = await expectEc2Error(c.send(new StopInstancesCommand({ InstanceIds: [id], DryRun: true })), 'DryRunOperation');
    expect(err.message).to.equal('Request would have succeeded, but DryRun flag is set.');
    expect(err.$metadata?.httpStatusCode).to.equal(412);
    expect(h.core.instances('us-east-1')[0]?.state).to.equal('running');
    await expectEc2Error(c.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1, DryRun: true })), 'DryRunOperation');
    expect(h.core.instances('us-east-1')).to.have.length(1);
  });

  it('denied actions answer UnauthorizedOperation (HTTP 403) with an encoded message, DryRun or not', async () => {
    const h = harness();
    const c = h.client();
    const [id] = h.core.seed('us-east-1', [{ name: 'n' }]) as [string];
    h.core.faults.deny('TerminateInstances');
    const err = await expectEc2Error(c.send(new TerminateInstancesCommand({ InstanceIds: [id] })), 'UnauthorizedOperation');
    expect(err.$metadata?.httpStatusCode).to.equal(403);
    expect(err.$fault).to.equal('client');
    expect(err.message).to.match(/^You are not authorized to perform this operation\. .*ec2:TerminateInstances.*Encoded authorization failure message: [A-Za-z0-9_-]+$/);
    const encoded = /Encoded authorization failure message: (\S+)$/.exec(err.message)?.[1] as string;
    expect(JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')).context.action).to.equal('ec2:TerminateInstances');
    await expectEc2Error(c.send(new TerminateInstancesCommand({ InstanceIds: [id], DryRun: true })), 'UnauthorizedOperation');
    // Other actions still work; allow() lifts the denial.
    await c.send(new DescribeInstancesCommand({}));
    h.core.faults.allow('TerminateInstances');
    await c.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  });

  it('the SDK retries RequestLimitExceeded: 2 faults with maxAttempts 3 succeed', async () => {
    const h = harness();
    h.core.seed('us-east-1', [{ name: 'n' }]);
    const fault = h.core.faults.add({ action: 'DescribeInstances', error: 'RequestLimitExceeded', times: 2 });
    const out = await h.client('us-east-1', 3).send(new DescribeInstancesCommand({}));
    expect(out.Reservations).to.have.length(1);
    expect(out.$metadata.attempts).to.equal(3);
    expect(fault.remaining()).to.equal(0);
    const statuses = h.core.requestLog.map((e) => `${e.status}:${e.errorCode ?? ''}`);
    expect(statuses).to.deep.equal(['503:RequestLimitExceeded', '503:RequestLimitExceeded', '200:']);
  });

  it('5 throttling faults with maxAttempts 3 throw RequestLimitExceeded', async () => {
    const h = harness();
    const fault = h.core.faults.add({ action: 'DescribeInstances', error: 'RequestLimitExceeded', times: 5 });
    const err = await expectEc2Error(h.client('us-east-1', 3).send(new DescribeInstancesCommand({})), 'RequestLimitExceeded');
    expect(err.$metadata?.httpStatusCode).to.equal(503);
    expect(err.$metadata?.attempts).to.equal(3);
    expect(err.$fault).to.equal('server');
    expect(fault.remaining()).to.equal(2);
    fault.remove();
    await h.client().send(new DescribeInstancesCommand({}));
  });

  it('faults can target one region and other codes', async () => {
    const h = harness();
    h.core.faults.add({ error: 'InsufficientInstanceCapacity', region: 'eu-west-1' });
    await h.client('us-east-1').send(new DescribeInstancesCommand({}));
    const err = await expectEc2Error(h.client('eu-west-1').send(new DescribeInstancesCommand({})), 'InsufficientInstanceCapacity');
    expect(err.$metadata?.httpStatusCode).to.equal(500);
    await h.client('eu-west-1').send(new DescribeInstancesCommand({}));
  });

  it('the raw error document has EC2 shape and a request id header', () => {
    const h = harness();
    const res = h.core.handle({ body: 'Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-0123456789abcdef0' });
    expect(res.status).to.equal(400);
    expect(res.headers['x-amzn-requestid']).to.match(/^[0-9a-f-]{36}$/);
    expect(res.body).to.equal(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>' +
        "<Message>The instance ID &apos;i-0123456789abcdef0&apos; does not exist</Message></Error></Errors>" +
        `<RequestID>${res.headers['x-amzn-requestid']}</RequestID></Response>`,
    );
  });

  it('unknown or missing Action is InvalidAction / MissingAction, never HTML', () => {
    const h = harness();
    const unknown = h.core.handle({ body: 'Action=LaunchRockets&Version=2016-11-15' });
    expect(unknown.status).to.equal(400);
    expect(unknown.body).to.contain('<Code>InvalidAction</Code>');
    expect(unknown.body).to.contain('The action LaunchRockets is not valid for this web service.');
    const missing = h.core.handle({ body: 'Version=2016-11-15' });
    expect(missing.body).to.contain('<Code>MissingAction</Code>');
    expect(h.core.handle({ body: 'Action=toString' }).body).to.contain('<Code>InvalidAction</Code>');
  });

  it('successful responses carry the EC2 namespace and escape text', () => {
    const h = harness();
    h.core.seed('us-east-1', [{ name: 'a <b> & "c"' }]);
    const res = h.core.handle({ body: 'Action=DescribeInstances&Version=2016-11-15' });
    expect(res.status).to.equal(200);
    expect(res.body).to.match(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>/);
    expect(res.body).to.contain('<value>a &lt;b&gt; &amp; &quot;c&quot;</value>');
  });

  it('the request log records action, region and parameters', async () => {
    const h = harness();
    await h.client('eu-west-1').send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Role', Values: ['web*'] }] }));
    const entry = h.core.requestLog.at(-1);
    expect(entry?.action).to.equal('DescribeInstances');
    expect(entry?.region).to.equal('eu-west-1');
    expect(entry?.params['Filter.1.Name']).to.equal('tag:Role');
    expect(entry?.params['Filter.1.Value.1']).to.equal('web*');
  });

  it('tags with special characters round-trip through the SDK', async () => {
    const h = harness();
    const [id] = h.core.seed('us-east-1', [{ name: "x&y<z>'q\"\n line2 ü 🚀" }]) as [string];
    const out = await h.client().send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.Tags?.[0]?.Value).to.equal("x&y<z>'q\"\n line2 ü 🚀");
  });
});
