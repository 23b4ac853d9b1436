import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runDust } from '../helpers/run-dust.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';

function dust(args: string[], opts: { home: string; input?: string; cwd?: string }) {
  return runDust(args, { ...opts, cwd: opts.cwd ?? REPO_ROOT });
}

describe('dust as a command (scripting, --help, --version, config errors)', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome(SAMPLE_CONFIG); });
  afterEach(() => tmp.cleanup());

  it('help lists every command, help <cmd> and help targets explain', () => {
    const r = dust(['--config', tmp.configFile, '-c', 'help', '-c', 'help show', '-c', 'help targets', '-c', '? use'], { home: tmp.home });
    expect(r.code, r.stderr).to.equal(0);
    for (const word of ['show [-v|-vv] [target]', 'use <cluster|region|*>', '@[target] [command]', 'put [-r] [-p] <local-path|glob>', 'plugins [reload]']) {
      expect(r.stdout).to.include(word);
    }
    expect(r.stdout).to.include('examples:');
    expect(r.stdout).to.include('tags=env (no colon): any node with tag env');
    expect(r.stdout).to.include('usage: use <cluster|region|*>');
  });

  it('--version prints the package version and --help the usage', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(dust(['--version'], { home: tmp.home }).stdout.trim()).to.equal(pkg.version);
    const help = dust(['--help'], { home: tmp.home });
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('dust -c LINE');
  });

  it('runs repeated -c lines in order in one session and exits 0 when all succeed', () => {
    const r = dust(['--config', tmp.configFile, '-c', 'use webtest', '-c', 'show'], { home: tmp.home });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('web1');
    // the second line ran inside the working set chosen by the first
    expect(r.stdout.split('in working set webtest').length).to.equal(3);
    expect(r.stdout).to.not.include('lonely');
    expect(r.stdout).to.not.match(/\x1b\[/); // NO_COLOR and not a TTY: no escape codes
  });

  it('exits non-zero when any line fails, and still runs the other lines', () => {
    const r = dust(['--config', tmp.configFile, '-c', 'show nosuchnode', '-c', 'show lonely'], { home: tmp.home });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("no node matches 'nosuchnode'");
    expect(r.stdout).to.include('lonely');
  });

  it('reads lines from stdin when it is not a terminal', () => {
    const r = dust(['--config', tmp.configFile], { home: tmp.home, input: '# a comment\nuse slurm1\nshow worker[10-11]\n' });
    expect(r.code, r.stderr).to.equal(0);
    const last = r.stdout.slice(r.stdout.lastIndexOf('┌'));
    expect(last).to.include('worker10').and.to.include('worker11').and.not.include('worker9 ');
    expect(last).to.include('2 nodes in working set slurm1');
  });

  it('reports an invalid config with file, key path and expectation, in one line', () => {
    fs.writeFileSync(tmp.configFile, 'nodes:\n  - name: a\n    host: h\n    port: "22"\n');
    const r = dust(['--config', tmp.configFile, '-c', 'show'], { home: tmp.home });
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.include(`${tmp.configFile}: nodes[0].port: expected number, got '22'`);
  });

  it('finds .dustrc.yaml upward from the working directory', () => {
    const project = path.join(tmp.home, 'proj');
    fs.mkdirSync(path.join(project, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(project, '.dustrc.yaml'), 'nodes:\n  - { name: fromrc, host: 127.0.0.9 }\n');
    const r = dust(['-c', 'show'], { home: tmp.home, cwd: path.join(project, 'sub') });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('fromrc');
  });

  it('loads a dust.config.ts without a build step', () => {
    const project = path.join(tmp.home, 'tsproj');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'dust.config.ts'), "const port: number = 2200;\nexport default { nodes: [{ name: 'typed', host: '127.0.0.9', port }] };\n");
    const r = dust(['-c', 'show typed'], { home: tmp.home, cwd: project });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('127.0.0.9:2200');
  });

  it('falls back to $DUST_HOME/config.yaml', () => {
    const r = dust(['-c', 'show master'], { home: tmp.home, cwd: '/' });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('master');
  });

  it('refuses a question it cannot ask instead of hanging, and rejects unknown options', () => {
    const r = dust(['--config', tmp.configFile, '-c', 'show --bogus'], { home: tmp.home });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/show: unknown option '--bogus'.*usage: show/);
  });
});

describe('ssh config hosts as inventory', function () {
  this.timeout(30000);
  it('lists concrete Host entries (not wildcards) with their HostName', () => {
    const tmp = makeTempHome();
    try {
      const sshCfg = path.join(tmp.home, 'ssh_config');
      fs.writeFileSync(sshCfg, 'Host web-a web-b\n  HostName 127.0.0.44\n  User deploy\nHost db\n  HostName 127.0.0.45\n  Port 2200\nHost *\n  ServerAliveInterval 30\n');
      fs.writeFileSync(tmp.configFile, `sshConfigHosts: ${sshCfg}\n`);
      const r = dust(['--config', tmp.configFile, '-c', 'show -v'], { home: tmp.home });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/web-a\s+│ running │ 127\.0\.0\.44/);
      expect(r.stdout).to.match(/db\s+│ running │ 127\.0\.0\.45/);
      expect(r.stdout).to.include('ssh-config');
      expect(r.stdout).to.include('3 nodes');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a plugin error outside any command', function () {
  this.timeout(30000);
  it('is reported in one line and the next line still runs', () => {
    const tmp = makeTempHome(SAMPLE_CONFIG);
    try {
      fs.mkdirSync(path.join(tmp.home, 'plugins'), { recursive: true });
      fs.writeFileSync(path.join(tmp.home, 'plugins', 'late.mjs'), `export default {
  name: 'late', apiVersion: 2,
  setup(api) {
    api.registerCommand({ name: 'late', usage: 'late', summary: 'throws later', run() {
      setTimeout(() => { throw new Error('thrown from a timer'); }, 10);
      return new Promise((r) => setTimeout(r, 100));
    } });
  },
};
`);
      const r = dust(['--config', tmp.configFile, '-c', 'late', '-c', 'show lonely'], { home: tmp.home });
      expect(r.stderr).to.match(/unexpected error: thrown from a timer/);
      expect(r.stderr.split('\n').filter((l) => l.includes('thrown from a timer'))).to.have.length(1);
      expect(r.stdout).to.include('lonely');
    } finally {
      tmp.cleanup();
    }
  });
});
