import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: pagination', function () {
  this.timeout(30_000);

  it('paginateDescribeInstances walks 23 instances 5 at a time', async () => {
    const h = harness();
    const ids = h.core.seed('us-east-1', Array.from({ length: 23 }, (_, i) => ({ name: `node-${i + 1}` })));
    const pages: string[][] = [];
    for await (const page of paginateDescribeInstances({ client: h.client(), pageSize: 5 }, {})) {
      pages.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string));
    }
    expect(pages.map((p) => p.length)).to.deep.equal([5, 5, 5, 5, 3]);
    expect(pages.flat()).to.deep.equal(ids);
    const sent = h.core.requestLog.filter((e) => e.action === 'DescribeInstances');
    expect(sent).to.have.length(5);
    expect(sent.every((e) => e.params.MaxResults === '5')).to.equal(true);
    expect(sent[0]?.params.NextToken).to.equal(undefined);
    expect(sent[1]?.params.NextToken).to.be.a('string');
  });

  it('pages stay consistent when instances are launched between pages', async () => {
    const h = harness();
    const ids = h.core.seed('us-east-1', Array.from({ length: 7 }, (_, i) => ({ name: `n${i}` })));
    const c = h.client();
    const first = await c.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect(first.NextToken).to.be.a('string');
    const later = h.core.seed('us-east-1', [{ name: 'late' }]);
    const second = await c.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken as string }));
    expect(second.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).to.deep.equal([...ids.slice(5), ...later]);
    expect(second.NextToken).to.equal(undefined);
  });

  it('filters apply before paging', async () => {
    const h = harness();
    h.core.seed('us-east-1', Array.from({ length: 12 }, (_, i) => ({ name: `n${i}`, tags: { Even: String(i % 2 === 0) } })));
    const seen: string[] = [];
    for await (const page of paginateDescribeInstances({ client: h.client(), pageSize: 5 }, { Filters: [{ Name: 'tag:Even', Values: ['true'] }] })) {
      seen.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value as string));
    }
    expect(seen).to.deep.equal(['n0', 'n2', 'n4', 'n6', 'n8', 'n10']);
  });

  it('MaxResults must be 5..1000 and cannot be combined with InstanceIds', async () => {
    const h = harness();
    const [id] = h.core.seed('us-east-1', [{ name: 'x' }]) as [string];
    const c = h.client();
    await expectEc2Error(c.send(new DescribeInstancesCommand({ MaxResults: 4 })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new DescribeInstancesCommand({ MaxResults: 1001 })), 'InvalidParameterValue');
    const combo = await expectEc2Error(c.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [id] })), 'InvalidParameterCombination');
    expect(combo.message).to.contain('instancesSet');
    await expectEc2Error(c.send(new DescribeInstancesCommand({ NextToken: 'not-a-token' })), 'InvalidParameterValue');
    const ok = await c.send(new DescribeInstancesCommand({ MaxResults: 1000 }));
    expect(ok.NextToken).to.equal(undefined);
  });

  it('DescribeSecurityGroups pages too', async () => {
    const h = harness();
    const c = h.client();
    const { CreateSecurityGroupCommand } = await import('@aws-sdk/client-ec2');
    for (let i = 0; i < 6; i++) await c.send(new CreateSecurityGroupCommand({ GroupName: `g${i}`, Description: 'd' }));
    const first = await c.send(new DescribeSecurityGroupsCommand({ MaxResults: 5 }));
    expect(first.SecurityGroups).to.have.length(5);
    const second = await c.send(new DescribeSecurityGroupsCommand({ MaxResults: 5, NextToken: first.NextToken as string }));
    expect(second.SecurityGroups).to.have.length(2);
    expect(second.NextToken).to.equal(undefined);
  });
});

describe('ec2 emulator: loopback address pool', () => {
  it('hands out 127.0.1.1, 127.0.1.2, ... and moves to the next /24 after .254', async () => {
    const { loopbackPublicPool } = await import('../../src/ec2/emulator/index.js');
    const next = loopbackPublicPool();
    const first = [next(), next()];
    for (let i = 2; i < 254; i++) next();
    expect(first).to.deep.equal(['127.0.1.1', '127.0.1.2']);
    expect(next()).to.equal('127.0.2.1');
  });
});
