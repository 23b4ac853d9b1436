import { expect } from 'chai';
import { resolveTarget } from '../../src/targets/index.js';
import { sortAndIndex } from '../../src/inventory/inventory.js';
import { startEc2EmulatorServer, type Ec2EmulatorServer } from '../../src/ec2/emulator/index.js';
import { ec2App, namesOf, type Ec2TestApp } from './helpers.js';

describe('ec2: inventory provider (real SDK against the emulator)', () => {
  describe('in process', () => {
    let t: Ec2TestApp;
    beforeEach(async () => {
      t = await ec2App();
    });
    afterEach(() => t.cleanup());

    it('lists every instance of the region over several pages, in every state', async function () {
      this.timeout(120000);
      const states = ['running', 'stopped', 'pending', 'stopping', 'shutting-down', 'terminated'] as const;
      t.core.seed('us-east-1', Array.from({ length: 1200 }, (_, i) => ({
        name: `n${String(i).padStart(4, '0')}`, state: states[i % states.length]!, publicIp: null, privateIp: `10.1.${i >> 8}.${i & 255}`,
      })));
      const drafts = await t.ec2.provider.list();
      expect(drafts).to.have.length(1200);
      const pages = t.core.requestLog.filter((r) => r.action === 'DescribeInstances');
      expect(pages.length).to.equal(2);
      expect(pages[0]!.params['MaxResults']).to.equal('1000');
      expect(pages[1]!.params['NextToken']).to.be.a('string');
      expect(new Set(drafts.map((d) => d.state))).to.have.all.keys(...states);
      expect(drafts.every((d) => d.source === 'ec2' && d.port === 22)).to.equal(true);
    });

    it('flattens every DescribeInstances field and adds the friendly aliases', async () => {
      const [id] = t.core.seed('us-east-1', [{
        name: 'web-1', type: 't3.micro', keyName: 'demo-key', publicIp: '198.51.100.7', privateIp: '172.31.5.9',
        availabilityZone: 'us-east-1b', launchTime: Date.UTC(2026, 1, 3, 4, 5, 6), tags: { env: 'dev', 'dust:cluster': 'web' },
      }]);
      const [d] = await t.ec2.provider.list();
      expect(d).to.include({ name: 'web-1', state: 'running', host: '198.51.100.7', cluster: 'web', source: 'ec2' });
      expect(d!.tags).to.deep.equal({ env: 'dev', 'dust:cluster': 'web', Name: 'web-1' });
      expect(d!.props).to.include({
        instance_id: id, instance_type: 't3.micro', state_name: 'running', state_code: 16,
        placement_availability_zone: 'us-east-1b', public_ip_address: '198.51.100.7', private_ip_address: '172.31.5.9',
        key_name: 'demo-key', launch_time: '2026-02-03T04:05:06.000Z',
        id, type: 't3.micro', ip: '198.51.100.7', private_ip: '172.31.5.9', key: 'demo-key', az: 'us-east-1b', region: 'us-east-1',
      });
      for (const k of ['dns', 'private_dns', 'image', 'vpc', 'subnet', 'arch', 'groups', 'security_groups_0_group_id', 'vpc_id', 'subnet_id']) {
        expect(d!.props[k], k).to.be.a('string').and.not.equal('');
      }
      expect(Object.keys(d!.props).filter((k) => k !== k.toLowerCase() || k.startsWith('tags'))).to.deep.equal([]);
    });

    it('name falls back to a lower-case name tag, then the instance id; address to the private IP', async () => {
      const [, id2] = t.core.seed('us-east-1', [{ tags: { name: 'lower' }, publicIp: null }, { publicIp: null, privateIp: '172.31.9.9' }]);
      const drafts = await t.ec2.provider.list();
      expect(drafts.map((d) => d.name)).to.deep.equal(['lower', id2]);
      expect(drafts[1]!.host).to.equal('172.31.9.9');
    });

    it('a terminated instance sharing its name with a live one is shown as <name>_terminated', async () => {
      t.core.seed('us-east-1', [{ name: 'db', state: 'terminated' }, { name: 'db' }, { name: 'old', state: 'terminated' }]);
      const names = (await t.ec2.provider.list()).map((d) => d.name).sort();
      expect(names).to.deep.equal(['db', 'db_terminated', 'old']);
    });

    it('props and aliases are usable in targets', async () => {
      t.core.seed('us-east-1', [
        { name: 'a1', type: 't3.small', publicIp: '198.51.100.11', launchTime: Date.UTC(2026, 0, 5), tags: { env: 'dev' } },
        { name: 'a2', type: 'm5.large', publicIp: '198.51.100.12', launchTime: Date.UTC(2025, 11, 5), state: 'stopped' },
        { name: 'a3', type: 't3.micro', publicIp: '203.0.113.5', launchTime: Date.UTC(2026, 1, 5), tags: { env: 'prod' } },
      ]);
      expect(await namesOf(t, 'state=run*')).to.deep.equal(['a1', 'a3']);
      expect(await namesOf(t, 'ip=198.51.*')).to.deep.equal(['a1', 'a2']);
      expect(await namesOf(t, 'type=t3.*')).to.deep.equal(['a1', 'a3']);
      expect(await namesOf(t, 'launch_time=2026-*')).to.deep.equal(['a1', 'a3']);
      expect(await namesOf(t, 'tags=env:dev')).to.deep.equal(['a1']);
      expect(await namesOf(t, 'instance_type=m5.*')).to.deep.equal(['a2']);
      expect(await namesOf(t, 'state_name=stopped,tags=env:prod')).to.deep.equal(['a2', 'a3']);
      // resolveTarget straight over the provider's drafts, as the inventory indexes them.
      const nodes = sortAndIndex(await t.ec2.provider.list());
      expect(resolveTarget('az=us-east-1*&type=t3.micro', { nodes, workingSet: nodes, clusterNames: new Set() }).map((n) => n.name)).to.deep.equal(['a3']);
    });

    it('groups by the dust:cluster tag in show', async () => {
      t.core.seed('us-east-1', [{ name: 'm', tags: { 'dust:cluster': 'hpc' } }, { name: 'x' }]);
      expect(await t.run('show')).to.equal(true);
      const out = t.out.take();
      expect(out).to.match(/cluster hpc/);
      expect(out).to.match(/unassigned/);
      expect(out).to.match(/i-[0-9a-f]{17}/);
    });
  });

  describe('over HTTP', () => {
    let server: Ec2EmulatorServer;
    let t: Ec2TestApp;
    before(async () => {
      t = await ec2App();
      server = await startEc2EmulatorServer({ core: t.core });
    });
    after(async () => {
      t.cleanup();
      await server.close();
    });

    it('lists through a real socket with an explicit endpoint', async () => {
      const h = await ec2App({ endpoint: server.url });
      try {
        t.core.seed('us-east-1', [{ name: 'over-http', type: 't3.nano' }]);
        expect(await namesOf(h, 'type=t3.nano')).to.deep.equal(['over-http']);
        expect(t.core.requestLog.some((r) => r.action === 'DescribeInstances')).to.equal(true);
      } finally {
        h.cleanup();
      }
    });
  });
});
