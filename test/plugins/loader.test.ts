import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';
import { buildApp, dustCli, writePlugin, type TestApp } from './helpers.js';

/** A drop-in that registers one command printing `text`. */
function commandPlugin(name: string, command: string, text: string): string {
  return `export default { name: '${name}', apiVersion: 2, setup(api) {
  api.registerCommand({ name: '${command}', usage: '${command}', summary: 'prints ${text}', help: 'Help text of ${command}.', run(ctx) { ctx.out.print('${text}'); } });
} };\n`;
}

/** Always present next to the broken fixture: proves every other plugin still loads. */
const GOOD = commandPlugin('good', 'goodcmd', 'good plugin ran');

interface FailureCase {
  title: string;
  file: string;
  text: string;
  code: string;
  /** Words of the hint (the part after the em dash). */
  hint: RegExp;
  /** What the one line says, besides path, code and hint. */
  says: RegExp;
}

/** A drop-in whose setup() runs `body` (one line, so the offending call is on line 2). */
function setupPlugin(name: string, body: string): string {
  return `export default { name: '${name}', apiVersion: 2, setup(api) {\n  ${body}\n} };\n`;
}
const cmd = (extra: string) => `api.registerCommand({ name: 'c', usage: 'c', summary: 's', run() {}, ${extra} });`;

