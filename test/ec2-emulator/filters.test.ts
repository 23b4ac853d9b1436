import { DescribeInstancesCommand, type Filter } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { compileWildcard } from '../../src/ec2/emulator/index.js';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: filters', function () {
  this.timeout(30_000);

  const h = harness({ delays: { pending: 0 } });
  const c = h.client();
  before(() => {
    h.core.seed('us-east-1', [
      { name: 'web-1', type: 't3.micro', tags: { Role: 'web', Env: 'prod' }, publicIp: '127.0.0.2', privateIp: '10.0.0.1', keyName: 'k1', availabilityZone: 'us-east-1a' },
      { name: 'web-2', type: 't3.micro', tags: { Role: 'web', Env: 'staging' }, publicIp: '127.0.0.3', privateIp: '10.0.0.2', keyName: 'k1', availabilityZone: 'us-east-1b' },
      { name: 'db-1', type: 'r6g.large', tags: { Role: 'db', Env: 'prod' }, publicIp: null, privateIp: '10.0.0.3', keyName: 'k2', availabilityZone: 'us-east-1a' },
      { name: 'db-10', type: 'r6g.large', tags: { Role: 'db', Env: 'prod', Backup: '' }, state: 'stopped', privateIp: '10.0.0.4', availabilityZone: 'us-east-1c' },
      { name: 'lit*', type: 't3.nano', tags: { Role: 'odd' }, privateIp: '10.0.0.5' },
    ]);
  });

  async function names(filters: Filter[]): Promise<string[]> {
    const out = await c.send(new DescribeInstancesCommand({ Filters: filters }));
    return (out.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value ?? '?')
      .sort();
  }

  it('tag:K with exact values and wildcards', async () => {
    expect(await names([{ Name: 'tag:Role', Values: ['web'] }])).to.deep.equal(['web-1', 'web-2']);
    expect(await names([{ Name: 'tag:Name', Values: ['web-*'] }])).to.deep.equal(['web-1', 'web-2']);
    expect(await names([{ Name: 'tag:Name', Values: ['*-1'] }])).to.deep.equal(['db-1', 'web-1']);
    // Values are case-sensitive.
    expect(await names([{ Name: 'tag:Role', Values: ['WEB'] }])).to.deep.equal([]);
    // Keys are exact: tag:role is not tag:Role.
    expect(await names([{ Name: 'tag:role', Values: ['web'] }])).to.deep.equal([]);
  });

  it('? matches zero or one character by default', async () => {
    expect(await names([{ Name: 'tag:Name', Values: ['db-1?'] }])).to.deep.equal(['db-1', 'db-10']);
    expect(await names([{ Name: 'tag:Name', Values: ['web-?'] }])).to.deep.equal(['web-1', 'web-2']);
  });

  it('? matches exactly one character in exactly-one mode (moto / older docs)', async () => {
    const strict = harness({ questionMark: 'exactly-one' });
    strict.core.seed('us-east-1', [{ name: 'db-1' }, { name: 'db-10' }]);
    const out = await strict.client().send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['db-1?'] }] }));
    expect(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.Tags?.[0]?.Value)).to.deep.equal(['db-10']);
  });

  it('backslash escapes match literal wildcard characters', async () => {
    expect(await names([{ Name: 'tag:Name', Values: ['lit\\*'] }])).to.deep.equal(['lit*']);
    expect(await names([{ Name: 'tag:Name', Values: ['web\\*'] }])).to.deep.equal([]);
  });

  it('tag-key and tag-value', async () => {
    expect(await names([{ Name: 'tag-key', Values: ['Backup'] }])).to.deep.equal(['db-10']);
    expect(await names([{ Name: 'tag-key', Values: ['Env'] }])).to.have.length(4);
    expect(await names([{ Name: 'tag-value', Values: ['staging'] }])).to.deep.equal(['web-2']);
    expect(await names([{ Name: 'tag-value', Values: ['od?'] }])).to.deep.equal(['lit*']);
  });

  it('several values OR, several filters AND', async () => {
    expect(await names([{ Name: 'tag:Role', Values: ['web', 'db'] }])).to.deep.equal(['db-1', 'db-10', 'web-1', 'web-2']);
    expect(await names([
      { Name: 'tag:Role', Values: ['web', 'db'] },
      { Name: 'tag:Env', Values: ['prod'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ])).to.deep.equal(['db-1', 'web-1']);
  });

  it('attribute filters', async () => {
    expect(await names([{ Name: 'instance-state-name', Values: ['stopped'] }])).to.deep.equal(['db-10']);
    expect(await names([{ Name: 'instance-state-code', Values: ['80'] }])).to.deep.equal(['db-10']);
    expect(await names([{ Name: 'instance-type', Values: ['r6g.*'] }])).to.deep.equal(['db-1', 'db-10']);
    expect(await names([{ Name: 'private-ip-address', Values: ['10.0.0.2'] }])).to.deep.equal(['web-2']);
    expect(await names([{ Name: 'ip-address', Values: ['127.0.0.*'] }])).to.deep.equal(['web-1', 'web-2']);
    expect(await names([{ Name: 'availability-zone', Values: ['us-east-1a'] }])).to.deep.equal(['db-1', 'web-1']);
    expect(await names([{ Name: 'key-name', Values: ['k2'] }])).to.deep.equal(['db-1']);
    const all = await c.send(new DescribeInstancesCommand({}));
    const first = all.Reservations?.[0]?.Instances?.[0];
    expect(await names([{ Name: 'instance-id', Values: [first?.InstanceId as string] }])).to.deep.equal(['web-1']);
    expect(await names([{ Name: 'vpc-id', Values: [first?.VpcId as string] }])).to.have.length(5);
    expect(await names([{ Name: 'subnet-id', Values: [first?.SubnetId as string] }])).to.include('web-1');
    expect(await names([{ Name: 'image-id', Values: [first?.ImageId as string] }])).to.have.length(5);
    expect(await names([{ Name: 'instance.group-name', Values: ['default'] }])).to.have.length(5);
    expect(await names([{ Name: 'dns-name', Values: ['ec2-127-0-0-3.*'] }])).to.deep.equal(['web-2']);
  });

  it('InstanceIds and Filters combine', async () => {
    const all = await c.send(new DescribeInstancesCommand({}));
    const ids = all.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId as string) ?? [];
    const out = await c.send(new DescribeInstancesCommand({ InstanceIds: ids.slice(0, 2), Filters: [{ Name: 'tag:Env', Values: ['prod'] }] }));
    expect(out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).to.deep.equal([ids[0]]);
  });

  it('an unknown filter name is InvalidParameterValue', async () => {
    const err = await expectEc2Error(c.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })), 'InvalidParameterValue');
    expect(err.message).to.equal("The filter 'colour' is invalid");
  });

  it('compileWildcard unit cases', () => {
    expect(compileWildcard('a*c').test('abbbc')).to.equal(true);
    expect(compileWildcard('a*c').test('ac')).to.equal(true);
    expect(compileWildcard('a?c').test('ac')).to.equal(true);
    expect(compileWildcard('a?c', 'exactly-one').test('ac')).to.equal(false);
    expect(compileWildcard('a.c').test('abc')).to.equal(false);
    expect(compileWildcard('a\\?c').test('a?c')).to.equal(true);
    expect(compileWildcard('a\\\\c').test('a\\c')).to.equal(true);
    expect(compileWildcard('(x)+[y]').test('(x)+[y]')).to.equal(true);
  });
});
