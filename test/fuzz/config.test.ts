/**
 * The config loader over random YAML and JSON: a config either loads or is refused with ONE line (a
 * DustError whose message holds no newline and no stack), never another exception. Only data formats are
 * fuzzed: a random .js/.ts config would be code that runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { loadConfig } from '../../src/config/load-config.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { StaticProvider } from '../../src/inventory/static-provider.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { fuzz, validExpression } from './arbitraries.js';

const CONFIG_CODES = ['DUST_CONFIG_INVALID', 'DUST_CONFIG_UNREADABLE'];

function expectOneLineDustError(err: unknown, codes: readonly string[], what: string): void {
  expect(isDustError(err), `${what}: ${err instanceof Error ? err.stack : String(err)}`).to.equal(true);
  if (!isDustError(err)) return;
  expect(codes, `${what}: ${err.code} ${err.message}`).to.include(err.code);
  expect(err.message, what).to.not.match(/[\u0000-\u001f\u007f]/); // one line, no escapes from the file
  expect(err.message, what).to.not.match(/\s+at .*:\d+:\d+/);
  expect(err.hint ?? '', what).to.not.include('\n');
}

/** Values of every type YAML can hold, nested a little. */
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom('worker[0-3]', '10.0.0.[1-4]', 'n[1-', '~/.ssh/id', 'strict', 'accept-new', '*', '', 'web[1-2]', '127.0.0.[1-9]'),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ maxDepth: 3 }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 3 })),
})).v;

const node = fc.record({
  name: fc.oneof(fc.constantFrom('web[1-3]', 'db', 'n[01-10]', 'x[', 'a,b', 'r[1-2]-n[1-2]'), fc.string({ maxLength: 8 }), value),
  host: fc.oneof(fc.constantFrom('127.0.0.1', '10.0.0.[1-3]', '10.0.0.[1-2]', 'h['), value),
  port: fc.oneof(fc.integer({ min: -5, max: 70000 }), value),
  cluster: fc.oneof(fc.string({ maxLength: 6 }), value),
  tags: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }), value),
  props: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }), value),
}, { requiredKeys: [] });

const rule = fc.record({
  selector: fc.oneof(validExpression, fc.string({ maxLength: 10 }), value),
  user: fc.oneof(fc.string({ maxLength: 6 }), value),
  port: fc.oneof(fc.integer({ min: 0, max: 70000 }), value),
  address: fc.oneof(fc.constantFrom('ip', 'private_ip', '10.0.0.1'), value),
}, { requiredKeys: [] });

/** Shapes near the real schema (so validation goes deep), with unknown keys and wrong types mixed in. */
const configShape = fc.record({
  region: fc.oneof(fc.string({ maxLength: 10 }), value),
  nodes: fc.oneof(fc.array(node, { maxLength: 4 }), value),
  logins: fc.oneof(fc.array(rule, { maxLength: 3 }), value),
  hostKeyChecking: fc.oneof(fc.constantFrom('strict', 'off', 'accept-new', 'maybe'), value),
  ssh: fc.oneof(fc.record({ connectTimeoutMs: fc.oneof(fc.integer(), value), quietMs: value }, { requiredKeys: [] }), value),
  ec2: value,
  plugins: fc.oneof(fc.array(fc.string({ maxLength: 5 })), value),
  sshConfigHosts: value,
  history: value,
  extra: value,
}, { requiredKeys: [] });

/** Text that is sometimes YAML, often almost YAML. */
const yamlishText = fc.oneof(
  configShape.map((c) => yaml.dump(c)),
  fc.tuple(configShape.map((c) => yaml.dump(c)), fc.nat(), fc.string({ unit: fc.constantFrom(...':-[]{}&*!|>\'"%@`#,\t\n  a1'.split('')), maxLength: 8 }))
    .map(([text, at, junk]) => text.slice(0, at % (text.length + 1)) + junk + text.slice(at % (text.length + 1))),
  fc.string({ unit: fc.constantFrom(...'nodes: - {name: x, host: y}\n\t[]&*!%@'.split('')), maxLength: 60 }),
  fc.constantFrom('a: 1\na: 2\n', 'x: &a [*a]\n', '--- 1\n--- 2\n', '\ufeffregion: x\n', 'nodes: !!binary aGk=\n', 'region: !!js/function "x"\n'),
);

describe('fuzz: config loader', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof makeTempHome>;
  before(() => { tmp = makeTempHome(); });
  after(() => tmp.cleanup());

  it('validateConfig: any shape is a config or one ConfigInvalid line naming the key', () => {
    fc.assert(fc.property(fc.oneof(configShape, value), (raw) => {
      try {
        validateConfig(raw, '/x/dust.yaml');
      } catch (err) {
        expectOneLineDustError(err, ['DUST_CONFIG_INVALID'], JSON.stringify(raw));
      }
    }), fuzz(3001, 3000));
  });

  it('loadConfig: random YAML and JSON files load or fail with one line; their static nodes expand or fail the same way', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(yamlishText, fc.constantFrom('yaml', 'yml', 'json'), async (text, ext) => {
      const file = path.join(tmp.home, `c${n++}.${ext}`);
      fs.writeFileSync(file, ext === 'json' ? jsonish(text) : text);
      let loaded;
      try {
        loaded = await loadConfig({ explicitFile: file, dustHome: tmp.home, cwd: tmp.home });
      } catch (err) {
        expectOneLineDustError(err, CONFIG_CODES, text);
        return;
      } finally {
        fs.rmSync(file, { force: true });
      }
      try {
        await new StaticProvider(loaded.config.nodes, file).list();
      } catch (err) {
        expectOneLineDustError(err, ['DUST_CONFIG_INVALID', 'DUST_TARGET_SYNTAX'], text);
      }
    }), fuzz(3002, 400));
  });
});

/** The same data as JSON (when it is YAML at all), else the text as it is: broken JSON is the point. */
function jsonish(text: string): string {
  try {
    return JSON.stringify(yaml.load(text)) ?? text;
  } catch {
    return text;
  }
}