const FAILURES: FailureCase[] = [
  {
    title: 'syntax error in .mjs: file:line:col', file: 'broken.mjs', text: "export default { name: 'broken', apiVersion: 2, setup(api) {\n  const x = ;\n} };\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /broken\.mjs:2:13: syntax error: Unexpected token ';'/, hint: /fix the file or move it out/,
  },
  {
    title: 'syntax error in an ES-module .js: file:line', file: 'broken.js', text: "export default { name: 'broken', apiVersion: 2 };\nfoo(\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /broken\.js:3: syntax error: Unexpected end of input/, hint: /fix the file/,
  },
  {
    title: 'syntax error in .cjs: file:line:col', file: 'broken.cjs', text: "module.exports = { name: 'b',\n  setup( {\n};\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /broken\.cjs:3:2: syntax error: Unexpected token/, hint: /fix the file/,
  },
  {
    title: 'syntax error in .ts: file:line:col', file: 'broken.ts', text: 'const n: number = 1;\nconst x: number = ;\nexport default {};\n',
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /broken\.ts:2:\d+: syntax error: Unexpected token/, hint: /fix the file/,
  },
  {
    title: 'throws on import: file:line:col of the throw', file: 'throws.js', text: "\nthrow new Error('no config for throws');\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /throws\.js:2:7: throws on import: no config for throws/, hint: /--verbose shows the stack/,
  },
  {
    title: 'a SyntaxError thrown by the code (JSON.parse) is no syntax error of the file', file: 'json.mjs', text: "JSON.parse('{x');\nexport default {};\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /json\.mjs:1:6: throws on import: .*JSON/, hint: /fix the file/,
  },
  {
    title: "importing 'dust/plugin' (the old name) says what the package is called", file: 'oldname.mjs',
    text: "import { definePlugin } from 'dust/plugin';\nexport default definePlugin({ name: 'oldname', apiVersion: 2, setup() {} });\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /oldname\.mjs: throws on import: Cannot find package 'dust'/, hint: /import from 'dust-shell\/plugin', or import nothing/,
  },
  {
    title: 'importing a package that is not installed next to the drop-in', file: 'lodash.mjs',
    text: "import _ from 'lodash-not-here';\nexport default { name: 'l', apiVersion: 2, setup() {} };\n",
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /Cannot find package 'lodash-not-here'/, hint: /install lodash-not-here there/,
  },
  {
    title: 'wrong shape: no setup', file: 'nosetup.mjs', text: "export default { name: 'nosetup', apiVersion: 2 };\n",
    code: 'DUST_PLUGIN_INVALID', says: /'nosetup' .*missing setup\(api\)/, hint: /add setup\(api\)/,
  },
  {
    title: 'wrong shape: no name', file: 'noname.mjs', text: 'export default { apiVersion: 2, setup() {} };\n',
    code: 'DUST_PLUGIN_INVALID', says: /missing name/, hint: /add name: 'noname'/,
  },
  {
    title: 'wrong shape: no default export (says so, and the fix needs no import)', file: 'empty.mjs', text: 'export const x = 1;\n',
    code: 'DUST_PLUGIN_INVALID', says: /no default export with a plugin \(it exports x\)/, hint: /^export default \{ name: 'empty', apiVersion: 2, setup\(api\) \{ \.\.\. \} \} \(a plain object: no import needed/,
  },
  {
    title: 'wrong shape: the default export is a function', file: 'fn.mjs', text: 'export default function setup(api) {}\n',
    code: 'DUST_PLUGIN_INVALID', says: /the default export is a function, not a plugin object/, hint: /make the function the setup of an object/,
  },
  {
    title: 'missing apiVersion', file: 'noapi.mjs', text: "export default { name: 'noapi', setup() {} };\n",
    code: 'DUST_PLUGIN_INVALID', says: /'noapi' .*: missing apiVersion — /, hint: /add apiVersion: 2/,
  },
  {
    title: 'a misspelt plugin key', file: 'typo.mjs', text: "export default { name: 'typo', apiversion: 1, setup() {} };\n",
    code: 'DUST_PLUGIN_INVALID', says: /'apiversion' is not a plugin key/, hint: /did you mean 'apiVersion'\?/,
  },
  {
    title: 'apiVersion 3', file: 'future.mjs', text: "export default { name: 'future', apiVersion: 3, setup() {} };\n",
    code: 'DUST_PLUGIN_API_MISMATCH', says: /written for plugin API 3, this dust provides API 2/, hint: /update the plugin/,
  },
  {
    title: 'apiVersion 1 (before transports)', file: 'old.mjs', text: "export default { name: 'old', apiVersion: 1, setup() {} };\n",
    code: 'DUST_PLUGIN_API_MISMATCH', says: /written for plugin API 1, this dust provides API 2/, hint: /Migrating from plugin API 1/,
  },
  {
    title: "dust: '>=99'", file: 'tooold.mjs', text: "export default { name: 'tooold', apiVersion: 2, dust: '>=99', setup() {} };\n",
    code: 'DUST_PLUGIN_API_MISMATCH', says: /needs dust >=99, this is dust \d+\.\d+\.\d+/, hint: /update dust or the plugin/,
  },
  {
    title: 'an unparsable dust range', file: 'badrange.mjs', text: "export default { name: 'badrange', apiVersion: 2, dust: 'soon', setup() {} };\n",
    code: 'DUST_PLUGIN_INVALID', says: /invalid version range 'soon'/, hint: /semver range/,
  },
  {
    title: 'setup() throws: file:line:col of the throw', file: 'halfway.mjs',
    text: `export default { name: 'halfway', apiVersion: 2, setup(api) {
  api.registerCommand({ name: 'halfcmd', usage: 'halfcmd', summary: 's', run(ctx) { ctx.out.print('half ran'); } });
  api.on('command:after', () => { console.log('HALFWAY HANDLER RAN'); });
  throw new Error('setup exploded');
} };\n`,
    code: 'DUST_PLUGIN_LOAD_FAILED', says: /'halfway' \(\S+halfway\.mjs:4:9\) failed in setup\(\): setup exploded/, hint: /fix the plugin/,
  },
  {
    title: 'a reserved builtin: name', file: 'fake.mjs', text: "export default { name: 'builtin:fake', apiVersion: 2, setup() {} };\n",
    code: 'DUST_PLUGIN_INVALID', says: /reserved/, hint: /pick another name/,
  },
  // Command specs and subscriptions are checked when registered: the line of the call, the key, the fix.
  ...([
    ['an invalid command name', "api.registerCommand({ name: 'bad name', usage: 'u', summary: 's', run() {} });", /\.mjs:2:7\): a command with an invalid name 'bad name'/, /name is one word/],
    ['a command without run()', "api.registerCommand({ name: 'c', usage: 'c', summary: 's' });", /command 'c': run is missing/, /needs run\(ctx\)/],
    ['a command without summary', "api.registerCommand({ name: 'c', usage: 'c', run() {} });", /command 'c': summary is missing/, /needs name, usage, summary and run/],
    ["target mode 'optinal'", cmd("target: { mode: 'optinal' }"), /command 'c': target\.mode is 'optinal'/, /did you mean 'optional'\?/],
    ['target states as a string', cmd("target: { mode: 'optional', states: 'running' }"), /target\.states is the string 'running'/, /states: \['running'\]/],
    ['an unknown target key', cmd("target: { mode: 'optional', state: ['running'] }"), /target\.state is not a target key/, /did you mean 'states'\?/],
    ['a negative target position', cmd("target: { mode: 'required', position: -1 }"), /target\.position is number -1/, /index of the positional argument/],
    ["an unknown flag type ('int')", cmd("flags: { n: { type: 'int', description: 'd' } }"), /flags\.n\.type is 'int'/, /'boolean', 'string' or 'number'/],
    ['a flag without type', cmd("flags: { n: { description: 'd' } }"), /flags\.n\.type is missing/, /type is 'boolean'/],
    ['a short flag of two letters', cmd("flags: { name: { type: 'string', short: 'nm', description: 'd' } }"), /flags\.name\.short is 'nm'/, /one letter or digit/],
    ['two flags with one short letter', cmd("flags: { all: { type: 'boolean', short: 'a', description: 'd' }, any: { type: 'boolean', short: 'a', description: 'd' } }"), /flags\.any\.short 'a' is already -a for --all/, /its own short letter/],
    ['a flag name with dashes', cmd("flags: { '--dry': { type: 'boolean', description: 'd' } }"), /flags\.--dry is not a flag name/, /without dashes/],
    ['a misspelt spec key', cmd("flag: { n: { type: 'number', description: 'd' } }"), /command 'c': flag is not a command spec key/, /did you mean 'flags'\?/],
    ['a repeated alias', cmd("aliases: ['cc', 'CC']"), /aliases\[1\] repeats 'CC'/, /each alias once/],
    ['an alias equal to the name', cmd("aliases: ['c']"), /aliases\[0\] repeats 'c'/, /not the command's own name/],
    ['a prefix of two characters', cmd("prefix: '=>'"), /prefix '=>' is not one punctuation character/, /like @ or !/],
    ["on('node:lsot')", "api.on('node:lsot', () => {});", /\.mjs:2:7\): on\('node:lsot'\): no such event/, /did you mean 'node:lost'\?/],
    ['on() without a handler', "api.on('node:lost');", /on\('node:lost'\): the handler is undefined/, /pass a function/],
  ] as const).map(([title, body, says, hint], i): FailureCase => ({
    title: `registration: ${title}`, file: `spec${i}.mjs`, text: setupPlugin(`spec${i}`, body), code: 'DUST_PLUGIN_INVALID', says, hint,
  })),
];

