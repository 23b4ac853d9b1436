/**
 * The line parser, the tokenizer and the command runner over random input. The runner is a real DustApp on a
 * static inventory whose nodes sit on a loopback port nothing listens on, so `@` lines fail to connect and
 * nothing runs anywhere; the local-shell commands (`!` and the fallback) are unregistered, so no random
 * line reaches a local shell either.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigSchema } from '../../src/config/schema.js';
import { DustError, isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { TerminalOutput } from '../../src/output/terminal-output.js';
import type { DustApp } from '../../src/shell/app.js';
import { composeDust } from '../../src/compose.js';
import { parseLine } from '../../src/shell/parse-line.js';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import { quoteWord, tokenize } from '../../src/shell/tokenize.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { anyExpression, fuzz, validExpression } from './arbitraries.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }
}

/** Every error line on stderr (`✖ …`) is one DustError: its message and `[DUST_…]` code on one line. */
function expectOnlyDustErrors(stderr: string, line: string): void {
  for (const l of stderr.split('\n').filter((x) => x.startsWith('✖'))) {
    expect(l, `after ${JSON.stringify(line)}`).to.match(/^✖ .*\[DUST_[A-Z0-9_]+\]$/);
  }
  expect(stderr, `after ${JSON.stringify(line)}`).to.not.match(/internal error|unexpected error|\n\s+at .*:\d+:\d+\)?\n/);
}

const junkWord = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'ab-_=:,.*?[]()!&^"\'\\ x1@~/#$;|é'.split('')), maxLength: 12 }),
  fc.constantFrom('-v', '-vv', '-y', '--diff', '--wait', '--first', '--user', '--port', '-x', '--', '---', '-', '=', 'reload', 'targets', '*'),
  anyExpression,
);

describe('fuzz: command lines', function () {
  this.timeout(60000);

  it('tokenize: any text gives words or one DustError (unclosed quote), never another exception', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'a b\t\'"\\$x\n '.split('')), maxLength: 40 }), (text) => {
      try {
        tokenize(text);
      } catch (err) {
        expect(isDustError(err), String(err)).to.equal(true);
        if (isDustError(err)) expect(err.code).to.equal('DUST_USAGE');
      }
    }), fuzz(2001, 3000));
  });

  it('tokenize gives back any words quoteWord quoted, and double-quoted or backslash-escaped ones too', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 10 }), { maxLength: 6 }), (words) => {
      expect(tokenize(words.map(quoteWord).join(' '))).to.deep.equal(words);
      expect(tokenize(words.map((w) => `"${w.replace(/["\\]/g, '\\$&')}"`).join('\t'))).to.deep.equal(words);
      const nonEmpty = words.filter((w) => w !== '');
      expect(tokenize(nonEmpty.map((w) => w.replace(/[\s\S]/g, '\\$&')).join('  '))).to.deep.equal(nonEmpty);
    }), fuzz(2002, 2000));
  });

  describe('the runner over a real DustApp', () => {
    let tmp: ReturnType<typeof makeTempHome>;
    let app: DustApp;
    const out = new Capture();
    const err = new Capture();

    before(async () => {
      tmp = makeTempHome();
      const config = ConfigSchema.parse({
        sshConfig: false,
        ssh: { connectTimeoutMs: 2000 },
        nodes: [
          { name: 'web[1-3]', host: '127.0.0.1', port: 9, cluster: 'web' },
          { name: 'rack[1-2]-node[1-2]', host: '127.0.0.1', port: 9, cluster: 'hpc', props: { rack: 'r1' } },
          { name: 'db1', host: '127.0.0.1', port: 9, state: 'stopped' },
        ],
        logins: [{ selector: 'rack=r1*', user: 'nobody' }],
      });
      // As main.ts builds it (EC2 itself off: no region), the one composition root.
      app = await composeDust({
        version: '0.1.0-fuzz', dustHome: tmp.home, loaded: { config, file: undefined },
        out: new TerminalOutput(out, err, { color: false }), prompt: new NoTerminalPrompter(), interactive: false,
        // What a script run without a terminal says (a raw shell needs one); a plain Error here would be ours.
        terminal: { withTerminal: () => Promise.reject(new DustError(ErrorCodes.Usage, 'no terminal here')) },
      });
      app.registry.unregisterPlugin('builtin:local-shell');
    });
    after(async () => {
      await app?.shutdown();
      tmp?.cleanup();
    });

    it('parseLine takes any line without throwing', () => {
      fc.assert(fc.property(fc.string({ maxLength: 40 }), (line) => {
        parseLine(line, app.registry);
      }), fuzz(2003, 3000));
    });

    it('any line ends as output or one-line DustErrors; the runner never throws', async () => {
      // Commands that wait for Ctrl-C (emulator) are left out; everything else gets junk in every position.
      const words = app.registry.list().map((c) => c.spec.name).filter((n) => n !== 'emulator');
      const line = fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...words, 'SHOW', '?', 'help'), fc.array(junkWord, { maxLength: 4 })).map(([w, a]) => [w, ...a].join(' ')) },
        { weight: 2, arbitrary: fc.tuple(fc.constantFrom('show ', 'show -v ', 'use ', 'help ', 'gather ', 'gather --diff '), validExpression).map(([w, t]) => w + t) },
        { weight: 2, arbitrary: fc.tuple(fc.oneof(anyExpression, validExpression), fc.constantFrom(' echo hi', ' true', '')).map(([t, c]) => `@${t.replace(/\s/g, '')}${c}`) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      );
      await fc.assert(fc.asyncProperty(line, async (l) => {
        let threw: unknown;
        try {
          await app.runner.runLine(l);
        } catch (err) {
          threw = err;
        }
        expect(threw, `runLine threw on ${JSON.stringify(l)}`).to.equal(undefined);
        out.take();
        expectOnlyDustErrors(err.take(), l);
      }), fuzz(2004, 1500));
    });
  });
});
