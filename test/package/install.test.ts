import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { DUST_PACKAGE } from '../../src/package.js';

const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TSC_FLAGS = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2023', '--skipLibCheck'];

/**
 * npm's own environment minus what `npm test` exports for its script (`npm_package_*`, the project's
 * prefix): the installs below must behave as a user's `npm i -g` in a shell would. Cache, registry and
 * node-gyp settings stay, so nothing but the npm registry is needed (and the cache is preferred).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_(local_)?prefix$|config_global$|command$)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
}

/** The installed `dust`, with its own DUST_HOME and HOME. */
function dust(bin: string, home: string, args: string[]) {
  const r = spawnSync(bin, args, { cwd: home, encoding: 'utf8', timeout: 60000, env: { PATH: process.env['PATH'], HOME: home, DUST_HOME: home, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tsc(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A drop-in that imports dust's API at run time and uses a typed number flag. */
const GREET_TS = `import { definePlugin } from '${DUST_PACKAGE}/plugin';

export default definePlugin({
  name: 'greet',
  apiVersion: 2,
  setup(api) {
    api.registerCommand({
      name: 'greet',
      usage: 'greet [--times N]',
      summary: 'greets',
      target: { mode: 'none' },
      flags: { times: { type: 'number', description: 'how often' } },
      run(ctx) {
        const times: number = ctx.flags.times ?? 1;
        for (let i = 0; i < times; i++) ctx.out.print('hello from an installed dust');
      },
    });
  },
});
`;

describe('dust as an installed npm package (npm pack, then npm i -g from the tarball)', function () {
  this.timeout(600000);
  let work: string;
  let tarball: string;
  let prefix: string;
  let bin: string;
  let home: string;
  const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-pack-'));
    // A clean checkout of the working tree (no dist/), so the tarball proves `prepare` builds it.
    let files: string[];
    try {
      files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    } catch {
      this.skip(); // not a git checkout: nothing to pack from
    }
    const src = path.join(work, 'src');
    for (const f of files) {
      if (!fs.existsSync(path.join(REPO_ROOT, f))) continue; // deleted in the working tree
      fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, f), path.join(src, f));
    }
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(src, 'node_modules'));
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], src)) as { filename: string }[];
    tarball = path.join(work, packed[0]!.filename);
    // --ignore-scripts: as on a machine without a C++ compiler, node-pty's native part is never built.
    prefix = path.join(work, 'global');
    npm(['install', '--global', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', tarball], work);
    bin = path.join(prefix, 'bin', 'dust');
    home = path.join(work, 'home');
    fs.mkdirSync(home);
  });

  after(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it(`is named ${DUST_PACKAGE} (dust on npm is another package) and ships dist/ built by prepare, without tests, benchmarks or sources`, () => {
    expect(path.basename(tarball)).to.equal(`${DUST_PACKAGE}-${version}.tgz`);
    const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of ['dist/shell/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/plugins/api.js', 'dist/plugins/api.d.ts', 'README.md', 'docs/plugins.md', 'plugins-examples/health.mjs']) {
      expect(entries, f).to.include(`package/${f}`);
    }
    expect(entries.filter((e) => /^package\/(test|bench|src|scripts|\.ci)\//.test(e) || e.endsWith('.map'))).to.deep.equal([]);
  });

  it('puts a dust binary on the PATH that runs: --version and -c lines', () => {
    expect(fs.existsSync(bin)).to.equal(true);
    let r = dust(bin, home, ['--version']);
    expect(r.stdout.trim()).to.equal(version);
    r = dust(bin, home, ['-c', 'help', '-c', 'plugins']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^\s+show\b/m).and.match(/builtin:inventory/);
  });

  it('without node-pty built, --demo says so in one line and the rest of dust works', () => {
    const r = dust(bin, home, ['--demo', '-c', 'show']);
    expect(r.code).to.equal(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^✖ the demo needs node-pty, which cannot be loaded here \(.*\) — node-pty is optional and compiles with node-gyp: .* reinstall dust .*\[DUST_DEMO_FAILED\]$/);
    // and when npm dropped it altogether (an optional dependency that failed to build is removed)
    fs.rmSync(path.join(prefix, 'lib', 'node_modules', DUST_PACKAGE, 'node_modules', 'node-pty'), { recursive: true, force: true });
    const r2 = dust(bin, home, ['--demo', '-c', 'show']);
    expect(r2.stderr).to.match(/the demo needs node-pty, which cannot be loaded here \(Cannot find package 'node-pty'.*\[DUST_DEMO_FAILED\]/);
    expect(dust(bin, home, ['-c', 'help show']).code).to.equal(0);
  });

  it(`a drop-in can import '${DUST_PACKAGE}/plugin' (dust links its package into the plugins folder)`, () => {
    const plugins = path.join(home, 'plugins');
    fs.mkdirSync(plugins, { recursive: true });
    fs.writeFileSync(path.join(plugins, 'greet.ts'), GREET_TS);
    fs.writeFileSync(path.join(plugins, 'hello.mjs'), `import { definePlugin } from '${DUST_PACKAGE}/plugin';\nexport default definePlugin({ name: 'hello', apiVersion: 2, setup(api) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 's', run(ctx) { ctx.out.print('hello.mjs ran'); } }); } });\n`);
    const r = dust(bin, home, ['-c', 'greet --times 2', '-c', 'hello']);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.equal('hello from an installed dust\nhello from an installed dust\nhello.mjs ran\n');
    expect(fs.realpathSync(path.join(plugins, 'node_modules', DUST_PACKAGE))).to.equal(fs.realpathSync(path.join(prefix, 'lib', 'node_modules', DUST_PACKAGE)));
  });

  it('tsc type-checks a drop-in in the plugins folder against the installed types, and catches spec mistakes', () => {
    const plugins = path.join(home, 'plugins');
    fs.mkdirSync(plugins, { recursive: true });
    dust(bin, home, ['-c', 'help']); // any start links the package
    fs.writeFileSync(path.join(plugins, 'greet.ts'), GREET_TS);
    let r = tsc([...TSC_FLAGS, 'greet.ts'], plugins);
    expect(r.out).to.equal('');
    expect(r.code).to.equal(0);
    // the mistakes the loader refuses at run time are type errors here, before dust ever loads the file
    fs.writeFileSync(path.join(plugins, 'greet.ts'), GREET_TS
      .replace("target: { mode: 'none' }", "target: { mode: 'optinal' }")
      .replace('const times: number = ctx.flags.times ?? 1;', 'const times: string = ctx.flags.times ?? 1;'));
    r = tsc([...TSC_FLAGS, 'greet.ts'], plugins);
    expect(r.code).to.equal(2);
    expect(r.out).to.match(/greet\.ts\(\d+,\d+\): error TS2820: Type '"optinal"' is not assignable to type 'TargetMode'\. Did you mean '"optional"'\?/);
    expect(r.out).to.match(/greet\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    // JSDoc-typed .mjs files (every one in plugins-examples/) are checked the same way
    const examples = fs.readdirSync(path.join(REPO_ROOT, 'plugins-examples')).filter((f) => f.endsWith('.mjs'));
    expect(examples.length).to.be.greaterThan(2);
    for (const f of examples) fs.copyFileSync(path.join(REPO_ROOT, 'plugins-examples', f), path.join(plugins, f));
    r = tsc([...TSC_FLAGS, '--allowJs', '--checkJs', ...examples], plugins);
    expect(r.out).to.equal('');
    expect(r.code).to.equal(0);
  });
});
