import path from 'node:path';
import { expect } from 'chai';
import { formatError, isDustError } from '../../src/errors/dust-error.js';
import { createEc2Integration } from '../../src/ec2/cloud-hooks.js';
import { resolveAwsSettings } from '../../src/ec2/aws-settings.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { startEc2EmulatorServer } from '../../src/ec2/emulator/index.js';
import { loadEc2Sdk } from '../../src/ec2/sdk.js';
import { ec2App, namesOf, type Ec2TestApp } from './helpers.js';

/** The one error line a failed command printed. */
function errorLine(t: Ec2TestApp): string {
  const lines = t.out.take().split('\n').filter((l) => l.startsWith('✖'));
  expect(lines, 'exactly one error line').to.have.length(1);
  return lines[0]!;
}

describe('ec2: errors are one line with a stable code', () => {
  let t: Ec2TestApp;
  afterEach(() => t?.cleanup());

  it('missing credentials: DUST_EC2_CREDENTIALS with the fix (default chain, nothing configured)', async function () {
    this.timeout(60000);
    t = await ec2App();
    const server = await startEc2EmulatorServer({ core: t.core });
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      process.env['AWS_CONFIG_FILE'] = path.join(t.home, 'none-config');
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = path.join(t.home, 'none-credentials');
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
      const settings = await resolveAwsSettings({ config: ConfigSchema.parse({ region: 'us-east-1' }), cli: { endpointUrl: server.url } });
      const ec2 = createEc2Integration(settings, { maxAttempts: 1 });
      try {
        let caught: unknown;
        await ec2.provider.list().catch((e: unknown) => { caught = e; });
        expect(isDustError(caught)).to.equal(true);
        const e = caught as { code: string; message: string; hint: string };
        expect(e.code).to.equal('DUST_EC2_CREDENTIALS');
        expect(e.message).to.equal('EC2 DescribeInstances: no AWS credentials found');
        expect(e.hint).to.match(/aws configure/).and.match(/AWS_PROFILE/).and.match(/AWS_ACCESS_KEY_ID/);
        // The region list (what `use <region>` checks against) fails the same way, as one line.
        let regionsError: unknown;
        await ec2.cloud.list().catch((e: unknown) => { regionsError = e; });
        expect(formatError(regionsError)).to.match(/^EC2 DescribeRegions: no AWS credentials found — run `aws configure`[^\n]*\[DUST_EC2_CREDENTIALS\]$/);
      } finally {
        ec2.close();
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      await server.close();
    }
  });

  it('UnauthorizedOperation names the action, without the encoded policy blob', async () => {
    t = await ec2App();
    t.core.seed('us-east-1', [{ name: 'a' }]);
    t.core.faults.deny('StopInstances');
    expect(await t.run('stop -y a')).to.equal(false);
    const line = errorLine(t);
    expect(line).to.match(/not authorized to perform ec2:StopInstances in us-east-1 \(UnauthorizedOperation\)/);
    expect(line).to.match(/\[DUST_EC2_UNAUTHORIZED\]/);
    expect(line).to.not.match(/Encoded/);
  });

  it('throttling is retried with backoff, then reported', async function () {
    this.timeout(60000);
    t = await ec2App({ maxAttempts: 2 });
    t.core.seed('us-east-1', [{ name: 'a' }]);
    t.core.faults.add({ action: 'StopInstances', error: 'RequestLimitExceeded', times: 1 });
    expect(await t.run('stop -y a')).to.equal(true);
    expect(t.core.requestLog.filter((r) => r.action === 'StopInstances').map((r) => r.status)).to.deep.equal([503, 200]);

    t.out.take();
    t.core.faults.add({ action: 'StartInstances', error: 'RequestLimitExceeded', times: Infinity });
    t.clock.advance(10_000);
    t.app.state.invalidate();
    expect(await t.run('start -y a')).to.equal(false);
    expect(errorLine(t)).to.match(/EC2 StartInstances: throttled by AWS after 2 attempts \(RequestLimitExceeded\).*\[DUST_EC2_THROTTLED\]/);
  });

  it('unknown instance: DUST_EC2_API with the AWS code', async () => {
    t = await ec2App();
    const [id] = t.core.seed('us-east-1', [{ name: 'ghost' }]);
    expect(await namesOf(t, 'ghost')).to.deep.equal(['ghost']);
    t.core.region('us-east-1').instances.delete(id!);
    expect(await t.run('stop -y ghost')).to.equal(false);
    expect(errorLine(t)).to.match(/EC2 StopInstances failed in us-east-1: .*does not exist.*InvalidInstanceID\.NotFound.*refresh.*\[DUST_EC2_API\]/);
  });

  it('wrong state: IncorrectInstanceState from a stale inventory', async () => {
    t = await ec2App();
    const [id] = t.core.seed('us-east-1', [{ name: 'late' }]);
    expect(await namesOf(t, 'state=running')).to.deep.equal(['late']);
    const sdk = loadEc2Sdk();
    await t.ec2.cloud.factory.client('us-east-1').send(new sdk.TerminateInstancesCommand({ InstanceIds: [id!] }));
    expect(await t.run('reboot -y late')).to.equal(false);
    expect(errorLine(t)).to.match(/EC2 RebootInstances failed.*\(IncorrectInstanceState\).*\[DUST_EC2_API\]/);
  });

  it('use <region> switches region (validated against DescribeRegions), use <typo> is refused', async () => {
    t = await ec2App();
    t.core.seed('us-east-1', [{ name: 'east' }]);
    t.core.seed('eu-west-1', [{ name: 'west' }]);
    expect(await namesOf(t, '*')).to.deep.equal(['east']);
    expect(await t.run('use eu-west-1')).to.equal(true);
    expect(t.app.state.region).to.equal('eu-west-1');
    expect(t.out.take()).to.match(/west/);
    expect(await namesOf(t, '*')).to.deep.equal(['west']);
    expect(await t.run('use eu-wset-1')).to.equal(false);
    expect(errorLine(t)).to.match(/no cluster or region named 'eu-wset-1'.*us-east-1.*\[DUST_UNKNOWN_CONTEXT\]/);
    expect(t.core.requestLog.filter((r) => r.action === 'DescribeRegions')).to.have.length(1);
  });

  it('EC2 commands on nodes that are not instances say so', async () => {
    t = await ec2App({ config: { nodes: [{ name: 's1', host: '127.0.0.1' }] } });
    expect(await t.run('tag s1 a=b')).to.equal(false);
    expect(errorLine(t)).to.match(/tag: no EC2 instance among the targeted nodes.*\[DUST_TARGET_NO_MATCH\]/);
    expect(await t.run('stop -y s1')).to.equal(false);
    expect(errorLine(t)).to.match(/stop: no EC2 instance among the targeted nodes/);
  });
});
