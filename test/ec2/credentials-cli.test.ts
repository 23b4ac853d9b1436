/**
 * What a person sees when AWS credentials are not usable, through the built CLI. Credentials resolve
 * before any request, so nothing is sent; the endpoint is a loopback emulator all the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startEc2EmulatorServer, Ec2EmulatorCore, type Ec2EmulatorServer } from '../../src/ec2/emulator/index.js';
import { runDust } from '../helpers/run-dust.js';
import { makeTempHome } from '../helpers/temp-home.js';

const SSO_CONFIG = `[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev
region = us-east-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
`;

describe('ec2: unusable credentials through the CLI', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  let server: Ec2EmulatorServer;
  const env = () => ({ AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: path.join(tmp.home, 'no-credentials') });

  before(async () => { server = await startEc2EmulatorServer({ core: new Ec2EmulatorCore() }); });
  after(async () => { await server.close(); });
  beforeEach(() => {
    tmp = makeTempHome('nodes:\n  - { name: lonely, host: 127.0.0.30 }\n');
    fs.mkdirSync(path.join(tmp.home, '.aws'));
    fs.writeFileSync(path.join(tmp.home, '.aws', 'config'), SSO_CONFIG);
  });
  afterEach(() => tmp.cleanup());

  it('an SSO profile without a token: the SDK\'s reason and `aws sso login`, exit 1', () => {
    const r = runDust(['--config', tmp.configFile, '--endpoint-url', server.url, '-c', 'show'], { home: tmp.home, env: { ...env(), AWS_PROFILE: 'sso-dev' } });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("The SSO session token associated with profile=sso-dev was not found or is invalid");
    expect(r.stderr).to.include('run `aws sso login --profile sso-dev`, then try again [DUST_EC2_CREDENTIALS]');
    expect(r.stderr).to.not.include('aws configure');
    // the other sources still answer
    expect(r.stdout).to.include('lonely');
  });

  it('no credentials at all: the aws configure hint, and show exits 1 (the EC2 inventory failed)', () => {
    const r = runDust(['--config', tmp.configFile, '--region', 'us-east-1', '--endpoint-url', server.url, '-c', 'show'], {
      home: tmp.home, env: { ...env(), AWS_CONFIG_FILE: path.join(tmp.home, 'no-config') },
    });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/inventory: ec2 failed: EC2 DescribeInstances: no AWS credentials found — run `aws configure`/);
    expect(r.stdout).to.include('lonely');
  });
});
