/**
 * client-node (most of a second, ~35 MB) must load only when Kubernetes is used. It is ESM, so Node's CommonJS
 * cache cannot tell: a resolve hook registered before anything else records every module URL resolved under
 * @kubernetes/client-node, in a fresh process.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';

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
