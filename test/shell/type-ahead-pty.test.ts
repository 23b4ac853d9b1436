import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PtySession } from '../helpers/pty-driver.js';
import { makeTempHome, SAMPLE_CONFIG } from '../helpers/temp-home.js';

/**
 * Several lines arriving at once (a paste, or typing faster than a command runs) — found by the REPL
 * fuzz, which lost every line of a batch after the first.
 */
describe('type-ahead and pasted lines through a real PTY', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  let dust: PtySession;
  let tripwireLog: string;

  beforeEach(async () => {
    tmp = makeTempHome(SAMPLE_CONFIG);
    tripwireLog = path.join(tmp.home, 'local-shell.log');
    const tripwire = path.join(tmp.home, 'local-shell.sh');
    fs.writeFileSync(tripwire, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${tripwireLog}'\nexit 1\n`, { mode: 0o755 });
    dust = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home, SHELL_FOR_DUST: tripwire });
    await dust.waitFor('[dust]$ ');
  });

  afterEach(() => {
    dust.kill();
    tmp.cleanup();
  });

  it('runs every line of a paste, in order', async () => {
    const m = dust.mark();
    dust.write('show master\rshow lonely\rshow nosuch1\ruse slurm1\rshow nosuch2\r');
    const out = await dust.waitFor("no node matches 'nosuch2'", { from: m });
    expect(out.indexOf('master')).to.be.greaterThan(-1);
    expect(out.indexOf('lonely')).to.be.greaterThan(out.indexOf('master'));
    expect(out.indexOf("'nosuch1'")).to.be.greaterThan(out.indexOf('lonely'));
    expect(out).to.include('[slurm1]$ ');
  });

  it('answers typed ahead go to the questions that follow, not to the local shell', async () => {
    const m = dust.mark();
    // assign without flags asks: user, key file, cluster, precedence. The last line runs after it.
    dust.write('assign lonely\rroot\r\r\rlast\rshow user=root\r');
    const out = await dust.waitFor(/1 node[\s\S]*\[dust\]\$ $/, { from: m, timeoutMs: 20000 });
    expect(out).to.match(/login rule 'lonely' → user=root \(last\)/);
    expect(out).to.match(/│ lonely/);
    expect(fs.existsSync(tripwireLog), 'an answer ran in the local shell').to.equal(false);
  });
});
