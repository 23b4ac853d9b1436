import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useCliCluster } from '../e2e/dust-config-for-cluster.js';
import { dustCli, writePlugin } from './helpers.js';

/** A plugin that drains and undrains nodes through ctx.state.annotate, and keeps a count in its own store. */
const DRAINER = `export default { name: 'drainer', apiVersion: 2, setup(api) {
  api.registerCommand({
    name: 'drain', usage: 'drain <target> [reason]', summary: 'mark nodes drained', target: { mode: 'required' },
    async run(ctx) {
      for (const node of ctx.nodes) await ctx.state.annotate(node, 'drained', ctx.positionals[0] ?? 'yes');
      const store = ctx.state.store('drainer');
      await store.set('drains', (store.get('drains') ?? 0) + ctx.nodes.length);
      ctx.out.print('drained ' + ctx.nodes.map((n) => n.name).join(','));
    },
  });
  api.registerCommand({
    name: 'undrain', usage: 'undrain <target>', summary: 'clear drained', target: { mode: 'required' },
    async run(ctx) { for (const node of ctx.nodes) await ctx.state.annotate(node, 'drained', undefined); },
  });
  api.registerCommand({
    name: 'drains', usage: 'drains', summary: 'how many drains so far',
    run(ctx) { ctx.out.print('drains so far: ' + (ctx.state.store('drainer').get('drains') ?? 0)); },
  });
} };\n`;

describe('node annotations set by a plugin', function () {
  this.timeout(120000);
  const f = useCliCluster({ count: 3 });
  const dust = (...lines: string[]) => dustCli(['--config', f.configFile, ...lines.flatMap((l) => ['-c', l])], { home: f.tmp.home });

  before(() => {
    writePlugin(f.tmp.home, 'drainer.mjs', DRAINER);
  });

  it('persist across dust processes and are usable in targets (show, @*!annotation=drained)', () => {
    let r = dust('drain node1 maintenance');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('drained node1');
    const file = path.join(f.tmp.home, 'state', 'annotations.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({ node1: { drained: 'maintenance' } });

    // a new process: the annotation is there, and targets select by it
    r = dust('show annotation=drained');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\bnode1\b/).and.not.match(/\bnode0\b/).and.not.match(/\bnode2\b/);
    r = dust('show annotation=drained:maintenance');
    expect(r.stdout).to.match(/\bnode1\b/);

    r = dust('@*!annotation=drained echo x-$DUST_TEST_NODE');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('x-node0').and.include('x-node2').and.not.include('x-node1');

    r = dust('undrain node1', '@*!annotation=drained echo y-$DUST_TEST_NODE');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('y-node0').and.include('y-node1').and.include('y-node2');
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).to.deep.equal({});
    r = dust('show annotation=drained');
    expect(r.stdout + r.stderr).to.not.match(/\bnode1\b.*running/);
  });

  it('the same process sees an annotation in targets at once (the inventory cache is dropped)', () => {
    const r = dust('drain node[0,2]', '@*!annotation=drained echo z-$DUST_TEST_NODE', 'undrain node*');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('z-node1').and.not.include('z-node0').and.not.include('z-node2');
  });

  it("a plugin's store persists in $DUST_HOME/state/<plugin>.json", () => {
    const r = dust('drains');
    expect(r.stdout).to.match(/drains so far: [1-9]/);
    const stored = JSON.parse(fs.readFileSync(path.join(f.tmp.home, 'state', 'drainer.json'), 'utf8')) as { drains: number };
    expect(stored.drains).to.equal(3);
  });
});
