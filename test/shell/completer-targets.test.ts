import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { ClusterState } from '../../src/plugins/api.js';
import { completeTarget } from '../../src/shell/completer.js';
import { makeTempHome } from '../helpers/temp-home.js';

/** Only what completeTarget reads of the shell state. */
const state = {
  workingSet: () => Promise.resolve([{ name: 'web1', props: {} }, { name: 'worker1', props: {} }]),
  clusters: () => Promise.resolve(['slurm1']),
  lastRun: () => undefined,
} as unknown as ClusterState;

describe('completion of targets', () => {
  let tmp: ReturnType<typeof makeTempHome>;
  before(() => {
    tmp = makeTempHome();
    fs.writeFileSync(path.join(tmp.home, 'hosts.txt'), 'web1\n');
    fs.writeFileSync(path.join(tmp.home, 'hosts-down.txt'), 'web1\n');
    fs.mkdirSync(path.join(tmp.home, 'hostlists'));
  });
  after(() => tmp.cleanup());

  it('completes after ^ like after the other operators', async () => {
    expect(await completeTarget('web*^wo', state)).to.deep.equal(['web*^worker1']);
  });
  it('offers file: and completes its path (directories end in /), after operators too', async () => {
    expect(await completeTarget('fi', state)).to.deep.equal(['file:']);
    const dir = tmp.home;
    expect(await completeTarget(`file:${dir}/host`, state)).to.deep.equal(
      [`file:${dir}/hostlists/`, `file:${dir}/hosts-down.txt`, `file:${dir}/hosts.txt`]);
    expect(await completeTarget(`*!file:${dir}/hosts-`, state)).to.deep.equal([`*!file:${dir}/hosts-down.txt`]);
    expect(await completeTarget('file:/nonexistent-dir/x', state)).to.deep.equal([]);
  });
});
