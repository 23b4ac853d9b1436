import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runDust } from '../helpers/run-dust.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';

/** What the person sees on stderr, without blank lines. */
const errLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '');

describe('start-up problems: one line each, naming the file and what is wrong', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome(SAMPLE_CONFIG); });
  afterEach(() => tmp.cleanup());

  it('a corrupt logins.yaml: one line with file, line and reason; the shell runs; the file is kept', () => {
    const file = path.join(tmp.home, 'logins.yaml');
    fs.writeFileSync(file, 'first:\n  - selector: a\n   user: b\n');
    const r = runDust(['--config', tmp.configFile, '-c', 'show lonely'], { home: tmp.home, cwd: REPO_ROOT });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('lonely');
    expect(errLines(r.stderr)).to.deep.equal([
      `✖ ${file}: line 3, column 4: bad indentation of a sequence entry — fix the YAML or move the file away (it only holds rules written by assign); its rules are not used meanwhile [DUST_CONFIG_UNREADABLE]`,
    ]);
    expect(fs.readFileSync(file, 'utf8')).to.equal('first:\n  - selector: a\n   user: b\n');
  });

  it('a DUST_HOME that is a file: one line naming it, exit 2, no stack trace', () => {
    const file = path.join(tmp.home, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const r = runDust(['-c', 'show'], { home: tmp.home, env: { DUST_HOME: file } });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.deep.equal([
      `✖ DUST_HOME ${file}: ${file} is a file, not a directory — point DUST_HOME at a directory (default ~/.cluster), or move that file away [DUST_HOME_UNUSABLE]`,
    ]);
  });

  it('broken YAML in the config: file, line, column and the reason, exit 2', () => {
    fs.writeFileSync(tmp.configFile, 'nodes:\n  - name: a\n   host: b\n');
    const r = runDust(['--config', tmp.configFile, '-c', 'show'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.deep.equal([
      `✖ config: ${tmp.configFile}: line 3, column 4: bad indentation of a sequence entry — fix that and start dust again (docs/config.md) [DUST_CONFIG_UNREADABLE]`,
    ]);
  });

  it('a config found by searching names the file it found', () => {
    const project = path.join(tmp.home, 'proj');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, '.dustrc.yml'), 'nodes: [\n');
    const r = runDust(['-c', 'show'], { home: tmp.home, cwd: project });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.have.length(1);
    expect(r.stderr).to.include(`config: ${path.join(project, '.dustrc.yml')}: line 2, column 1: unexpected end of the stream within a flow collection`);
  });

  it('broken JSON: the file and the parser\'s reason, without echoing the file', () => {
    const file = path.join(tmp.home, 'dust.config.json');
    fs.writeFileSync(file, '{"nodes": [,]}');
    const r = runDust(['--config', file, '-c', 'show'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.have.length(1);
    expect(r.stderr).to.match(new RegExp(`config: ${file.replace(/[.*+?^$\{\}()|[\]\\]/g, '\\$&')}: Unexpected token ','.* \\[DUST_CONFIG_UNREADABLE\\]`));
    expect(r.stderr).to.not.include('{"nodes"');
  });

  it('a node range whose host range has another length: the key and both counts, exit 2', () => {
    fs.writeFileSync(tmp.configFile, "nodes:\n  - { name: a, host: 127.0.0.1 }\n  - { name: 'worker[0-3]', host: '127.0.0.[10-12]' }\n");
    const r = runDust(['--config', tmp.configFile, '-c', 'show'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.deep.equal([
      `✖ config: ${tmp.configFile}: nodes[1]: name 'worker[0-3]' gives 4 nodes but host '127.0.0.[10-12]' gives 3 — use one host for all, or a host range with as many members as the name range [DUST_CONFIG_INVALID]`,
    ]);
  });

  it('a node range that does not parse: the key and the problem, exit 2', () => {
    fs.writeFileSync(tmp.configFile, "nodes:\n  - { name: 'worker[0-', host: 127.0.0.1 }\n");
    const r = runDust(['--config', tmp.configFile, '-c', 'show'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(errLines(r.stderr)).to.have.length(1);
    expect(r.stderr).to.match(/config: .*config\.yaml: nodes\[0\]\.name: unclosed '\[' .*\[DUST_CONFIG_INVALID\]/);
  });
});
