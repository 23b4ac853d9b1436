import { expect } from 'chai';
import { validateConfig } from '../../src/config/validate-config.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { printable } from '../../src/errors/printable.js';
import { parseHostList, parseTarget } from '../../src/targets/index.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!isDustError(err)) throw err;
    return `${err.message} — ${err.hint ?? ''}`;
  }
  throw new Error('expected a DustError');
}

/** Found by the fuzz suites: user text quoted in an error could break it over lines or send escapes. */
describe('errors quote user text on one line', () => {
  it('printable escapes control characters and leaves the rest alone', () => {
    expect(printable('a\nb\tc\r\u001b[31m\u2028é😀')).to.equal('a\\nb\\tc\\r\\u001b[31m\\u2028é😀');
  });
  it('a config value holding a newline', () => {
    expect(messageOf(() => validateConfig(':n:-\n\nts', '/x/c.yml')))
      .to.equal("config: /x/c.yml: (top level): expected object, got ':n:-\\n\\nts' — see docs/config.md for every key");
  });
  it('a config key holding an escape sequence', () => {
    expect(messageOf(() => validateConfig({ 'bad\u001b[2Jkey': 1 }, '/x/c.yml'))).to.include("unknown key 'bad\\u001b[2Jkey'");
  });
  it('a target holding a tab or newline, in the message and the hint', () => {
    expect(messageOf(() => parseTarget('"ab#\t."='))).to.equal(
      "target: missing value after 'ab#\\t.=' at column 9 in '\"ab#\\t.\"=' — a value is needed: ab#\\t.=<glob>; ab#\\t.=* selects every node that has a ab#\\t.");
    expect(messageOf(() => parseTarget('a\nb'))).to.match(/^target: unexpected 'b' at column 3 in 'a\\nb'/);
  });
  it('a host-list line holding an escape sequence', () => {
    expect(messageOf(() => parseHostList('h:\u001b[0m', 'hosts'))).to.match(/^hosts:1: port '\\u001b\[0m' is not a number/);
  });
});
