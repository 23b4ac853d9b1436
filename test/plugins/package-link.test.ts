import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { buildApp, writePlugin, type TestApp } from './helpers.js';
import { DUST_PACKAGE, PACKAGE_ROOT } from '../../src/package.js';

describe(`drop-ins resolve '${DUST_PACKAGE}/plugin' (plugins/node_modules/${DUST_PACKAGE} links to the running dust)`, function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  let t: TestApp | undefined;
  let link: string;
  beforeEach(() => {
    tmp = makeTempHome('nodes: []\n');
    link = path.join(tmp.home, 'plugins', 'node_modules', DUST_PACKAGE);
  });
  afterEach(async () => { await t?.close(); t = undefined; tmp.cleanup(); });

  it(`the package name in code is package.json's (${DUST_PACKAGE})`, () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    expect(pkg.name).to.equal(DUST_PACKAGE);
    expect(Object.keys(pkg.bin)).to.deep.equal(['dust']);
    expect(PACKAGE_ROOT).to.equal(REPO_ROOT);
  });

  it('loading plugins creates the link, and a drop-in imports definePlugin and defineCommand by value', async () => {
    writePlugin(tmp.home, 'valued.mjs', `import { definePlugin, defineCommand, DUST_PLUGIN_API } from '${DUST_PACKAGE}/plugin';
export default definePlugin({ name: 'valued', apiVersion: DUST_PLUGIN_API, setup(api) {
  api.registerCommand(defineCommand({ name: 'valued', usage: 'valued', summary: 's', run(ctx) { ctx.out.print('valued ran'); } }));
} });\n`);
    t = await buildApp({ home: tmp.home });
    expect(t.stderr()).to.equal('');
    expect(fs.lstatSync(link).isSymbolicLink()).to.equal(true);
    expect(fs.realpathSync(link)).to.equal(fs.realpathSync(REPO_ROOT));
    expect(await t.run('valued')).to.equal(true);
    expect(t.stdout()).to.include('valued ran');
  });

  it('a link left by a dust installed elsewhere is re-pointed to this one', async () => {
    const elsewhere = path.join(tmp.home, 'old-dust');
    fs.mkdirSync(elsewhere);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(elsewhere, link);
    t = await buildApp({ home: tmp.home });
    expect(fs.realpathSync(link)).to.equal(fs.realpathSync(REPO_ROOT));
  });

  it('a real package installed there by hand is left alone', async () => {
    fs.mkdirSync(link, { recursive: true });
    fs.writeFileSync(path.join(link, 'package.json'), JSON.stringify({ name: DUST_PACKAGE, version: '9.9.9' }));
    t = await buildApp({ home: tmp.home });
    expect(fs.lstatSync(link).isSymbolicLink()).to.equal(false);
    expect((JSON.parse(fs.readFileSync(path.join(link, 'package.json'), 'utf8')) as { version: string }).version).to.equal('9.9.9');
  });

  it('a plugins folder dust cannot write to costs only the link: plugins still load', async () => {
    writePlugin(tmp.home, 'plain.mjs', "export default { name: 'plain', apiVersion: 2, setup(api) { api.registerCommand({ name: 'plain', usage: 'plain', summary: 's', run(ctx) { ctx.out.print('plain ran'); } }); } };\n");
    if (process.getuid?.() === 0) {
      // root writes anywhere; make node_modules a file instead, which no one can create a link inside
      fs.writeFileSync(path.join(tmp.home, 'plugins', 'node_modules'), 'not a folder');
    } else {
      fs.chmodSync(path.join(tmp.home, 'plugins'), 0o500);
    }
    t = await buildApp({ home: tmp.home });
    fs.chmodSync(path.join(tmp.home, 'plugins'), 0o700);
    expect(t.stderr()).to.equal('');
    expect(await t.run('plain')).to.equal(true);
  });
});
