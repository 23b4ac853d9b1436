import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateEd25519 } from '../../src/ssh/keygen.js';
import { expect } from 'chai';
import { Inventory } from '../../src/inventory/inventory.js';
import type { InventoryProvider, NodeDraft } from '../../src/inventory/provider.js';
import { seedDemoFleet } from '../../src/ec2/demo-fleet.js';
import { ec2App, type Ec2TestApp } from '../ec2/helpers.js';

/** A provider whose node list the test changes between reads. */
class ListProvider implements InventoryProvider {
  constructor(readonly name: string, public drafts: NodeDraft[] = []) {}
  list(): Promise<NodeDraft[]> {
    return Promise.resolve(this.drafts);
  }
}

function draft(name: string, opts: Partial<NodeDraft> = {}): NodeDraft {
  return {
    name, source: 'ec2', cluster: undefined, state: 'running', host: `${name}.test`, port: 22, user: undefined,
    identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props: {}, ...opts,
  };
}

const indexes = async (inv: Inventory): Promise<Record<string, number>> =>
  Object.fromEntries((await inv.nodes()).map((n) => [n.name, n.index]));

describe('inventory: stable node indexes', () => {
  it('numbers the first build in display order, then keeps each node\'s number as others come and go', async () => {
    const p = new ListProvider('ec2', [draft('web1', { cluster: 'web' }), draft('web2', { cluster: 'web' }), draft('master', { cluster: 'hpc' })]);
    const inv = new Inventory([p], []);
    expect(await indexes(inv)).to.deep.equal({ master: 1, web1: 2, web2: 3 });

    // A new cluster sorts before `web` but gets new numbers: web1 is still 2.
    p.drafts = [...p.drafts, draft('spark-master', { cluster: 'spark' }), draft('spark-worker', { cluster: 'spark' })];
    inv.invalidate();
    expect(await indexes(inv)).to.deep.equal({ master: 1, 'spark-master': 4, 'spark-worker': 5, web1: 2, web2: 3 });
    expect((await inv.nodes()).map((n) => n.name)).to.deep.equal(['master', 'spark-master', 'spark-worker', 'web1', 'web2']);

    // Gone: its number is not handed to anyone else; back: it gets it again.
    p.drafts = p.drafts.filter((d) => d.name !== 'web1');
    inv.invalidate();
    p.drafts = [...p.drafts, draft('web3', { cluster: 'web' })];
    expect(await indexes(inv)).to.deep.equal({ master: 1, 'spark-master': 4, 'spark-worker': 5, web2: 3, web3: 6 });
    p.drafts = [...p.drafts, draft('web1', { cluster: 'web' })];
    inv.invalidate();
    expect((await indexes(inv))['web1']).to.equal(2);
  });

  it('follows the provider\'s id (props.id) through a rename, and tells sources apart', async () => {
    const ec2 = new ListProvider('ec2', [draft('web1', { props: { id: 'i-1' } })]);
    const other = new ListProvider('static', [draft('web1', { source: 'static' })]);
    const inv = new Inventory([ec2, other], []);
    expect(await indexes(inv)).to.deep.equal({ web1: 1, 'web1@static': 2 });
    ec2.drafts = [draft('frontend', { props: { id: 'i-1' } })];
    inv.invalidate();
    // The static node is now shown as plain web1: without an id, a node that changes its name is a new
    // node (a new number); number 2 stays reserved rather than landing on another machine.
    expect(await indexes(inv)).to.deep.equal({ frontend: 1, web1: 3 });
  });

  it('a login rule moving a node to another cluster does not renumber it', async () => {
    const p = new ListProvider('static', [draft('a', { source: 'static' }), draft('b', { source: 'static' })]);
    const inv = new Inventory([p], []);
    expect(await indexes(inv)).to.deep.equal({ a: 1, b: 2 });
    inv.setRules([{ selector: 'b', cluster: 'aaa' }]);
    expect((await inv.nodes()).map((n) => `${n.index}:${n.name}`)).to.deep.equal(['2:b', '1:a']);
  });

  describe('on EC2 (the demo fleet on the emulator)', () => {
    let t: Ec2TestApp;
    beforeEach(async () => {
      const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-key-'));
      fs.writeFileSync(path.join(keyDir, 'id.pub'), `${generateEd25519('me').publicKey}\n`);
      t = await ec2App({ emulator: { regions: ['us-east-1', 'eu-west-1'] }, specDefaults: { key: path.join(keyDir, 'id.pub') } });
      seedDemoFleet(t.core);
    });
    afterEach(() => t.cleanup());

    it('cluster up does not move web1 off index 5, so `stop -y 5` still means web1', async () => {
      const before = await t.app.state.nodes();
      expect(before.map((n) => `${n.index}:${n.name}`)).to.deep.equal(
        ['1:master', '2:worker0', '3:worker1', '4:worker2', '5:web1', '6:web2']);
      expect(await t.run('cluster up spark1 -y --nodes 1')).to.equal(true);
      const after = await t.app.state.nodes();
      const spark = after.find((n) => n.cluster === 'spark1');
      expect(spark?.index).to.equal(7);
      expect(after.find((n) => n.index === 5)?.name).to.equal('web1');
      t.out.take();
      expect(await t.run('stop -y 5')).to.equal(true);
      const web1 = t.core.instances('us-east-1').find((i) => i.tags['Name'] === 'web1');
      expect(web1?.state).to.match(/stopping|stopped/);
      expect(t.core.instances('us-east-1').filter((i) => i.tags['dust:cluster'] === 'spark1').every((i) => i.state === 'running' || i.state === 'pending')).to.equal(true);
    });

    it('a region switched away and back gives the nodes their numbers again', async () => {
      const first = (await t.app.state.nodes()).map((n) => `${n.index}:${n.name}`);
      seedDemoFleet(t.core, { region: 'eu-west-1', fleet: [{ name: 'euro1', cluster: 'eu', type: 't3.small', role: 'web', image: 'al2023', ageDays: 1, zone: 'eu-west-1a' }] });
      expect(await t.run('use eu-west-1')).to.equal(true);
      expect((await t.app.state.nodes()).map((n) => `${n.index}:${n.name}`)).to.deep.equal(['7:euro1']);
      expect(await t.run('use us-east-1')).to.equal(true);
      expect((await t.app.state.nodes()).map((n) => `${n.index}:${n.name}`)).to.deep.equal(first);
    });
  });
});
