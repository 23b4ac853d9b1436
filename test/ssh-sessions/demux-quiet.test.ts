import { expect } from 'chai';
import { LineDemux } from '../../src/sessions/demux.js';

function collector() {
  const events: string[] = [];
  const demux = new LineDemux({
    line: (t) => events.push(`line:${t}`),
    partial: (t) => events.push(`partial:${t}`),
    marker: () => undefined,
  }, 20, 400);
  return { events, demux };
}

const waitUntil = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('LineDemux quiet periods', () => {
  it('shows an unfinished line that looks like a prompt after the short quiet period', async () => {
    const { events, demux } = collector();
    demux.push(Buffer.from('Continue [Y/n] '));
    await waitUntil(() => events.length > 0);
    expect(events).to.deep.equal(['partial:Continue [Y/n] ']);
    demux.dispose();
  });

  it('does not split a line whose output merely stalls briefly (it is not a prompt)', async () => {
    const { events, demux } = collector();
    demux.push(Buffer.from('first half of a long li'));
    // Stall well past the short quiet period, but less than the idle period, then finish the line.
    await new Promise((r) => setTimeout(r, 100));
    expect(events).to.deep.equal([]);
    demux.push(Buffer.from('ne\r\nnext\r\n'));
    expect(events).to.deep.equal(['line:first half of a long line', 'line:next']);
    demux.dispose();
  });

  it('still shows any unfinished line after the long idle period', async () => {
    const { events, demux } = collector();
    demux.push(Buffer.from('downloading 45%'));
    await waitUntil(() => events.length > 0);
    expect(events).to.deep.equal(['partial:downloading 45%']);
    demux.dispose();
  });

  it('decodes a UTF-8 character split across reads and strips CR', () => {
    const { events, demux } = collector();
    const bytes = Buffer.from('größe ✓\r\n');
    demux.push(bytes.subarray(0, 3));
    demux.push(bytes.subarray(3, 9));
    demux.push(bytes.subarray(9));
    expect(events).to.deep.equal(['line:größe ✓']);
    demux.dispose();
  });
});
