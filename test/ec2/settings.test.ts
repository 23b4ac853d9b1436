import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { resolveAwsSettings } from '../../src/ec2/aws-settings.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { makeTempHome } from '../helpers/temp-home.js';

describe('ec2: settings resolution (region, profile, endpoint)', async () => {
  let tmp: ReturnType<typeof makeTempHome>;
  let awsConfig: string;
  beforeEach(() => {
    tmp = makeTempHome();
    awsConfig = path.join(tmp.home, 'aws-config');
    fs.writeFileSync(awsConfig, [
      '[default]', 'region = eu-west-1', '',
      '[profile work]', 'region = ap-south-1  # comment', 's3 =', '  max_concurrency = 2', '',
      '[profile noregion]', 'output = json',
    ].join('\n'));
  });
  afterEach(() => tmp.cleanup());
  const config = (extra: Record<string, unknown> = {}) => ConfigSchema.parse(extra);

  it('region: --region > AWS_REGION > AWS_DEFAULT_REGION > profile > config', async () => {
    const env = { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-east-2', AWS_CONFIG_FILE: awsConfig };
    const cfg = config({ region: 'ca-central-1' });
    expect(await resolveAwsSettings({ cli: { region: 'sa-east-1' }, config: cfg, env, homeDir: tmp.home })).to.include({ region: 'sa-east-1', regionSource: '--region' });
    expect(await resolveAwsSettings({ config: cfg, env, homeDir: tmp.home })).to.include({ region: 'us-west-2', regionSource: 'AWS_REGION' });
    const { AWS_REGION: _r, ...noRegion } = env;
    expect(await resolveAwsSettings({ config: cfg, env: noRegion, homeDir: tmp.home })).to.include({ region: 'us-east-2', regionSource: 'AWS_DEFAULT_REGION' });
    expect(await resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig }, homeDir: tmp.home })).to.include({ region: 'eu-west-1', regionSource: 'profile' });
    expect(await resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig, AWS_PROFILE: 'work' }, homeDir: tmp.home })).to.include({ region: 'ap-south-1', profile: 'work', profileSource: 'AWS_PROFILE' });
    expect(await resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig }, cli: { profile: 'noregion' }, homeDir: tmp.home })).to.include({ region: 'ca-central-1', regionSource: 'config', profile: 'noregion' });
  });

  it('reads ~/.aws/config under the home directory when AWS_CONFIG_FILE is unset', async () => {
    fs.mkdirSync(path.join(tmp.home, '.aws'));
    fs.copyFileSync(awsConfig, path.join(tmp.home, '.aws', 'config'));
    expect(await resolveAwsSettings({ config: config(), env: {}, cli: { profile: 'work' }, homeDir: tmp.home })).to.include({ region: 'ap-south-1', profileSource: '--profile' });
  });

  it('enabled: with a region or ec2.enabled true (us-east-1), never with ec2.enabled false', async () => {
    const none = await resolveAwsSettings({ config: config(), env: {}, homeDir: tmp.home });
    expect(none.enabled).to.equal(false);
    expect(none.reason).to.match(/no region/);
    expect(await resolveAwsSettings({ config: config({ ec2: { enabled: true } }), env: {}, homeDir: tmp.home })).to.include({ enabled: true, region: 'us-east-1', regionSource: 'default' });
    expect((await resolveAwsSettings({ config: config({ ec2: { enabled: false } }), env: { AWS_REGION: 'us-west-2' }, homeDir: tmp.home })).enabled).to.equal(false);
    expect((await resolveAwsSettings({ config: config(), env: { AWS_DEFAULT_REGION: 'us-west-2' }, homeDir: tmp.home })).enabled).to.equal(true);
  });

  it('endpoint: --endpoint-url > config ec2.endpoint > AWS_ENDPOINT_URL_EC2 > AWS_ENDPOINT_URL', async () => {
    const env = { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:3', AWS_ENDPOINT_URL: 'http://127.0.0.1:4', AWS_REGION: 'us-east-1' };
    const cfg = config({ ec2: { endpoint: 'http://127.0.0.1:2' } });
    expect(await resolveAwsSettings({ cli: { endpointUrl: 'http://127.0.0.1:1' }, config: cfg, env })).to.include({ endpoint: 'http://127.0.0.1:1', endpointSource: '--endpoint-url' });
    expect(await resolveAwsSettings({ config: cfg, env })).to.include({ endpoint: 'http://127.0.0.1:2', endpointSource: 'config' });
    expect(await resolveAwsSettings({ config: config(), env })).to.include({ endpoint: 'http://127.0.0.1:3', endpointSource: 'AWS_ENDPOINT_URL_EC2' });
    expect(await resolveAwsSettings({ config: config(), env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4' } })).to.include({ endpoint: 'http://127.0.0.1:4', endpointSource: 'AWS_ENDPOINT_URL' });
    expect((await resolveAwsSettings({ config: config(), env: { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } })).endpoint).to.equal(undefined);
  });

  it('cluster tag: config ec2.clusterTag, default dust:cluster', async () => {
    expect((await resolveAwsSettings({ config: config(), env: {} })).clusterTag).to.equal('dust:cluster');
    expect((await resolveAwsSettings({ config: config({ ec2: { clusterTag: 'aws:cloudformation:stack-name' } }), env: {} })).clusterTag).to.equal('aws:cloudformation:stack-name');
  });

  it('profiles as the SDK reads them: [profile x] and [default] count, a bare [x] does not; inline comments; the credentials file too', async () => {
    fs.writeFileSync(awsConfig, [
      '[p3]', 'region = us-west-1', '',                     // the SDK (and the AWS CLI) ignore this section
      '[profile p4]', 'region = eu-north-1 ; why', '',
      '[profile creds-only]', 'output = json', '',
    ].join('\n'));
    const credentials = path.join(tmp.home, 'aws-credentials');
    fs.writeFileSync(credentials, '[creds-only]\nregion = me-south-1\n');
    const env = { AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const cfg = config({ region: 'ca-central-1' });
    expect(await resolveAwsSettings({ config: cfg, env, cli: { profile: 'p3' }, homeDir: tmp.home })).to.include({ region: 'ca-central-1', regionSource: 'config' });
    expect(await resolveAwsSettings({ config: cfg, env, cli: { profile: 'p4' }, homeDir: tmp.home })).to.include({ region: 'eu-north-1', regionSource: 'profile' });
    expect(await resolveAwsSettings({ config: cfg, env, cli: { profile: 'creds-only' }, homeDir: tmp.home })).to.include({ region: 'me-south-1', regionSource: 'profile' });
  });

  it('agrees with the SDK on the region of every profile', async () => {
    const { loadEc2Sdk, withoutNodeVersionWarning } = await import('../../src/ec2/sdk.js');
    fs.writeFileSync(awsConfig, '[default]\nregion = eu-west-3\n[p3]\nregion = us-west-1\n[profile good]\nregion = ap-east-1 # c\n[profile both]\nregion = sa-east-1\n');
    const credentials = path.join(tmp.home, 'aws-credentials');
    fs.writeFileSync(credentials, '[creds-only]\nregion = me-south-1\n[both]\nregion = af-south-1\n');
    const env = { AWS_CONFIG_FILE: awsConfig, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const saved = { ...process.env };
    try {
      for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
      Object.assign(process.env, env);
      for (const profile of ['default', 'p3', 'good', 'creds-only', 'both', 'missing']) {
        const client = withoutNodeVersionWarning(() => new (loadEc2Sdk().EC2Client)({ profile }));
        const sdkRegion = await client.config.region().catch(() => undefined);
        client.destroy();
        const ours = await resolveAwsSettings({ config: config(), env, cli: { profile }, homeDir: tmp.home });
        expect(ours.region, profile).to.equal(sdkRegion);
      }
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

});
