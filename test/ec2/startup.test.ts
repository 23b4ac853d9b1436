/**
 * The AWS SDK (250–420 ms, ~70 MiB) must never load on start-up: only the first call that talks to
 * EC2 loads it. Checked in fresh processes, by looking for the SDK in Node's module cache at exit
 * (ESM imports of the SDK's CommonJS bundle land there too).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A preload that records, at exit, whether any file of `pkg` (default @aws-sdk/client-ec2) was loaded. */
function preload(dir: string, pkg = '@aws-sdk/client-ec2'): { file: string; result: string } {
  const result = path.join(dir, 'sdk-loaded.txt');
  const file = path.join(dir, 'sdk-probe.cjs');
  fs.writeFileSync(file, `process.on('exit', () => {
  const loaded = Object.keys(require('module')._cache).some((k) => k.includes(${JSON.stringify(pkg)}.split('/').join(require('path').sep)));
  require('fs').writeFileSync(${JSON.stringify(result)}, String(loaded));
});\n`);
  return { file, result };
}

describe('ec2: the SDK is not loaded on start-up', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome(); });
  afterEach(() => tmp.cleanup());

  it('importing and wiring the integration loads nothing; the first EC2 call does', () => {
    const probe = preload(tmp.home);
    const script = path.join(tmp.home, 'wire.mts');
    fs.writeFileSync(script, `
import { resolveAwsSettings, createEc2Integration, createEc2Plugin, ec2SdkLoaded } from ${JSON.stringify(path.join(root, 'src/ec2/index.ts'))};
import { ConfigSchema } from ${JSON.stringify(path.join(root, 'src/config/schema.ts'))};
const settings = await resolveAwsSettings({ config: ConfigSchema.parse({ region: 'us-east-1' }), env: {} });
const ec2 = createEc2Integration(settings);
const plugin = createEc2Plugin({ settings, integration: ec2 });
const names: string[] = [];
const ignore = () => undefined;
await plugin.setup({ registerCommand: (s: { name: string }) => names.push(s.name), provide: ignore, registerInventoryProvider: ignore, registerScope: ignore, registerClusterProvider: ignore, onClose: ignore, state: { dustHome: '/nonexistent' } } as never);
const before = ec2SdkLoaded();
if (process.argv.includes('--use')) ec2.cloud.factory.client('us-east-1');
console.log(JSON.stringify({ before, names }));
`);
    const run = (extra: string[]) => spawnSync(process.execPath, ['--require', probe.file, '--import', 'tsx', script, ...extra], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const idle = run([]);
    expect(idle.status, idle.stderr).to.equal(0);
    const report = JSON.parse(idle.stdout.trim().split('\n').at(-1)!) as { before: boolean; names: string[] };
    expect(report.before).to.equal(false);
    expect(report.names).to.include.members(['start', 'stop', 'reboot', 'terminate', 'tag', 'untag', 'emulator']);
    expect(fs.readFileSync(probe.result, 'utf8')).to.equal('false');
    // Control: the same probe does see the SDK once a client is made.
    const used = run(['--use']);
    expect(used.status, used.stderr).to.equal(0);
    expect(fs.readFileSync(probe.result, 'utf8')).to.equal('true');
    expect(used.stderr).to.not.match(/NodeVersionSupportWarning/);
  });

  it('dust -c help (built) does not load it', function () {
    const main = path.join(root, 'dist/shell/main.js');
    if (!fs.existsSync(main)) this.skip();
    const probe = preload(tmp.home);
    const config = path.join(tmp.home, 'config.yaml');
    fs.writeFileSync(config, 'region: us-east-1\nnodes:\n  - name: a\n    host: 127.0.0.1\n');
    const r = spawnSync(process.execPath, ['--require', probe.file, main, '--config', config, '--region', 'us-east-1', '-c', 'help'], {
      cwd: tmp.home, encoding: 'utf8', env: { ...process.env, DUST_HOME: tmp.home, HOME: tmp.home, NODE_OPTIONS: '' },
    });
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readFileSync(probe.result, 'utf8')).to.equal('false');
  });

  it('the shared-config reader loads only when ~/.aws files exist and the region is not known yet', function () {
    const main = path.join(root, 'dist/shell/main.js');
    if (!fs.existsSync(main)) this.skip();
    const config = path.join(tmp.home, 'config.yaml');
    fs.writeFileSync(config, 'nodes:\n  - name: a\n    host: 127.0.0.1\n');
    const loads = (env: Record<string, string>): string => {
      const probe = preload(tmp.home, '@smithy/shared-ini-file-loader');
      const r = spawnSync(process.execPath, ['--require', probe.file, main, '--config', config, '-c', 'help'], {
        cwd: tmp.home, encoding: 'utf8', env: { PATH: process.env['PATH'], DUST_HOME: tmp.home, HOME: tmp.home, AWS_EC2_METADATA_DISABLED: 'true', ...env },
      });
      expect(r.status, r.stderr).to.equal(0);
      return fs.readFileSync(probe.result, 'utf8');
    };
    expect(loads({}), 'no ~/.aws files').to.equal('false');
    fs.mkdirSync(path.join(tmp.home, '.aws'));
    fs.writeFileSync(path.join(tmp.home, '.aws', 'config'), '[default]\nregion = eu-west-1\n');
    expect(loads({ AWS_REGION: 'us-east-1' }), 'region from the environment').to.equal('false');
    expect(loads({}), 'control: the profile decides the region').to.equal('true');
  });
});
