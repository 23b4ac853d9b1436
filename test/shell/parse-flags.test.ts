import { expect } from 'chai';
import type { CommandSpec } from '../../src/plugins/api.js';
import { parseFlags } from '../../src/shell/parse-flags.js';

const spec: CommandSpec = {
  name: 'assign', usage: 'assign <selector> [--port N] [--first]', summary: 'x', run: () => undefined,
  flags: { port: { type: 'string', description: 'port' }, first: { type: 'boolean', description: 'first' } },
};

function usageError(args: string[]): { message: string; hint: string | undefined } {
  try {
    parseFlags(spec, args);
  } catch (err) {
    const e = err as { code: string; message: string; hint?: string };
    expect(e.code).to.equal('DUST_USAGE');
    return { message: e.message, hint: e.hint };
  }
  throw new Error('expected a usage error');
}

describe('parseFlags: node:util errors become one-line usage errors', () => {
  it('a flag whose value is missing before another flag (found by the command-line fuzz)', () => {
    const e = usageError(['--port', '--first']);
    expect(e.message).to.equal("assign: option '--port' needs a value");
    expect(e.hint).to.equal("a value starting with '-' goes after '=': --port=-x; usage: assign <selector> [--port N] [--first]");
  });
  it('unknown flags and other mistakes stay one line', () => {
    for (const args of [['--nope'], ['-x'], ['--first=3'], ['--port']]) {
      expect(usageError(args).message).to.not.include('\n');
    }
    expect(usageError(['--nope']).message).to.equal("assign: unknown option '--nope'");
  });
});
