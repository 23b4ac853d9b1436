import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runDust } from '../helpers/run-dust.js';
import { DUST_BIN, REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';

describe('dust as a Unix command: arguments, pipes, exit status', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome(SAMPLE_CONFIG); });
  afterEach(() => tmp.cleanup());
  const dust = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => runDust(['--config', tmp.configFile, ...args], { home: tmp.home, ...opts });

  it('words after the options are run as one line: dust show -v = dust -c "show -v"', () => {
    const r = dust(['show', '-v', 'lonely']);
    const c = dust(['-c', 'show -v lonely']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(c.stdout);
    expect(r.stdout).to.include('source'); // -v went to show, not to dust's --verbose
    expect(r.stderr).to.equal('');
  });

  it('runs -c lines first, then the line; one quoted word is the whole line', () => {
    const r = dust(['-c', 'use webtest', 'show']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('in working set webtest');
    const q = dust(['--json', 'show lonely']);
    expect(q.code, q.stderr).to.equal(0);
    expect(JSON.parse(q.stdout.trim()).name).to.equal('lonely');
  });

  it('an unknown word is a failed line (exit 1), not a silent success', () => {
    const r = dust(['nosuchcommand']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("'nosuchcommand' is neither a dust command nor a local program");
  });

  it('subcommand words run their subcommand: bad arguments there are a usage line naming it, exit 2', () => {
    for (const word of ['serve', 'attach', 'status']) {
      const r = runDust([word, 'x'], { home: tmp.home });
      expect(r.code, word).to.equal(2);
      expect(r.stderr).to.match(new RegExp(`^dust ${word}: .*\\nusage: dust ${word}`, 's'));
      expect(r.stdout).to.equal('');
    }
    const r = runDust(['run', 'onlyatarget'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('dust run: a target and a command are needed');
    // Elsewhere than first, such a word is a mistake said in one line.
    const late = dust(['--json', 'serve']);
    expect(late.code).to.equal(2);
    expect(late.stderr).to.include("'serve' is a dust subcommand and goes first");
  });

  it('--help documents lines, reserved words and exit statuses', () => {
    const r = dust(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include("dust show -v = dust -c 'show -v'").and.include('serve, attach, run, status, completion').and.include('exit status');
  });

  it('a reader that goes away (| head -2) ends dust quietly with SIGPIPE\'s status', () => {
    // Far more output than a pipe buffers, so dust is still writing when head exits.
    const script = Array.from({ length: 300 }, () => 'show').join('\n');
    fs.writeFileSync(path.join(tmp.home, 'lines'), `${script}\n`);
    const r = spawnSync('bash', ['-c', `node "${DUST_BIN}" --config "${tmp.configFile}" < "${tmp.home}/lines" | head -2; echo "status \${PIPESTATUS[0]}" >&2`], {
      encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: tmp.home, DUST_HOME: tmp.home, NO_COLOR: '1' }, cwd: REPO_ROOT,
    });
    expect(r.stdout.split('\n').filter((l) => l !== '')).to.have.length(2);
    expect(r.stderr.trim()).to.equal('status 141');
  });

  it('--version and --help load nothing but the entry and argument modules', () => {
    const log = path.join(tmp.home, 'imports.log');
    for (const flag of ['--version', '--help']) {
      fs.writeFileSync(log, '');
      const r = spawnSync(process.execPath, ['--import', path.join(REPO_ROOT, 'test/shell/fixtures/record-imports.mjs'), DUST_BIN, flag], {
        encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: tmp.home, DUST_HOME: tmp.home, RECORD_IMPORTS: log },
      });
      expect(r.status, r.stderr).to.equal(0);
      const ours = fs.readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:') && !u.includes('/test/')).map((u) => path.relative(REPO_ROOT, new URL(u).pathname));
      expect(ours, flag).to.deep.equal(['dist/shell/main.js', 'dist/shell/cli-args.js']);
    }
  });

  it('--json: !cmd and a local fallback give a `local` record instead of printing on stdout', () => {
    const r = dust(['--json', '-c', '!echo local; echo two; echo oops >&2; exit 3', '-c', 'echo via-fallback']);
    expect(r.code).to.equal(1);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).to.deep.equal([
      { type: 'local', command: 'echo local; echo two; echo oops >&2; exit 3', exitCode: 3, output: ['local', 'two'] },
      { type: 'local', command: 'echo via-fallback', exitCode: 0, output: ['via-fallback'] },
    ]);
    expect(r.stderr).to.include('oops').and.include("'echo' is not a dust command");
  });

  it('--json: use gives one `context` record, not a node listing', () => {
    const r = dust(['--json', '-c', 'use webtest', '-c', 'use *']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).to.deep.equal([
      { type: 'context', cluster: 'webtest', region: null },
      { type: 'context', cluster: null, region: null },
    ]);
  });
});
