import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { expectEc2Error, harness } from './helpers.js';

describe('ec2 emulator: tags', function () {
  this.timeout(30_000);

  async function tagsOf(c: ReturnType<ReturnType<typeof harness>['client']>, id: string): Promise<Record<string, string>> {
    const out = await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return Object.fromEntries((out.Reservations?.[0]?.Instances?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
  }

  it('CreateTags adds and overwrites tags on several resources', async () => {
    const h = harness();
    const c = h.client();
    const [a, b] = h.core.seed('us-east-1', [{ name: 'a', tags: { Env: 'dev' } }, { name: 'b' }]) as [string, string];
    const out = await c.send(new CreateTagsCommand({ Resources: [a, b], Tags: [{ Key: 'Env', Value: 'prod' }, { Key: 'Owner', Value: '' }] }));
    expect(out.$metadata.httpStatusCode).to.equal(200);
    expect(await tagsOf(c, a)).to.deep.equal({ Name: 'a', Env: 'prod', Owner: '' });
    expect(await tagsOf(c, b)).to.deep.equal({ Name: 'b', Env: 'prod', Owner: '' });
  });

  it('CreateTags on a missing instance fails atomically', async () => {
    const h = harness();
    const c = h.client();
    const [a] = h.core.seed('us-east-1', [{ name: 'a' }]) as [string];
    await expectEc2Error(c.send(new CreateTagsCommand({ Resources: [a, 'i-0123456789abcdef0'], Tags: [{ Key: 'X', Value: '1' }] })), 'InvalidInstanceID.NotFound');
    expect(await tagsOf(c, a)).to.deep.equal({ Name: 'a' });
    await expectEc2Error(c.send(new CreateTagsCommand({ Resources: ['vpn-123'], Tags: [{ Key: 'X', Value: '1' }] })), 'InvalidID');
    await expectEc2Error(c.send(new CreateTagsCommand({ Resources: [a], Tags: [{ Key: 'aws:cloudformation', Value: '1' }] })), 'InvalidParameterValue');
    await expectEc2Error(
      c.send(new CreateTagsCommand({ Resources: [a], Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
      'TagLimitExceeded',
    );
  });

  it('DeleteTags: no value deletes the key, a value deletes only on match, empty value matches only empty', async () => {
    const h = harness();
    const c = h.client();
    const [id] = h.core.seed('us-east-1', [{ name: 'n', tags: { Env: 'prod', Owner: 'alice', Team: 'x', Flag: '' } }]) as [string];
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Env' }] }));
    expect(await tagsOf(c, id)).to.not.have.property('Env');
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Owner', Value: 'bob' }] }));
    expect(await tagsOf(c, id)).to.have.property('Owner', 'alice');
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Owner', Value: 'alice' }] }));
    expect(await tagsOf(c, id)).to.not.have.property('Owner');
    await c.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: 'Team', Value: '' }, { Key: 'Flag', Value: '' }] }));
    expect(await tagsOf(c, id)).to.deep.equal({ Name: 'n', Team: 'x' });
    // No Tag.N at all: every tag goes.
    await c.send(new DeleteTagsCommand({ Resources: [id] }));
    expect(await tagsOf(c, id)).to.deep.equal({});
  });

  it('DescribeTags lists and filters tags across resources', async () => {
    const h = harness();
    const c = h.client();
    const [a, b] = h.core.seed('us-east-1', [{ name: 'a', tags: { Role: 'web' } }, { name: 'b', tags: { Role: 'db' } }]) as [string, string];
    const all = await c.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['instance'] }] }));
    expect(all.Tags).to.have.length(4);
    const web = await c.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Role'] }, { Name: 'value', Values: ['w*'] }] }));
    expect(web.Tags).to.deep.equal([{ ResourceId: a, ResourceType: 'instance', Key: 'Role', Value: 'web' }]);
    const byId = await c.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [b] }] }));
    expect(byId.Tags?.map((t) => t.Key)).to.deep.equal(['Name', 'Role']);
  });
});
