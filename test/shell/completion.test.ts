import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';
import { PtySession } from '../helpers/pty-driver.js';
import { buildApp, writePlugin, type TestApp } from '../plugins/helpers.js';
import { complete } from '../../src/shell/completer.js';

/** A plugin whose flags take local paths, and a positional completed with ctx.localPaths. */
const PATHS_PLUGIN = `export default { name: 'paths', apiVersion: 2, setup(api) {
  api.registerCommand({
    name: 'pack', usage: 'pack <file> [--out DIR] [--spec FILE] [--level N]', summary: 's',
    flags: {
      out: { type: 'string', short: 'o', path: 'directory', description: 'where' },
      spec: { type: 'string', path: 'file', description: 'which' },
      level: { type: 'number', description: 'how much' },
    },
    complete: (ctx) => (ctx.args.filter((a) => !a.startsWith('-')).length === 0 ? ctx.localPaths(ctx.word) : []),
    run() {},
  });
  api.registerCommand({
    name: 'deploy', usage: 'deploy [--tag T] [target]', summary: 's', target: { mode: 'optional' },
    flags: { tag: { type: 'string', description: 'which release' }, yes: { type: 'boolean', short: 'y', description: 'no questions' } },
    run() {},
  });
} };\n`;

describe('Tab completion at the dust prompt', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  let t: TestApp;
  let files: string;
  const tab = async (line: string) => (await complete(line, t.app.registry, t.app.state))[0];

  before(async () => {
    tmp = makeTempHome(SAMPLE_CONFIG);
    writePlugin(tmp.home, 'paths.mjs', PATHS_PLUGIN);
    files = path.join(tmp.home, 'files');
    fs.mkdirSync(path.join(files, 'logs'), { recursive: true });
    fs.mkdirSync(path.join(files, 'lib'));
    for (const f of ['notes.txt', 'notes.md', 'my file.txt', '.hidden', 'logs/a.log']) fs.writeFileSync(path.join(files, f), 'x');
    t = await buildApp({ home: tmp.home, configFile: tmp.configFile });
    expect(t.stderr()).to.equal('');
  });

  after(async () => {
    await t.close();
    tmp.cleanup();
  });

  it("completes a command's flags: gather --d → --diff, show - → --verbose", async () => {
    expect(await tab('gather --d')).to.deep.equal(['--diff ']);
    expect(await tab('show -')).to.deep.equal(['--verbose ']);
    expect(await tab('pack notes.txt --')).to.deep.equal(['--level ', '--out ', '--spec ']);
    // gather's flags come before the target; after it, the words are a command line for the nodes
    expect(await tab('gather worker* ls --')).to.deep.equal([]);
  });

  it("completes put's local file (folders end in /, dot-files only when asked), then the target", async () => {
    expect(await tab(`put ${files}/no`)).to.deep.equal([`${files}/notes.md`, `${files}/notes.txt`]);
    expect(await tab(`put ${files}/l`)).to.deep.equal([`${files}/lib/`, `${files}/logs/`]);
    expect(await tab(`put ${files}/logs/`)).to.deep.equal([`${files}/logs/a.log`]);
    expect(await tab(`put ${files}/`)).to.not.include(`${files}/.hidden`);
    expect(await tab(`put ${files}/.h`)).to.deep.equal([`${files}/.hidden`]);
    // the second argument is the target: node and cluster names, not files
    expect(await tab(`put ${files}/notes.txt work`)).to.include('worker1').and.not.include(`${files}/notes.txt`);
  });

  it('writes a name with a space as the word began: escaped, or inside the open quote', async () => {
    expect(await tab(`put ${files}/my`)).to.deep.equal([`${files}/my\\ file.txt`]);
    expect(await tab(`put '${files}/my`)).to.deep.equal([`'${files}/my file.txt`]);
    expect(await tab(`put "${files}/my`)).to.deep.equal([`"${files}/my file.txt`]);
    const [, replaced] = await complete(`put '${files}/my`, t.app.registry, t.app.state);
    expect(replaced).to.equal(`'${files}/my`); // readline replaces the word as typed, quote included
  });

  it("completes get's local folder (folders only)", async () => {
    expect(await tab(`get worker1 /etc/hosts ${files}/`)).to.deep.equal([`${files}/lib/`, `${files}/logs/`]);
  });

  it('completes !cmd: the program from $PATH, then local paths; a local fallback line too', async () => {
    expect(await tab('!ech')).to.include('echo');
    expect(await tab(`!cat ${files}/notes.t`)).to.deep.equal([`${files}/notes.txt`]);
    expect(await tab(`! cat ${files}/notes.t`)).to.deep.equal([`${files}/notes.txt`]);
    expect(await tab(`cat ${files}/notes.t`)).to.deep.equal([`${files}/notes.txt`]);
    // @ still completes its glued target, and leaves the remote command line alone
    expect(await tab('@worker1')).to.include('@worker10').and.include('@worker11');
    expect(await tab(`@worker1 cat ${files}/no`)).to.deep.equal([]);
  });

  it("completes a flag's value when the flag says it is a path (file, or directory only), also as --flag=value", async () => {
    expect(await tab(`pack x --out ${files}/`)).to.deep.equal([`${files}/lib/`, `${files}/logs/`]);
    expect(await tab(`pack x -o ${files}/l`)).to.deep.equal([`${files}/lib/`, `${files}/logs/`]);
    expect(await tab(`pack x --spec ${files}/notes.m`)).to.deep.equal([`${files}/notes.md`]);
    expect(await tab(`pack x --out=${files}/li`)).to.deep.equal([`--out=${files}/lib/`]);
  });

  it("knows a flag's value from a positional: the target comes after --tag v1, not in its place", async () => {
    expect(await tab('deploy --tag v1 work')).to.include('worker1');
    expect(await tab('deploy -y work')).to.include('worker1');
    expect(await tab('deploy --tag work')).to.deep.equal([]);
    expect(await tab('deploy --tag=v1 work')).to.include('worker1');
  });

  it('through a real terminal: gather --d⇥ and put ./no⇥ fill in the line', async () => {
    const bin = path.join(tmp.home, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'dustprobe-tool'), '#!/bin/sh\n', { mode: 0o755 });
    const env = { DUST_HOME: tmp.home, PATH: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}` };
    const dust = new PtySession(['--config', tmp.configFile], env, { cwd: files });
    try {
      await dust.waitFor('[dust]$ ');
      let m = dust.mark();
      dust.write('gather --d\t');
      await dust.waitFor('gather --diff ', { from: m });
      dust.write('\x15'); // Ctrl-U: clear the line
      m = dust.mark();
      dust.write('put ./notes.t\t');
      await dust.waitFor('put ./notes.txt', { from: m });
      dust.write('\x15');
      m = dust.mark();
      dust.write('!dustprobe-t\t');
      await dust.waitFor('!dustprobe-tool', { from: m });
    } finally {
      dust.kill();
    }
  });
});
