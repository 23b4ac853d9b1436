/**
 * `dust -c` end to end against the HTTP emulator, with instances mapped onto loopback SSH nodes so `@`
 * works on EC2 nodes. Needs the built CLI (npm test builds first) with the EC2 integration wired into
 * main.ts; skipped until then.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Ec2EmulatorCore, startEc2EmulatorServer, type Ec2EmulatorServer } from '../../src/ec2/emulator/index.js';
import { startDemoCluster, type DemoCluster } from '../../src/demo/index.js';
import { makeTempHome } from '../helpers/temp-home.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// DUST_EC2_CLI_MAIN points at another build (to try the wiring before it lands in main.ts).
const main = process.env['DUST_EC2_CLI_MAIN'] ?? path.join(root, 'dist/shell/main.js');

function dust(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ec2: dust -c against the HTTP emulator', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof makeTempHome>;
  let server: Ec2EmulatorServer;
  let cluster: DemoCluster;
  let core: Ec2EmulatorCore;
  let env: NodeJS.ProcessEnv;
  let config: string;

  before(async function () {
    if (!fs.existsSync(main)) {
      console.log('      (dist/ is not built: run npm run build first)');
      this.skip();
    }
    tmp = makeTempHome();
    cluster = await startDemoCluster({ dir: path.join(tmp.home, 'nodes'), basePort: 12900 + Math.floor(Math.random() * 30) * 3, nodes: [{ name: 'n1' }, { name: 'n2' }] });
    core = new Ec2EmulatorCore();
    const ids = core.seed('us-east-1', cluster.nodes.map((n) => ({ name: `ec2-${n.name}`, publicIp: n.host, tags: { 'dust:cluster': 'cli' } })));
    server = await startEc2EmulatorServer({ core });
    config = path.join(tmp.home, 'config.yaml');
    const logins = cluster.nodes.map((n, i) => `  - selector: id=${ids[i]}\n    user: ${cluster.user}\n    identityFile: ${cluster.clientKeyPath}\n    port: ${n.port}\n`).join('');
    fs.writeFileSync(config, `hostKeyChecking: accept-new\nlogins:\n${logins}`);
    env = {
      PATH: process.env['PATH'], HOME: tmp.home, DUST_HOME: tmp.home,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-secret', AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: path.join(tmp.home, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(tmp.home, 'no-aws-credentials'),
    };
  });

  after(async () => {
    await server?.close();
    await cluster?.close();
    tmp?.cleanup();
  });

  it('show lists the emulator instances; @ runs on them; stop changes state', async () => {
    const r = await dust(['--config', config, '--endpoint-url', server.url, '--region', 'us-east-1', '--no-color', '-c', 'show', '-c', '@* hostname', '-c', 'stop -y ec2-n2', '-c', 'show state=stopping'], env, tmp.home);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/cluster cli/).and.match(/ec2-n1/).and.match(/i-[0-9a-f]{17}/);
    expect(r.stdout).to.match(/\[ec2-n1\]\s+n1/).and.match(/\[ec2-n2\]\s+n2/);
    expect(r.stdout).to.match(/ec2-n2: running → stopping/);
    expect(core.instances('us-east-1').find((i) => i.tags['Name'] === 'ec2-n2')!.state).to.be.oneOf(['stopping', 'stopped']);
  });

  it('an EC2 error is one line with its code, exit status non-zero', async () => {
    core.faults.deny('StopInstances');
    const r = await dust(['--config', config, '--endpoint-url', server.url, '--region', 'us-east-1', '--no-color', '-c', 'stop -y ec2-n1'], env, tmp.home);
    core.faults.clear();
    expect(r.code).to.not.equal(0);
    expect(r.stderr.trim().split('\n').filter((l) => l.includes('DUST_'))).to.have.length(1);
    expect(r.stderr).to.match(/not authorized to perform ec2:StopInstances.*\[DUST_EC2_UNAUTHORIZED\]/);
  });
});
