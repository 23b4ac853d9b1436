import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PtySession } from '../helpers/pty-driver.js';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';

describe('interactive shell through a real PTY', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  let dust: PtySession;

  beforeEach(async () => {
    tmp = makeTempHome(SAMPLE_CONFIG);
    dust = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home });
    await dust.waitFor('[dust]$ ');
  });

  afterEach(() => {
    dust.kill();
    tmp.cleanup();
  });

  it('runs a typed command and shows the table with numeric index order', async () => {
    const m = dust.mark();
    dust.write('show\r');
    const out = await dust.waitFor(/nodes · [\s\S]*\[dust\]\$ /, { from: m });
    expect(out).to.match(/│ 1 +│ master/);
    // index 10 comes after 9 (the original sorted "10" before "2")
    expect(out.search(/│ 10 +│ worker8/)).to.be.greaterThan(out.search(/│ 9 +│ worker7/));
    expect(out).to.include('cluster webtest');
  });

  it('completes command names, node names and filter keys with Tab', async () => {
    let m = dust.mark();
    dust.write('sho\t');
    await dust.waitFor('show ', { from: m });
    m = dust.mark();
    dust.write('sta\t');
    await dust.waitFor('state=', { from: m });
    m = dust.mark();
    dust.write('sto\t');
    await dust.waitFor('stopped', { from: m });
    m = dust.mark();
    dust.write('\r');
    const out = await dust.waitFor(/2 nodes/, { from: m });
    expect(out).to.include('web1').and.to.include('web2');
  });

  it('Ctrl-C clears the line and never exits; the next command still runs', async () => {
    let m = dust.mark();
    dust.write('show worker1');
    await dust.waitFor('show worker1', { from: m });
    dust.write('\x03');
    await dust.waitFor(/\^C\r?\n.*\[dust\]\$ $/, { from: m });
    dust.write('\x03');
    dust.write('\x03');
    m = dust.mark();
    dust.write('use slurm1\r');
    await dust.waitFor('[slurm1]$ ', { from: m });
  });

  it('persists history (without leading-space lines and with secrets masked) and exits on Ctrl-D', async () => {
    let m = dust.mark();
    dust.write('show lonely\r');
    await dust.waitFor(/1 node/, { from: m });
    m = dust.mark();
    dust.write(' !true secret-line\r');
    await dust.waitFor('[dust]$ ', { from: m });
    m = dust.mark();
    dust.write('!true password=hunter2\r');
    await dust.waitFor('[dust]$ ', { from: m });
    dust.write('\x04');
    expect(await dust.waitForExit()).to.equal(0);
    const history = fs.readFileSync(path.join(tmp.home, 'history'), 'utf8');
    expect(history).to.include('show lonely');
    expect(history).to.not.include('secret-line');
    expect(history).to.not.include('hunter2');
    expect(history).to.include('password=***');
  });

  it('reverse-searches history with Ctrl-R', async () => {
    let m = dust.mark();
    dust.write('show worker11\r');
    await dust.waitFor(/1 node/, { from: m });
    m = dust.mark();
    dust.write('help use\r');
    await dust.waitFor('usage: use', { from: m });
    m = dust.mark();
    dust.write('\x12worker1');
    await dust.waitFor(/bck-i-search: worker1/, { from: m });
    dust.write('\r');
    const out = await dust.waitFor(/1 node[\s\S]*\[dust\]\$ $/, { from: m });
    expect(out).to.include('worker11');
  });

  it('!cmd hands the real terminal to a local program (it reads the keyboard and sees the tty)', async () => {
    let m = dust.mark();
    dust.write('!stty size; read -r x; echo "local got [$x]"\r');
    await dust.waitFor(/40 120/, { from: m });
    dust.write('typed words\r');
    await dust.waitFor('local got [typed words]', { from: m });
    await dust.waitFor(/\[dust\]\$ /, { from: m + 1 });
    m = dust.mark();
    dust.write('lonelytypo\r');
    const out = await dust.waitFor(/\[dust\]\$ /, { from: m + 1 });
    expect(out).to.include("'lonelytypo' is neither a dust command nor a local program");
    m = dust.mark();
    dust.write('echo via-fallback\r');
    const out2 = await dust.waitFor('via-fallback\r\n', { from: m + 12 });
    expect(out2).to.include("'echo' is not a dust command: running it in the local shell");
  });

  it('Ctrl-C during a local !command stops that program, not dust', async () => {
    let m = dust.mark();
    dust.write('!echo local-start; sleep 30\r');
    // The program's own line (the echo of the typed command holds the word too): only then is sleep running.
    await dust.waitFor(/^local-start\r?$/m, { from: m });
    dust.write('\x03');
    await dust.waitFor(/\[dust\]\$ /, { from: m + 1 });
    m = dust.mark();
    dust.write('show lonely\r');
    await dust.waitFor(/1 node/, { from: m });
  });

  it('prints one clear line for bad input and keeps running', async () => {
    let m = dust.mark();
    dust.write('show worker[0-\r');
    let out = await dust.waitFor(/\[dust\]\$ $/, { from: m + 1 });
    expect(out).to.match(/unclosed '\[' at column 7 in 'worker\[0-'/);
    m = dust.mark();
    dust.write('exit\r');
    expect(await dust.waitForExit()).to.equal(0);
    out = dust.since(m);
    expect(out).to.not.match(/Error:|at .*\.js/);
  });
});

