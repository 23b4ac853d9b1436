import {
  AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, DeleteSecurityGroupCommand, DescribeImagesCommand,
  DescribeSecurityGroupsCommand, RevokeSecurityGroupIngressCommand, RunInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: security groups', function () {
  this.timeout(30_000);

  it('every region has a default group', async () => {
    const h = harness();
    const out = await h.client().send(new DescribeSecurityGroupsCommand({ GroupNames: ['default'] }));
    const g = out.SecurityGroups?.[0];
    expect(g?.GroupName).to.equal('default');
    expect(g?.GroupId).to.match(/^sg-/);
    expect(g?.IpPermissions?.[0]?.UserIdGroupPairs?.[0]?.GroupId).to.equal(g?.GroupId);
    expect(g?.IpPermissionsEgress?.[0]).to.deep.include({ IpProtocol: '-1' });
    expect(g?.IpPermissionsEgress?.[0]?.IpRanges).to.deep.equal([{ CidrIp: '0.0.0.0/0' }]);
  });

  it('create, authorize (structured and legacy), describe, revoke, delete', async () => {
    const h = harness();
    const c = h.client();
    const created = await c.send(new CreateSecurityGroupCommand({
      GroupName: 'cluster-sg', Description: 'cluster shell demo',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Cluster', Value: 'demo' }] }],
    }));
    expect(created.GroupId).to.match(/^sg-[0-9a-f]{17}$/);
    expect(created.SecurityGroupArn).to.equal(`arn:aws:ec2:us-east-1:123456789012:security-group/${created.GroupId}`);
    expect(created.Tags).to.deep.equal([{ Key: 'Cluster', Value: 'demo' }]);
    const groupId = created.GroupId as string;
    const other = (await c.send(new CreateSecurityGroupCommand({ GroupName: 'lb', Description: 'lb' }))).GroupId as string;

    const auth = await c.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }] },
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: other }] },
      ],
    }));
    expect(auth.Return).to.equal(true);
    expect(auth.SecurityGroupRules).to.have.length(2);
    expect(auth.SecurityGroupRules?.[0]).to.deep.include({
      GroupId: groupId, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0', Description: 'ssh',
    });
    expect(auth.SecurityGroupRules?.[0]?.SecurityGroupRuleId).to.match(/^sgr-/);
    // Legacy flat form, by name.
    await c.send(new AuthorizeSecurityGroupIngressCommand({ GroupName: 'cluster-sg', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.0.0.0/8' }));

    const dup = await expectEc2Error(c.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    })), 'InvalidPermission.Duplicate');
    expect(dup.message).to.contain('peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW');

    const described = await c.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    const g = described.SecurityGroups?.[0];
    expect(g?.Description).to.equal('cluster shell demo');
    expect(g?.VpcId).to.match(/^vpc-/);
    expect(g?.Tags).to.deep.equal([{ Key: 'Cluster', Value: 'demo' }]);
    expect(g?.IpPermissions).to.deep.equal([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [], IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }], Ipv6Ranges: [], PrefixListIds: [] },
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ UserId: '123456789012', GroupId: other }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, UserIdGroupPairs: [], IpRanges: [{ CidrIp: '10.0.0.0/8' }], Ipv6Ranges: [], PrefixListIds: [] },
    ]);
    const byFilter = await c.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.from-port', Values: ['443'] }] }));
    expect(byFilter.SecurityGroups?.map((s) => s.GroupId)).to.deep.equal([groupId]);

    const revoked = await c.send(new RevokeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
      ],
    }));
    expect(revoked.Return).to.equal(true);
    expect(revoked.RevokedSecurityGroupRules).to.have.length(1);
    expect(revoked.UnknownIpPermissions?.[0]).to.deep.include({ FromPort: 8080 });
    const ruleId = auth.SecurityGroupRules?.[1]?.SecurityGroupRuleId as string;
    await c.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] }));
    await expectEc2Error(c.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] })), 'InvalidSecurityGroupRuleId.NotFound');
    const after = await c.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    expect(after.SecurityGroups?.[0]?.IpPermissions?.map((p) => p.FromPort)).to.deep.equal([443]);

    await c.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    await expectEc2Error(c.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })), 'InvalidGroup.NotFound');
  });

  it('errors: duplicates, missing groups, bad ports, in-use groups', async () => {
    const h = harness();
    const c = h.client();
    await c.send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'd' }));
    await expectEc2Error(c.send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'd' })), 'InvalidGroup.Duplicate');
    await expectEc2Error(c.send(new CreateSecurityGroupCommand({ GroupName: 'h' } as never)), 'MissingParameter');
    await expectEc2Error(c.send(new CreateSecurityGroupCommand({ GroupName: 'h', Description: 'd', VpcId: 'vpc-0123456789abcdef0' })), 'InvalidVpcID.NotFound');
    await expectEc2Error(c.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-0123456789abcdef0', CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 1, ToPort: 1 })), 'InvalidGroup.NotFound');
    await expectEc2Error(c.send(new AuthorizeSecurityGroupIngressCommand({ GroupName: 'g', IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] })), 'InvalidParameterValue');
    await expectEc2Error(c.send(new DeleteSecurityGroupCommand({ GroupName: 'default' })), 'CannotDelete');
    const inUse = (await c.send(new CreateSecurityGroupCommand({ GroupName: 'used', Description: 'd' }))).GroupId as string;
    h.core.seed('us-east-1', [{ name: 'n', securityGroupIds: [inUse] }]);
    await expectEc2Error(c.send(new DeleteSecurityGroupCommand({ GroupId: inUse })), 'DependencyViolation');
  });

  it('a group can allow all traffic from its own members (self-referencing UserIdGroupPairs)', async () => {
    const h = harness();
    const c = h.client();
    const groupId = (await c.send(new CreateSecurityGroupCommand({ GroupName: 'cluster', Description: 'd' }))).GroupId as string;
    const auth = await c.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, Description: 'within the cluster' }] },
        { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
      ],
    }));
    expect(auth.SecurityGroupRules?.[0]).to.deep.include({ IpProtocol: '-1', FromPort: -1, ToPort: -1, IsEgress: false });
    expect(auth.SecurityGroupRules?.[0]?.ReferencedGroupInfo).to.deep.equal({ GroupId: groupId, UserId: '123456789012' });
    const g = (await c.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups?.[0];
    expect(g?.IpPermissions?.[0]).to.deep.equal({
      IpProtocol: '-1', UserIdGroupPairs: [{ Description: 'within the cluster', UserId: '123456789012', GroupId: groupId }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [],
    });
    await expectEc2Error(c.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }],
    })), 'InvalidPermission.Duplicate');
    const selfFiltered = await c.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.group-id', Values: [groupId] }] }));
    expect(selfFiltered.SecurityGroups?.map((x) => x.GroupId)).to.deep.equal([groupId]);
    // A rule referring to the group itself does not keep it from being deleted.
    await c.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
  });

  it('deleting a group is refused (DependencyViolation) while a launched instance uses it, allowed once it is terminated', async () => {
    const h = harness({ delays: { pending: 0, shuttingDown: 2000 } });
    const c = h.client();
    const groupId = (await c.send(new CreateSecurityGroupCommand({ GroupName: 'cluster', Description: 'd' }))).GroupId as string;
    const imageId = (await c.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId as string;
    const run = await c.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, SecurityGroupIds: [groupId] }));
    const err = await expectEc2Error(c.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), 'DependencyViolation');
    expect(err.message).to.equal(`resource ${groupId} has a dependent object`);
    await c.send(new TerminateInstancesCommand({ InstanceIds: [run.Instances?.[0]?.InstanceId as string] }));
    // Still shutting down: the network interface (and so the group) is still in use.
    await expectEc2Error(c.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), 'DependencyViolation');
    h.clock.advance(2000);
    await c.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
    await expectEc2Error(c.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })), 'InvalidGroup.NotFound');
  });
});
