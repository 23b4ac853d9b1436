import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { resolveAwsSettings, parseIni } from '../../src/ec2/aws-settings.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { makeTempHome } from '../helpers/temp-home.js';

describe('ec2: settings resolution (region, profile, endpoint)', () => {
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

  it('region: --region > AWS_REGION > AWS_DEFAULT_REGION > profile > config', () => {
    const env = { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-east-2', AWS_CONFIG_FILE: awsConfig };
    const cfg = config({ region: 'ca-central-1' });
    expect(resolveAwsSettings({ cli: { region: 'sa-east-1' }, config: cfg, env, homeDir: tmp.home })).to.include({ region: 'sa-east-1', regionSource: '--region' });
    expect(resolveAwsSettings({ config: cfg, env, homeDir: tmp.home })).to.include({ region: 'us-west-2', regionSource: 'AWS_REGION' });
    const { AWS_REGION: _r, ...noRegion } = env;
    expect(resolveAwsSettings({ config: cfg, env: noRegion, homeDir: tmp.home })).to.include({ region: 'us-east-2', regionSource: 'AWS_DEFAULT_REGION' });
    expect(resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig }, homeDir: tmp.home })).to.include({ region: 'eu-west-1', regionSource: 'profile' });
    expect(resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig, AWS_PROFILE: 'work' }, homeDir: tmp.home })).to.include({ region: 'ap-south-1', profile: 'work', profileSource: 'AWS_PROFILE' });
    expect(resolveAwsSettings({ config: cfg, env: { AWS_CONFIG_FILE: awsConfig }, cli: { profile: 'noregion' }, homeDir: tmp.home })).to.include({ region: 'ca-central-1', regionSource: 'config', profile: 'noregion' });
  });

  it('reads ~/.aws/config under the home directory when AWS_CONFIG_FILE is unset', () => {
    fs.mkdirSync(path.join(tmp.home, '.aws'));
    fs.copyFileSync(awsConfig, path.join(tmp.home, '.aws', 'config'));
    expect(resolveAwsSettings({ config: config(), env: {}, cli: { profile: 'work' }, homeDir: tmp.home })).to.include({ region: 'ap-south-1', profileSource: '--profile' });
  });

  it('enabled: with a region or ec2.enabled true (us-east-1), never with ec2.enabled false', () => {
    const none = resolveAwsSettings({ config: config(), env: {}, homeDir: tmp.home });
    expect(none.enabled).to.equal(false);
    expect(none.reason).to.match(/no region/);
    expect(resolveAwsSettings({ config: config({ ec2: { enabled: true } }), env: {}, homeDir: tmp.home })).to.include({ enabled: true, region: 'us-east-1', regionSource: 'default' });
    expect(resolveAwsSettings({ config: config({ ec2: { enabled: false } }), env: { AWS_REGION: 'us-west-2' }, homeDir: tmp.home }).enabled).to.equal(false);
    expect(resolveAwsSettings({ config: config(), env: { AWS_DEFAULT_REGION: 'us-west-2' }, homeDir: tmp.home }).enabled).to.equal(true);
  });

  it('endpoint: --endpoint-url > config ec2.endpoint > AWS_ENDPOINT_URL_EC2 > AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:3', AWS_ENDPOINT_URL: 'http://127.0.0.1:4', AWS_REGION: 'us-east-1' };
    const cfg = config({ ec2: { endpoint: 'http://127.0.0.1:2' } });
    expect(resolveAwsSettings({ cli: { endpointUrl: 'http://127.0.0.1:1' }, config: cfg, env })).to.include({ endpoint: 'http://127.0.0.1:1', endpointSource: '--endpoint-url' });
    expect(resolveAwsSettings({ config: cfg, env })).to.include({ endpoint: 'http://127.0.0.1:2', endpointSource: 'config' });
    expect(resolveAwsSettings({ config: config(), env })).to.include({ endpoint: 'http://127.0.0.1:3', endpointSource: 'AWS_ENDPOINT_URL_EC2' });
    expect(resolveAwsSettings({ config: config(), env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4' } })).to.include({ endpoint: 'http://127.0.0.1:4', endpointSource: 'AWS_ENDPOINT_URL' });
    expect(resolveAwsSettings({ config: config(), env: { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' } }).endpoint).to.equal(undefined);
  });

  it('cluster tag: config ec2.clusterTag, default dust:cluster', () => {
    expect(resolveAwsSettings({ config: config(), env: {} }).clusterTag).to.equal('dust:cluster');
    expect(resolveAwsSettings({ config: config({ ec2: { clusterTag: 'aws:cloudformation:stack-name' } }), env: {} }).clusterTag).to.equal('aws:cloudformation:stack-name');
  });

  it('parseIni ignores comments and nested sub-sections', () => {
    const ini = parseIni('# top\n[profile a]\nregion=x ; c\n  nested = y\n[b]\nk = v = w\n');
    expect(ini.get('profile a')?.get('region')).to.equal('x');
    expect(ini.get('profile a')?.has('nested')).to.equal(false);
    expect(ini.get('b')?.get('k')).to.equal('v = w');
  });
});