describe('two interactive shells sharing one $DUST_HOME', function () {
  this.timeout(60000);

  it('keep each other\'s history lines (the last to type does not overwrite the other)', async () => {
    const tmp = makeTempHome(SAMPLE_CONFIG);
    const a = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home });
    const b = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home });
    try {
      await a.waitFor('[dust]$ ');
      await b.waitFor('[dust]$ ');
      const type = async (s: PtySession, line: string) => {
        const m = s.mark();
        s.write(`${line}\r`);
        await s.waitFor(/\[dust\]\$ $/, { from: m + line.length + 1 });
      };
      await type(a, 'show master');
      await type(b, 'show lonely');
      await type(a, 'show web1');
      await type(b, 'show web2');
      a.write('\x04');
      expect(await a.waitForExit()).to.equal(0);
      b.write('\x04');
      expect(await b.waitForExit()).to.equal(0);
      const history = fs.readFileSync(path.join(tmp.home, 'history'), 'utf8').split('\n').filter((l) => l !== '');
      // Each shell saves in the background, so the two shells' lines may interleave either way; none is lost.
      expect([...history].sort()).to.deep.equal(['show lonely', 'show master', 'show web1', 'show web2']);
      expect(history.filter((l) => l === 'show web1' || l === 'show master')).to.deep.equal(['show web1', 'show master']);
      expect(history.filter((l) => l === 'show web2' || l === 'show lonely')).to.deep.equal(['show web2', 'show lonely']);
      // A third shell recalls them: Up brings back the newest.
      const c = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home });
      try {
        await c.waitFor('[dust]$ ');
        const m = c.mark();
        c.write('\x1b[A');
        await c.waitFor(history[0]!, { from: m });
      } finally {
        c.kill();
      }
    } finally {
      a.kill();
      b.kill();
      tmp.cleanup();
    }
  });
});

describe('colour follows the terminal and the environment (chalk\'s detection, NO_COLOR)', function () {
  this.timeout(60000);
  const SGR = /\x1b\[[0-9;]*m/;

  for (const [label, env, coloured] of [
    ['xterm-256color', {}, true],
    ['TERM=dumb', { TERM: 'dumb' }, false],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }, false],
    ['NO_COLOR=1', { NO_COLOR: '1' }, false],
  ] as const) {
    it(`${label}: ${coloured ? 'colours' : 'no colour codes at all'}`, async () => {
      const tmp = makeTempHome(SAMPLE_CONFIG);
      const dust = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home, ...env });
      try {
        await dust.waitFor('[dust]$ ');
        const m = dust.mark();
        dust.write('show\r');
        await dust.waitFor(/nodes · [\s\S]*\[dust\]\$ /, { from: m });
        expect(SGR.test(dust.raw.slice(m)), dust.raw.slice(m)).to.equal(coloured);
      } finally {
        dust.kill();
        tmp.cleanup();
      }
    });
  }
});