describe('plugin loader (drop-ins in $DUST_HOME/plugins)', function () {
  this.timeout(90000);
  let tmp: ReturnType<typeof makeTempHome>;
  beforeEach(() => { tmp = makeTempHome('nodes: []\n'); });
  afterEach(() => tmp.cleanup());

  describe('a plugin that fails to load: one line with path, code and hint; the others still load (built CLI)', () => {
    for (const c of FAILURES) {
      it(c.title, () => {
        writePlugin(tmp.home, 'good.mjs', GOOD);
        const file = writePlugin(tmp.home, c.file, c.text);
        const r = dustCli(['-c', 'goodcmd', '-c', 'plugins'], { home: tmp.home });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.include('good plugin ran');
        const lines = r.stderr.split('\n').filter((l) => l.includes(file));
        const loadLines = lines.filter((l) => !l.startsWith('not loaded: '));
        expect(loadLines, r.stderr).to.have.length(1);
        const line = loadLines[0]!;
        expect(line).to.include(`[${c.code}]`);
        expect(line).to.match(c.says);
        expect(line.split(' — ')[1] ?? '', line).to.match(c.hint);
        // `plugins` repeats it under "not loaded", and lists the good one with its file
        expect(lines.filter((l) => l.startsWith('not loaded: '))).to.have.length(1);
        expect(r.stdout).to.match(/good\s+│ goodcmd\s+│ .*good\.mjs/);
        expect(r.stdout + r.stderr).to.not.match(/^\s+at /m); // no stack without --verbose
      });
    }

    it('setup() that throws leaves none of its half-registered commands or handlers behind', () => {
      writePlugin(tmp.home, 'halfway.mjs', FAILURES.find((f) => f.file === 'halfway.mjs')!.text);
      const r = dustCli(['-c', 'halfcmd', '-c', 'plugins'], { home: tmp.home });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.not.include('half ran').and.not.include('halfcmd').and.not.include('HALFWAY HANDLER RAN');
      expect(r.stderr).to.match(/'halfcmd' is neither a dust command nor a local program/);
    });

    it('--verbose adds the stack of a load failure', () => {
      const file = writePlugin(tmp.home, 'throws.js', "throw new Error('no config for throws');\n");
      const r = dustCli(['--verbose', '-c', 'help'], { home: tmp.home });
      expect(r.stderr).to.include(`plugin ${file}:1:7: throws on import`);
      expect(r.stderr).to.match(/caused by: Error: no config for throws\n\s+at .*throws\.js/);
    });
  });

  describe('a command that throws (built CLI)', () => {
    const THROWER = `export default { name: 'thrower', apiVersion: 2, setup(api) {
  api.registerCommand({ name: 'boom', usage: 'boom', summary: 'fails', run() { throw new TypeError('cannot read the thing\\nsecond line'); } });
} };\n`;

    it('prints one line naming plugin and command, and the shell keeps running', () => {
      writePlugin(tmp.home, 'thrower.mjs', THROWER);
      writePlugin(tmp.home, 'good.mjs', GOOD);
      const r = dustCli(['-c', 'boom', '-c', 'goodcmd'], { home: tmp.home });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.include('good plugin ran');
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^✖ plugin 'thrower' failed in command 'boom': cannot read the thing — run with --verbose .* \[DUST_PLUGIN_ERROR\]$/);
    });

    for (const [how, args, env] of [['--verbose', ['--verbose'], {}], ['DUST_DEBUG=1', [], { DUST_DEBUG: '1' }]] as const) {
      it(`${how} adds the stack trace`, () => {
        const file = writePlugin(tmp.home, 'thrower.mjs', THROWER);
        const r = dustCli([...args, '-c', 'boom'], { home: tmp.home, env });
        expect(r.stderr).to.include("plugin 'thrower' failed in command 'boom'");
        expect(r.stderr).to.include('caused by: TypeError: cannot read the thing');
        expect(r.stderr).to.include(path.basename(file));
      });
    }
  });

  describe('in process (a DustApp wired like main.ts)', () => {
    let t: TestApp | undefined;
    afterEach(async () => { await t?.close(); t = undefined; });

    const GOOD_FORMS: { title: string; file: string; text: string }[] = [
      { title: 'ESM .mjs', file: 'p.mjs', text: commandPlugin('p-mjs', 'hello', 'hello from mjs') },
      { title: 'ESM .js (no package.json in the folder)', file: 'p.js', text: commandPlugin('p-js', 'hello', 'hello from js') },
      {
        title: 'CommonJS .cjs', file: 'p.cjs',
        text: "module.exports = { name: 'p-cjs', apiVersion: 2, setup(api) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 's', run(ctx) { ctx.out.print('hello from cjs'); } }); } };\n",
      },
      {
        title: 'CommonJS transpiled by tsc (exports.default: the double default)', file: 'p-tsc.cjs',
        text: `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.default = { name: 'p-tsc', apiVersion: 2, setup(api) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 's', run(ctx) { ctx.out.print('hello from tsc output'); } }); } };\n`,
      },
      {
        title: '.ts with types and a type-only import (jiti, no build step, no package.json)', file: 'p.ts',
        text: `import type { DustPlugin, CommandContext } from 'dust-shell/plugin';
interface Greeting { readonly word: string; readonly times: number }
const greeting: Greeting = { word: 'hello from ts', times: 2 };
enum Mood { Happy = 'happy' }
function greet(ctx: CommandContext): void {
  for (let i = 0; i < greeting.times; i++) ctx.out.print(\`\${greeting.word} (\${Mood.Happy})\`);
}
const plugin: DustPlugin = {
  name: 'p-ts',
  apiVersion: 2,
  dust: '>=0.1',
  setup(api) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 'greets', run: greet }); },
};
export default plugin;
`,
      },
      {
        title: '.cts (TypeScript as CommonJS, module.exports)', file: 'p.cts',
        text: "const plugin = { name: 'p-cts', apiVersion: 2, setup(api: any) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 's', run(ctx: any) { ctx.out.print('hello from cts'); } }); } };\nmodule.exports = plugin;\n",
      },
      {
        title: 'a named `plugin` export', file: 'named.mjs',
        text: "export const plugin = { name: 'p-named', apiVersion: 2, setup(api) { api.registerCommand({ name: 'hello', usage: 'hello', summary: 's', run(ctx) { ctx.out.print('hello from named'); } }); } };\n",
      },
    ];

    for (const g of GOOD_FORMS) {
      it(`loads ${g.title}`, async () => {
        const file = writePlugin(tmp.home, g.file, g.text);
        t = await buildApp({ home: tmp.home });
        expect(t.stderr(), t.stderr()).to.equal('');
        expect(await t.run('hello')).to.equal(true);
        expect(t.stdout()).to.match(/hello from \w+/);
        const hello = t.app.registry.lookup('hello');
        expect(hello?.source).to.equal(file);
        expect(hello?.plugin).to.match(/^p-/);
      });
    }

    it('`help <command>` shows a plugin command like a built-in, naming its plugin and file', async () => {
      const file = writePlugin(tmp.home, 'greet.mjs', commandPlugin('greeter', 'greet', 'hi'));
      t = await buildApp({ home: tmp.home });
      expect(await t.run('help greet')).to.equal(true);
      expect(t.stdout()).to.include('usage: greet').and.include('Help text of greet.').and.include(`from plugin greeter (${file})`);
      expect(await t.run('help')).to.equal(true);
      expect(t.stdout()).to.match(/greet\s.*prints hi/);
    });

    it('loads in a defined order: built-ins, then drop-ins by file name, then config plugins:', async () => {
      const order = (name: string) => `export default { name: '${name}', apiVersion: 2, setup(api) {
  (globalThis.__dustOrder ??= []).push('${name}');
  api.registerCommand({ name: 'same', usage: 'same', summary: 's', run(ctx) { ctx.out.print('same from ${name}'); } });
} };\n`;
      writePlugin(tmp.home, 'b.mjs', order('b'));
      writePlugin(tmp.home, 'a.mjs', order('a'));
      writePlugin(tmp.home, '10-first.mjs', order('first'));
      const extra = path.join(tmp.home, 'elsewhere', 'configured.mjs');
      fs.mkdirSync(path.dirname(extra));
      fs.writeFileSync(extra, order('configured'));
      fs.writeFileSync(tmp.configFile, `nodes: []\nplugins:\n  - ${extra}\n`);
      (globalThis as { __dustOrder?: string[] }).__dustOrder = [];
      t = await buildApp({ home: tmp.home, configFile: tmp.configFile });
      expect((globalThis as { __dustOrder?: string[] }).__dustOrder).to.deep.equal(['first', 'a', 'b', 'configured']);
      // the last one wins, and each takeover is one line saying who won and how to choose
      await t.run('same');
      expect(t.stdout()).to.include('same from configured');
      const clashes = t.stderr().trim().split('\n');
      expect(clashes).to.have.length(3);
      expect(clashes[0]).to.match(/command 'same': plugin 'a' \(.*a\.mjs\) replaces plugin 'first' \(.*10-first\.mjs\) — the plugin loaded last wins \(drop-ins load in file-name order, then config plugins:\); rename a file or a command to choose \[DUST_PLUGIN_NAME_CLASH\]/);
      expect(clashes[2]).to.match(/plugin 'configured' .* replaces plugin 'b'/);
    });

    it('two drop-ins claiming one command: reported with the winner and how to choose', async () => {
      writePlugin(tmp.home, 'one.mjs', commandPlugin('one', 'deploy', 'deploy by one'));
      writePlugin(tmp.home, 'two.mjs', commandPlugin('two', 'deploy', 'deploy by two'));
      t = await buildApp({ home: tmp.home });
      await t.run('deploy');
      expect(t.stdout()).to.include('deploy by two');
      expect(t.stderr()).to.match(/^command 'deploy': plugin 'two' \(\S+two\.mjs\) replaces plugin 'one' \(\S+one\.mjs\) — .*rename a file or a command to choose \[DUST_PLUGIN_NAME_CLASH\]\n$/);
    });

    it('a drop-in replacing a built-in (show) is reported, and `plugins reload` after removing it brings the built-in back', async () => {
      const file = writePlugin(tmp.home, 'myshow.mjs', commandPlugin('myshow', 'show', 'my own show'));
      t = await buildApp({ home: tmp.home });
      expect(t.stderr()).to.match(/command 'show': plugin 'myshow' \(.*myshow\.mjs\) replaces the built-in \(builtin:inventory\) — rename the plugin's command to keep the built-in 'show' \[DUST_PLUGIN_NAME_CLASH\]/);
      await t.run('show');
      expect(t.stdout()).to.include('my own show');
      fs.rmSync(file);
      await t.run('plugins reload');
      expect(t.app.registry.lookup('show')?.plugin).to.equal('builtin:inventory');
    });

    it('two plugins with the same name: the second is refused', async () => {
      writePlugin(tmp.home, 'a.mjs', commandPlugin('twin', 'c1', 'x'));
      writePlugin(tmp.home, 'b.mjs', commandPlugin('twin', 'c2', 'y'));
      t = await buildApp({ home: tmp.home });
      expect(t.stderr()).to.match(/plugin 'twin' from .*b\.mjs: another plugin already uses this name — rename one of them .*\[DUST_PLUGIN_INVALID\]/);
      expect(t.app.registry.lookup('c1')).to.not.equal(undefined);
      expect(t.app.registry.lookup('c2')).to.equal(undefined);
    });

    for (const ext of ['.mjs', '.cjs', '.ts']) {
      it(`\`plugins reload\` picks up an edited ${ext} file, and a removed one disappears`, async () => {
        const body = (v: string) => (ext === '.cjs'
          ? `module.exports = { name: 'editable', apiVersion: 2, setup(api) { api.registerCommand({ name: 'ver', usage: 'ver', summary: 's', run(ctx) { ctx.out.print('version ${v}'); } }); } };\n`
          : commandPlugin('editable', 'ver', `version ${v}`));
        const file = writePlugin(tmp.home, `editable${ext}`, body('one'));
        t = await buildApp({ home: tmp.home });
        await t.run('ver');
        expect(t.stdout()).to.include('version one');
        fs.writeFileSync(file, body('two'));
        const later = new Date(Date.now() + 5000);
        fs.utimesSync(file, later, later); // a distinct mtime even on coarse file systems
        let mark = t.all().length;
        expect(await t.run('plugins reload')).to.equal(true);
        expect(t.since(mark)).to.match(/editable\s+│ ver\s+│ .*editable/);
        mark = t.all().length;
        await t.run('ver');
        expect(t.since(mark)).to.include('version two').and.not.include('version one');
        fs.rmSync(file);
        await t.run('plugins reload');
        mark = t.all().length;
        expect(await t.run('ver')).to.equal(false);
        expect(t.since(mark)).to.include("'ver' is neither a dust command");
        expect(t.app.registry.list().map((c) => c.plugin)).to.not.include('editable');
      });
    }

    it('`plugins reload` drops the event handlers of the old version', async () => {
      const file = writePlugin(tmp.home, 'listener.mjs', `export default { name: 'listener', apiVersion: 2, setup(api) {
  api.on('command:after', (e) => { (globalThis.__dustHeard ??= []).push('v1:' + e.command); });
} };\n`);
      (globalThis as { __dustHeard?: string[] }).__dustHeard = [];
      t = await buildApp({ home: tmp.home });
      fs.rmSync(file);
      await t.run('plugins reload');
      const heard = (globalThis as { __dustHeard?: string[] }).__dustHeard!;
      const before = heard.length;
      await t.run('help');
      await t.app.events.emit('command:after', { line: 'x', command: 'x', ok: true, durationMs: 0 });
      expect(heard.length).to.equal(before);
    });

    it('loads packages named in config plugins: (a local path and a package in node_modules)', async () => {
      const local = path.join(tmp.home, 'my-plugins', 'local.mjs');
      fs.mkdirSync(path.dirname(local), { recursive: true });
      fs.writeFileSync(local, commandPlugin('local-path', 'fromlocal', 'from a local path'));
      const pkgDir = path.join(tmp.home, 'node_modules', 'dust-plugin-hello');
      fs.mkdirSync(pkgDir, { recursive: true });
      fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ name: 'dust-plugin-hello', version: '1.0.0', type: 'module', main: 'index.js' }));
      fs.writeFileSync(path.join(pkgDir, 'index.js'), commandPlugin('hello-pkg', 'frompkg', 'from a package'));
      fs.writeFileSync(tmp.configFile, 'nodes: []\nplugins:\n  - ./my-plugins/local.mjs\n  - dust-plugin-hello\n  - dust-plugin-missing\n');
      t = await buildApp({ home: tmp.home, configFile: tmp.configFile });
      await t.run('fromlocal');
      await t.run('frompkg');
      expect(t.stdout()).to.include('from a local path').and.include('from a package');
      expect(t.app.registry.lookup('frompkg')?.source).to.equal(path.join(pkgDir, 'index.js'));
      const missing = t.stderr().split('\n').filter((l) => l.includes('dust-plugin-missing'));
      expect(missing).to.have.length(1);
      expect(missing[0]).to.match(/not found — install the package .* \[DUST_PLUGIN_LOAD_FAILED\]/);
    });

    it('`plugins` lists every plugin, built-ins included, with its commands and where it comes from', async () => {
      const file = writePlugin(tmp.home, 'greet.mjs', commandPlugin('greeter', 'greet', 'hi'));
      t = await buildApp({ home: tmp.home });
      await t.run('plugins');
      expect(t.stdout()).to.match(/greeter\s+│ greet\s+│ /).and.include(file);
      expect(t.stdout()).to.match(/builtin:inventory\s+│ show, use\s+│ built-in/);
      expect(t.stdout()).to.match(/builtin:plugins\s+│ plugins\s+│ built-in/);
    });
  });
});
