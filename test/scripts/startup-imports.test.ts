import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';

/**
 * What the built CLI loads before it can take a first line: not ssh2 (until a node is reached), not the EC2
 * emulator, jsdiff, semver, write-file-atomic or cli-table3 (until a command needs them). Every module load is
 * logged by a hook (ESM) and a wrapped Module._load (CommonJS, which `require` goes through).
 */
describe('start-up loads only what a first line needs', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  before(() => {
    tmp = makeTempHome();
    fs.mkdirSync(path.join(tmp.home, 'dust'));
    fs.writeFileSync(path.join(tmp.home, 'dust', 'config.yaml'), 'sshConfig: false\nnodes:\n  - { name: web1, host: 127.0.0.9 }\n');
  });
  after(() => tmp.cleanup());

  function loadedBy(line: string, dustHome = path.join(tmp.home, 'dust')): string[] {
    const log = path.join(tmp.home, 'loaded.txt');
    fs.rmSync(log, { force: true });
    const esm = path.join(tmp.home, 'esm-hook.mjs');
    fs.writeFileSync(esm, `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`import fs from 'node:fs';
export async function load(url, ctx, next) { fs.appendFileSync(${JSON.stringify(log)}, url + '\\\\n'); return next(url, ctx); }\`));
`);
    const cjs = path.join(tmp.home, 'cjs-hook.cjs');
    fs.writeFileSync(cjs, `const Module = require('node:module'); const fs = require('node:fs'); const load = Module._load;
Module._load = function (request, parent, isMain) { fs.appendFileSync(${JSON.stringify(log)}, 'require:' + request + '\\n'); return load.apply(this, arguments); };
`);
    const r = spawnSync(process.execPath, ['--require', cjs, '--import', esm, path.join(REPO_ROOT, 'dist/shell/main.js'), '--no-server', '-c', line], {
      cwd: tmp.home, encoding: 'utf8', env: { ...process.env, DUST_HOME: dustHome, HOME: tmp.home, AWS_REGION: '', AWS_DEFAULT_REGION: '' },
    });
    expect(r.status, r.stderr).to.equal(0);
    return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  }

  it('`help` loads no ssh2, emulator, jsdiff, semver, write-file-atomic, cli-table3, nor the cluster subcommands (tar, ignore)', () => {
    const loaded = loadedBy('help');
    expect(loaded.some((l) => l.includes('/dist/shell/app.js')), 'the app itself was loaded').to.equal(true);
    for (const lazy of ['node_modules/ssh2/', '/dist/ec2/emulator/', 'node_modules/diff/', '/dist/output/line-diff.js', 'require:semver', 'node_modules/write-file-atomic/', 'require:cli-table3',
      'node_modules/tar/', 'node_modules/ignore/', '/dist/clusters/commands/up.js', '/dist/clusters/spec.js']) {
      expect(loaded.filter((l) => l.includes(lazy)), lazy).to.deep.equal([]);
    }
  });

  it('without a config file (nor logins.yaml), zod is not loaded at all: the schema only checks files', () => {
    const empty = path.join(tmp.home, 'empty-dust-home');
    fs.mkdirSync(empty, { recursive: true });
    const loaded = loadedBy('help', empty);
    expect(loaded.some((l) => l.includes('/dist/shell/app.js')), 'the app itself was loaded').to.equal(true);
    expect(loaded.filter((l) => l.includes('node_modules/zod/') || l.includes('/dist/config/schema.js'))).to.deep.equal([]);
    expect(loadedBy('help').some((l) => l.includes('/dist/config/schema.js')), 'a config file is validated').to.equal(true);
  });

  it('the first command that needs one loads it: `show` draws a table, `known-hosts` reads SSH logins', () => {
    expect(loadedBy('show').filter((l) => l === 'require:cli-table3')).to.have.length(1);
    expect(loadedBy('known-hosts show web1').some((l) => l.includes('node_modules/ssh2/'))).to.equal(true);
  });
});
