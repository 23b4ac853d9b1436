import { expect } from 'chai';
import { StopInstancesCommand, StartInstancesCommand } from '@aws-sdk/client-ec2';
import type { InstanceStateChange } from '../../src/ec2/emulator/index.js';
import { harness } from '../ec2-emulator/helpers.js';

describe('ec2 emulator: state-change listener (drives the demo nodes)', () => {
  it('reports action transitions at once and lazy ones when something reads or settles', async () => {
    const h = harness({ delays: { pending: 1000, stopping: 1000 } });
    const [id] = h.core.seed('us-east-1', [{ name: 'a' }]);
    const seen: string[] = [];
    const off = h.core.onStateChange((c: InstanceStateChange) => seen.push(`${c.tags['Name']}:${c.previous}->${c.state}`));
    await h.client().send(new StopInstancesCommand({ InstanceIds: [id!] }));
    expect(seen).to.deep.equal(['a:running->stopping']);
    h.clock.advance(1000);
    expect(seen).to.have.length(1);
    h.core.settle();
    expect(seen).to.deep.equal(['a:running->stopping', 'a:stopping->stopped']);
    await h.client().send(new StartInstancesCommand({ InstanceIds: [id!] }));
    h.clock.advance(5000);
    h.core.instances('us-east-1');
    expect(seen.slice(2)).to.deep.equal(['a:stopped->pending', 'a:pending->running']);
    h.core.seed('us-east-1', [{ name: 'b', state: 'stopped' }]);
    expect(seen.at(-1)).to.equal('b:undefined->stopped');
    off();
    await h.client().send(new StopInstancesCommand({ InstanceIds: [id!] }));
    expect(seen).to.have.length(5);
  });

  it('a throwing listener does not break the API', async () => {
    const h = harness();
    const [id] = h.core.seed('us-east-1', [{ name: 'a' }]);
    h.core.onStateChange(() => { throw new Error('boom'); });
    const out = await h.client().send(new StopInstancesCommand({ InstanceIds: [id!] }));
    expect(out.StoppingInstances?.[0]?.CurrentState?.Name).to.equal('stopping');
  });
});
