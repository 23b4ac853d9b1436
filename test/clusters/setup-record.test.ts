/** Setup outcomes in the cluster state file: written, read back and validated. */
import fs from 'node:fs';
import { expect } from 'chai';
import { parseClusterSpec } from '../../src/clusters/load-spec.js';
import { setupFailure, setupRecord, type SetupResult } from '../../src/clusters/setup.js';
import type { Ec2ClusterSpec } from '../../src/clusters/spec.js';
import { newClusterState, readClusterState, stateFile, writeClusterState } from '../../src/ec2/lifecycle/state.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { makeTempHome } from '../helpers/temp-home.js';

const result: SetupResult = {
  ok: false,
  head: { node: 'head', role: 'head', status: 'ok', completed: ['packages', 'setup.all[1]'], at: '2025-03-14T10:00:00.000Z' },
  workers: [
    { node: 'worker0', role: 'worker', status: 'failed', completed: [], step: 'packages', command: 'install git', exitCode: 100, reason: 'exit 100', at: '2025-03-14T10:00:01.000Z' },
    { node: 'worker1', role: 'worker', status: 'pending', completed: [], reason: 'not reachable after 300 s: connect ECONNREFUSED', at: '2025-03-14T10:05:00.000Z' },
  ],
};

describe('cluster setup: outcomes in the state file', () => {
  it('round-trips through the state file, and a damaged record is refused on reading', () => {
    const tmp = makeTempHome();
    try {
      const spec = parseClusterSpec('name: spark1\n', 'spark1.yaml') as Ec2ClusterSpec;
      const state = newClusterState(spec, 'us-east-1', 'dust:cluster', new Date());
      state.setup = setupRecord(result);
      writeClusterState(tmp.home, state, new Date());
      expect(readClusterState(tmp.home, 'spark1')?.setup).to.deep.equal(setupRecord(result));

      const file = stateFile(tmp.home, 'spark1');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('status: pending', 'status: sleeping'));
      try {
        readClusterState(tmp.home, 'spark1');
        expect.fail('expected a refusal');
      } catch (err) {
        expect(isDustError(err)).to.equal(true);
        expect((err as Error).message).to.match(/setup\.worker1\.status/);
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('one line names every node that is not ready', () => {
    expect(setupFailure(result)?.message).to.equal(
      'cluster setup: 2 of 3 nodes not ready: worker0: packages failed (exit 100); worker1: not reachable after 300 s: connect ECONNREFUSED');
    expect(setupFailure({ ...result, ok: true, workers: [] })).to.equal(undefined);
  });
});
