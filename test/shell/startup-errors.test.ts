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
});
