import { expect } from 'chai';
import { makeTempHome } from '../helpers/temp-home.js';
import { buildApp, writePlugin, type TestApp } from './helpers.js';
import { defineCommand, type CommandContext, type FlagValues, type PluginApi } from '../../src/plugins/api.js';

/** Compile-time checks (npm run typecheck): ctx.flags is typed from the spec's flags. */
export const typedFlags = defineCommand({
  name: 'typed',
  usage: 'typed',
  summary: 's',
  flags: {
    count: { type: 'number', short: 'n', description: 'd' },
    ports: { type: 'number', multiple: true, description: 'd' },
    name: { type: 'string', description: 'd' },
    tags: { type: 'string', multiple: true, description: 'd' },
    yes: { type: 'boolean', description: 'd' },
    verbose: { type: 'boolean', multiple: true, description: 'd' },
  },
  run(ctx) {
    const count: number | undefined = ctx.flags.count;
    const ports: readonly number[] | undefined = ctx.flags.ports;
    const name: string | undefined = ctx.flags.name;
    const tags: readonly string[] | undefined = ctx.flags.tags;
    const yes: boolean | undefined = ctx.flags.yes;
    const verbose: string | undefined = ctx.flags.verbose; // -vv: the count, '2'
    // @ts-expect-error a number flag is not a string
    const wrong: string | undefined = ctx.flags.count;
    // @ts-expect-error no such flag
    void ctx.flags.cuont;
    void [count, ports, name, tags, yes, verbose, wrong];
  },
});

/** registerCommand infers the same from an inline spec; an untyped context still reads any flag. */
export function typedInline(api: PluginApi): void {
  api.registerCommand({
    name: 'inline', usage: 'inline', summary: 's',
    flags: { disk: { type: 'number', description: 'd' } },
    run(ctx) {
      const disk: number = ctx.flags.disk ?? 90;
      // @ts-expect-error number, not string
      ctx.flags.disk?.toUpperCase();
      void disk;
    },
  });
  const untyped = (ctx: CommandContext) => ctx.flags['anything'];
  const values: FlagValues<{ a: { type: 'boolean'; description: '' } }> = { a: true };
  void [untyped, values];
}

const NUMBERS = `export default { name: 'numbers', apiVersion: 2, setup(api) {
  api.registerCommand({
    name: 'num', usage: 'num [-n N] [--port P ...]', summary: 'prints its flags',
    flags: {
      n: { type: 'number', short: 'n', description: 'a number' },
      port: { type: 'number', multiple: true, description: 'ports' },
    },
    run(ctx) { ctx.out.print(JSON.stringify({ n: ctx.flags.n, port: ctx.flags.port, types: [typeof ctx.flags.n] })); },
  });
} };\n`;

describe("flags of type 'number'", function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof makeTempHome>;
  let t: TestApp | undefined;
  beforeEach(() => { tmp = makeTempHome('nodes: []\n'); });
  afterEach(async () => { await t?.close(); t = undefined; tmp.cleanup(); });

  it('arrive as numbers (also repeated, also negative with =, also 1e3 and .5)', async () => {
    writePlugin(tmp.home, 'num.mjs', NUMBERS);
    t = await buildApp({ home: tmp.home });
    expect(t.stderr()).to.equal('');
    let mark = t.all().length;
    expect(await t.run('num -n 2.5 --port 22 --port 2222')).to.equal(true);
    expect(JSON.parse(t.since(mark))).to.deep.equal({ n: 2.5, port: [22, 2222], types: ['number'] });
    for (const [arg, n] of [['--n=-3', -3], ['-n 1e3', 1000], ['-n .5', 0.5]] as const) {
      mark = t.all().length;
      expect(await t.run(`num ${arg}`)).to.equal(true);
      expect((JSON.parse(t.since(mark)) as { n: number }).n, arg).to.equal(n);
    }
  });

  it('something else is one usage line naming the flag and the usage, and nothing runs', async () => {
    writePlugin(tmp.home, 'num.mjs', NUMBERS);
    t = await buildApp({ home: tmp.home });
    for (const bad of ['lots', '0x10', '12abc', 'Infinity']) {
      const mark = t.all().length;
      expect(await t.run(`num -n ${bad}`)).to.equal(false);
      expect(t.since(mark).trim().split('\n')).to.deep.equal([`✖ num: --n takes a number, not '${bad}' — usage: num [-n N] [--port P ...] [DUST_USAGE]`]);
    }
  });

  it('help shows <number> for them', async () => {
    writePlugin(tmp.home, 'num.mjs', NUMBERS);
    t = await buildApp({ home: tmp.home });
    await t.run('help num');
    expect(t.stdout()).to.include('-n, --n <number>  a number').and.include('--port <number>  ports');
  });
});
