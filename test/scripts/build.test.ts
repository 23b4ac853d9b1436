import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';

/**
 * scripts/build.mjs --if-stale (what `npm start` runs) in a throwaway project whose "tsc" only counts
 * how often it was run: the real script, the real decisions, no real compile.
 */
describe('npm start builds only when the sources changed', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  let root: string;
  const runs = () => Number(fs.readFileSync(path.join(root, 'tsc-runs'), 'utf8').length);
  const start = () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-stale'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
  };
  const touch = (rel: string, mtime: Date) => fs.utimesSync(path.join(root, rel), mtime, mtime);

  beforeEach(() => {
    tmp = makeTempHome();
    root = path.join(tmp.home, 'project');
    for (const d of ['scripts', 'src/shell', 'node_modules/typescript/bin']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, 'scripts', 'build.mjs'), path.join(root, 'scripts', 'build.mjs'));
    fs.writeFileSync(path.join(root, 'node_modules/typescript/bin/tsc'), `const fs = require('fs');
fs.appendFileSync('tsc-runs', 'x');
fs.mkdirSync('dist/shell', { recursive: true });
fs.writeFileSync('dist/shell/main.js', '// built');\n`);
    fs.writeFileSync(path.join(root, 'node_modules/typescript/package.json'), '{"type": "commonjs"}');
    fs.writeFileSync(path.join(root, 'tsconfig.json'), '{}');
    fs.writeFileSync(path.join(root, 'tsconfig.build.json'), '{}');
    fs.writeFileSync(path.join(root, 'package.json'), '{"type": "module"}');
    fs.writeFileSync(path.join(root, 'src/shell/main.ts'), 'export {};\n');
    fs.writeFileSync(path.join(root, 'tsc-runs'), '');
  });
  afterEach(() => tmp.cleanup());

  it('builds on a fresh clone, then not again until a source changes', () => {
    start();
    expect(runs()).to.equal(1);
    expect(fs.statSync(path.join(root, 'dist/shell/main.js')).mode & 0o111).to.not.equal(0);
    start();
    start();
    expect(runs()).to.equal(1);
    fs.writeFileSync(path.join(root, 'src/shell/main.ts'), 'export const x = 1;\n');
    start();
    expect(runs()).to.equal(2);
  });

  it('notices added and deleted files, an older mtime, a tsconfig change and a missing dist', () => {
    start();
    fs.writeFileSync(path.join(root, 'src/shell/new.ts'), 'export {};\n');
    start();
    expect(runs()).to.equal(2);
    fs.rmSync(path.join(root, 'src/shell/new.ts'));
    start();
    expect(runs()).to.equal(3);
    touch('src/shell/main.ts', new Date(2001, 0, 1)); // restored from an old backup: older, still different
    start();
    expect(runs()).to.equal(4);
    fs.writeFileSync(path.join(root, 'tsconfig.build.json'), '{ "compilerOptions": {} }');
    start();
    expect(runs()).to.equal(5);
    fs.rmSync(path.join(root, 'dist'), { recursive: true });
    start();
    expect(runs()).to.equal(6);
    start();
    expect(runs()).to.equal(6);
  });
});
