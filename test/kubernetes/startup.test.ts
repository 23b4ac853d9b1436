/**
 * client-node (most of a second, ~35 MB) must load only when Kubernetes is used. It is ESM, so Node's CommonJS
 * cache cannot tell: a resolve hook registered before anything else records every module URL resolved under
 * @kubernetes/client-node, in a fresh process.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';
import { kubeFixture, type KubeFixture } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('kubernetes: client-node is not loaded until used', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => {
    tmp = makeTempHome();
  });
  afterEach(() => tmp.cleanup());

  it('importing the integration, the provider, the transport, the workers library and the emulator loads nothing of it', () => {
    const log = path.join(tmp.home, 'resolved.txt');
    fs.writeFileSync(log, '');
    const hooks = path.join(tmp.home, 'hooks.mjs');
    fs.writeFileSync(hooks, `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('@kubernetes/client-node')) fs.appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`);
    const register = path.join(tmp.home, 'register.mjs');
    fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);
    const script = path.join(tmp.home, 'wire.mts');
    fs.writeFileSync(script, `
const k = await import(${JSON.stringify(path.join(root, 'src/kubernetes/index.ts'))});
await import(${JSON.stringify(path.join(root, 'src/kubernetes/workers.ts'))});
await import(${JSON.stringify(path.join(root, 'src/kubernetes/emulator/index.ts'))});
await import(${JSON.stringify(path.join(root, 'src/plugins/builtin/ec2-emulator.ts'))});
const before = k.kubeSdkLoaded();
if (process.argv.includes('--use')) await k.loadKubeSdk();
console.log(JSON.stringify({ before }));
`);
    const run = (extra: string[]) =>
      spawnSync(process.execPath, ['--import', register, '--import', 'tsx', script, ...extra], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const idle = run([]);
    expect(idle.status, idle.stderr).to.equal(0);
    expect(JSON.parse(idle.stdout.trim().split('\n').at(-1) ?? '{}')).to.deep.equal({ before: false });
    expect(fs.readFileSync(log, 'utf8')).to.equal('');
    // Control: the same hook does see client-node once it is loaded.
    const used = run(['--use']);
    expect(used.status, used.stderr).to.equal(0);
    expect(fs.readFileSync(log, 'utf8')).to.include('@kubernetes/client-node');
  });
});

describe('kubernetes: when dust lists pods (built CLI)', function () {
  this.timeout(120000);
  let tmp: ReturnType<typeof makeTempHome>;
  let f: KubeFixture;
  beforeEach(async function () {
    if (!fs.existsSync(path.join(root, 'dist/shell/main.js'))) this.skip();
    tmp = makeTempHome();
    f = await kubeFixture();
    f.emulator.core.seedPods([{ name: 'web-0', labels: { app: 'web' } }]);
  });
  afterEach(async () => {
    await f?.close();
    tmp?.cleanup();
  });

  /** The built dust with a resolve hook that records whether client-node was loaded; `loaded` is read at exit. */
  const dust = async (args: string[], env: Record<string, string> = {}) => {
    const log = path.join(tmp.home, 'resolved.txt');
    fs.writeFileSync(log, '');
    const hooks = path.join(tmp.home, 'hooks.mjs');
    fs.writeFileSync(hooks, `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.includes('@kubernetes/client-node')) fs.appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`);
    const register = path.join(tmp.home, 'register.mjs');
    fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)});\n`);
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', register, path.join(root, 'dist/shell/main.js'), ...args], {
        cwd: tmp.home, env: { PATH: process.env['PATH'] ?? '', HOME: tmp.home, DUST_HOME: tmp.home, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { ...r, loaded: fs.readFileSync(log, 'utf8') !== '' };
  };
  const config = (text: string): string => {
    const file = path.join(tmp.home, 'dust.yaml');
    fs.writeFileSync(file, text);
    return file;
  };

  it('KUBECONFIG alone lists no pods and loads nothing; a flag or the config section turns Kubernetes on', async () => {
    const plain = config('nodes:\n  - { name: lonely, host: 127.0.0.1 }\n');
    let r = await dust(['--config', plain, '-c', 'show'], { KUBECONFIG: f.kubeconfig });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('lonely').and.not.include('web-0');
    expect(r.loaded, 'client-node loaded without Kubernetes being asked for').to.equal(false);

    r = await dust(['--config', plain, '--kube-context', 'dust-emulator', '-c', 'show'], { KUBECONFIG: f.kubeconfig });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('lonely').and.include('web-0');

    const enabled = config('kubernetes: { enabled: true }\n');
    r = await dust(['--config', enabled, '-c', '@web-0 hostname'], { KUBECONFIG: f.kubeconfig });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('[web-0] web-0');
    expect(r.loaded).to.equal(true);

    const off = config(`kubernetes: { enabled: false, kubeconfig: ${f.kubeconfig} }\n`);
    r = await dust(['--config', off, '-c', 'show'], { KUBECONFIG: f.kubeconfig });
    expect(r.stdout + r.stderr).to.not.include('web-0');
    r = await dust(['--config', off, '--namespace', 'default', '-c', 'show web-0']);
    expect(r.stdout, 'the command line wins over enabled: false').to.include('web-0');
  });

  it('configured, it still loads nothing for a line that needs no node (dust -c help)', async () => {
    const on = config(`kubernetes: { kubeconfig: ${f.kubeconfig} }\n`);
    const r = await dust(['--config', on, '-c', 'help']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.loaded).to.equal(false);
  });

  it('a context or kubeconfig that does not exist is one line, and the other nodes still work', async () => {
    const plain = config('nodes:\n  - { name: lonely, host: 127.0.0.1 }\n');
    let r = await dust(['--config', plain, '--kubeconfig', f.kubeconfig, '--kube-context', 'prod', '-c', 'show']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('lonely');
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      `inventory: kubernetes failed: Kubernetes: no context 'prod' in ${f.kubeconfig} — contexts there: dust-emulator [DUST_KUBE_CONFIG] (its nodes are missing)`,
    ]);
    r = await dust(['--config', plain, '--kubeconfig', path.join(tmp.home, 'nope'), '-c', 'show']);
    expect(r.stderr).to.match(/Kubernetes: kubeconfig \S+nope not found — .*\[DUST_KUBE_CONFIG\]/);
    r = await dust(['--namespace', '', '-c', 'show']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--namespace needs a value/);
  });
});
