import { expect } from 'chai';
import fc from 'fast-check';
import { isHarmlessRemote, isSafeLine, replLine } from './repl-lines.js';

/** The REPL fuzz types these lines into a shell whose nodes are real shells on this machine: check the guard. */
describe('fuzz: the REPL line grammar stays harmless', () => {
  it('isSafeLine refuses what could reach a local shell, run more than echo/printf remotely, or leave its directory', () => {
    for (const line of [
      '!rm -rf x', 'rm -rf x', 'ls', '.load x', 'exit', 'emulator --port 1', '@worker0', '@* ', '@* rm -rf ~', '@* echo $(id)',
      '@* echo hi; id', "@* echo 'a'b'", '@* printf x > f', '@a b echo hi', 'gather * id', 'gather --diff * echo `id`',
      'show file:/etc/hosts', '@file:/etc/hosts echo x', 'get * /etc/passwd .', 'get * x /', 'put /etc/passwd *', 'put x * ../up',
      'show a\nrm x',
    ]) {
      expect(isSafeLine(line), line).to.equal(false);
    }
    for (const line of ["@worker*!worker1 printf '%s\\n' 'a;b|c$(d)'", '@ true', 'gather --diff web* echo -n hi', 'show file:hosts.txt',
      'put notes.txt worker0 dir', 'get web1 notes.txt fetched', 'stop -y worker1']) {
      expect(isSafeLine(line), line).to.equal(true);
    }
    expect(isHarmlessRemote("echo 'it''s'")).to.equal(false); // literal, but the guard is stricter than the shell
    expect(isHarmlessRemote('echo $HOME')).to.equal(false);
  });

  it('every generated line passes the guard (50,000 lines)', () => {
    const bad = fc.sample(replLine, { seed: 77, numRuns: 50000 }).filter((l) => !isSafeLine(l));
    expect(bad).to.deep.equal([]);
  });
});
