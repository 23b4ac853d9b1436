import fs from 'node:fs';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { createEc2RequestHandler } from '../../src/ec2/emulator/index.js';
import { up } from '../../src/ec2/lifecycle/index.js';
import { Ec2ClusterSpecSchema } from '../../src/clusters/spec.js';
import { generateEd25519 } from '../../src/ssh/keygen.js';
import { ec2App, FAKE_CREDENTIALS, namesOf, type Ec2TestApp } from '../ec2/helpers.js';

describe('ec2 lifecycle: clusters from a spec are ordinary clusters to the rest of dust', function () {
  this.timeout(60_000);
  let t: Ec2TestApp;
  beforeEach(async () => {
    t = await ec2App();
  });
  afterEach(() => t.cleanup());

  it('cluster list, show and cluster= targets see them, through the same cluster tag', async () => {
    const keyFile = path.join(t.home, 'id.pub');
    fs.writeFileSync(keyFile, generateEd25519('me').publicKey);
    const client = new EC2Client({ region: 'us-east-1', credentials: FAKE_CREDENTIALS, endpoint: 'http://ec2.emulator.invalid', requestHandler: createEc2RequestHandler(t.core), maxAttempts: 1 });
    try {
      await up(Ec2ClusterSpecSchema.parse({ name: 'spark1', key: keyFile, workers: { count: 2 } }), {
        client: () => client, defaultRegion: 'us-east-1', dustHome: t.home, pollIntervalMs: 1000,
        sleep: async (ms) => {
          t.clock.advance(ms);
          return true;
        },
      });
    } finally {
      client.destroy();
    }
    t.app.state.invalidate();
    expect(await t.run('cluster list')).to.equal(true);
    expect(t.out.take()).to.match(/│ spark1\s+│ running\s+│ ec2\s+│ us-east-1\s+│ [\d.]+ \(running\)\s+│ 3 running\s+│ here\s+│/);
    expect(await namesOf(t, 'cluster=spark1')).to.have.members(['head', 'worker0', 'worker1']);
    expect(await namesOf(t, 'tags=dust:cluster-role:worker')).to.have.members(['worker0', 'worker1']);
  });
});
