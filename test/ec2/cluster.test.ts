import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ec2App, namesOf, ScriptedPrompter, type Ec2TestApp } from './helpers.js';

describe('ec2: cluster up/down/list through the command runner', () => {
  let t: Ec2TestApp;
  let prompter: ScriptedPrompter;
  const R = 'us-east-1';
  const calls = (action: string) => t.core.requestLog.filter((r) => r.action === action);
  const members = (cluster: string) => t.core.instances(R).filter((i) => i.tags['dust:cluster'] === cluster);
  const errorLines = (text: string) => text.split('\n').filter((l) => l.startsWith('✖'));

  beforeEach(async () => {
    prompter = new ScriptedPrompter();
    t = await ec2App({ prompter });
  });
  afterEach(() => t.cleanup());

  it('up -y launches master + workers with the right tags, type and default image, and shows them as a cluster', async () => {
    expect(await t.run('cluster up spark1 -y')).to.equal(true);
    const nodes = members('spark1');
    expect(nodes.map((n) => n.tags['Name']).sort()).to.deep.equal(['master', 'worker0', 'worker1']);
    for (const n of nodes) {
      expect(n.instanceType).to.equal('t3.micro');
      expect(n.tags['dust:cluster-role']).to.equal(n.tags['Name'] === 'master' ? 'master' : 'worker');
    }
    // One RunInstances per node group, with the tags in TagSpecifications.
    expect(calls('RunInstances')).to.have.length(2);
    const images = calls('DescribeImages');
    expect(images).to.have.length(1);
    const image = t.core.region(R).images.find((i) => i.name.startsWith('al2023-ami-2023.6') && i.architecture === 'x86_64')!;
    expect(calls('RunInstances')[0]!.params['ImageId']).to.equal(image.id);
    expect(prompter.asked).to.deep.equal([]);
    const out = t.out.take();
    expect(out).to.match(/cluster spark1: launched/);
    expect(out).to.match(/worker1/); // the show at the end
    expect(await namesOf(t, 'cluster=spark1')).to.have.members(['master', 'worker0', 'worker1']);
  });

  it('with a working set active, up still shows the new nodes; show and @ see them running without refresh', async () => {
    await t.run('cluster up web -y --nodes 1');
    expect(await t.run('use web')).to.equal(true);
    t.out.take();
    (t.app.state.inventory as unknown as { transitionalTtlMs: number }).transitionalTtlMs = 0; // a fresh read whenever a node is mid-transition (real time: 3 s)
    expect(await t.run('cluster up spark1 -y --nodes 2')).to.equal(true);
    const out = t.out.take();
    expect(errorLines(out)).to.deep.equal([]);
    expect(out).to.match(/│ master\s+│/).and.to.match(/│ worker\s+│/).and.to.match(/pending/);
    expect(out).to.match(/the working set is web: `use spark1`/);
    t.clock.advance(5000); // the emulator's instances reach running; nobody types refresh
    expect(await t.run('cluster list')).to.equal(true);
    expect(t.out.take()).to.match(/spark1[\s\S]*running/);
    expect(await t.run('use spark1')).to.equal(true);
    expect(await t.run('show')).to.equal(true);
    const shown = t.out.take();
    expect(shown).to.match(/master[^\n]*running/).and.to.match(/worker[^\n]*running/);
    expect(shown).to.not.match(/pending/);
  });

  it('--nodes, --type and --image are honoured', async () => {
    const debian = t.core.region(R).images.find((i) => i.name.startsWith('debian'))!;
    expect(await t.run(`cluster up c2 -y --nodes 2 --type t3.small --image ${debian.id}`)).to.equal(true);
    const nodes = members('c2');
    expect(nodes.map((n) => n.tags['Name']).sort()).to.deep.equal(['master', 'worker']);
    expect(nodes.every((n) => n.instanceType === 't3.small')).to.equal(true);
    expect(calls('RunInstances').every((c) => c.params['ImageId'] === debian.id)).to.equal(true);
    expect(calls('DescribeImages')).to.have.length(0);
  });

  it('asks first; declining launches nothing', async () => {
    prompter.answers = [false];
    expect(await t.run('cluster up spark1')).to.equal(true);
    expect(prompter.asked).to.deep.equal(['launch 3 instances for cluster spark1?']);
    expect(t.out.take()).to.match(/cancelled: nothing was launched/);
    expect(calls('RunInstances')).to.have.length(0);
    expect(t.core.instances(R)).to.have.length(0);
  });

  it('--spec reads a YAML file with two node groups', async () => {
    const file = path.join(t.home, 'web.yaml');
    fs.writeFileSync(file, 'name: web\nnodes:\n  - { name: head, type: t3.small, role: master }\n  - { name: node, type: c6i.large, count: 3 }\n');
    expect(await t.run(`cluster up --spec ${file} -y`)).to.equal(true);
    const nodes = members('web');
    const byName = Object.fromEntries(nodes.map((n) => [n.tags['Name'], n]));
    expect(Object.keys(byName).sort()).to.deep.equal(['head', 'node0', 'node1', 'node2']);
    expect(byName['head']!.instanceType).to.equal('t3.small');
    expect(byName['head']!.tags['dust:cluster-role']).to.equal('master');
    expect(['node0', 'node1', 'node2'].every((n) => byName[n]!.instanceType === 'c6i.large' && byName[n]!.tags['dust:cluster-role'] === 'worker')).to.equal(true);
    expect(calls('RunInstances')).to.have.length(2);
  });

  it('refuses a second up of a live cluster, with a hint to bring it down', async () => {
    expect(await t.run('cluster up spark1 -y --nodes 1')).to.equal(true);
    t.out.take();
    expect(await t.run('cluster up spark1 -y')).to.equal(false);
    const errors = errorLines(t.out.take());
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/already has 1 instance .*cluster down spark1.*\[DUST_USAGE\]/);
    expect(calls('RunInstances')).to.have.length(1);
  });

  it('--wait waits until every node runs (fake clock), and --user writes a login rule', async () => {
    expect(await t.run('cluster up spark1 -y --wait --user ec2-user')).to.equal(true);
    expect(members('spark1').every((n) => n.state === 'running')).to.equal(true);
    const out = t.out.take();
    expect(out).to.match(/3 instances running/);
    expect(out).to.match(/login rule 'cluster=spark1' → user=ec2-user/);
    const nodes = await t.app.state.resolveTarget('cluster=spark1');
    expect(nodes.map((n) => n.user)).to.deep.equal(['ec2-user', 'ec2-user', 'ec2-user']);
  });

  it('Ctrl-C during up --wait stops the waiting only; the nodes are launched', async () => {
    const s = await ec2App({ sleep: async () => { s.app.runner.interrupt(); return false; } });
    try {
      expect(await s.run('cluster up q -y --nodes 2 --wait')).to.equal(true);
      expect(s.out.take()).to.match(/stopped waiting \(the launch carries on in EC2\)/);
      expect(s.core.instances(R).filter((i) => i.tags['dust:cluster'] === 'q')).to.have.length(2);
    } finally {
      s.cleanup();
    }
  });

  it('down terminates exactly that cluster; another cluster is untouched', async () => {
    expect(await t.run('cluster up a -y --nodes 2')).to.equal(true);
    expect(await t.run('cluster up b -y --nodes 2')).to.equal(true);
    t.out.take();
    prompter.answers = [true];
    expect(await t.run('cluster down a --wait')).to.equal(true);
    expect(prompter.asked).to.deep.equal(['terminate 2 instances of cluster a?']);
    expect(members('a').map((n) => n.state)).to.deep.equal(['terminated', 'terminated']);
    expect(members('b').every((n) => n.state !== 'terminated' && n.state !== 'shutting-down')).to.equal(true);
    expect(calls('TerminateInstances')).to.have.length(1);
    // Nothing left: one clear line, and a new up of the same name is allowed again.
    expect(await t.run('cluster down a -y')).to.equal(true);
    expect(t.out.take()).to.match(/cluster a: no instances that are not terminated/);
    expect(await t.run('cluster up a -y --nodes 1')).to.equal(true);
  });

  it('down declined changes nothing', async () => {
    await t.run('cluster up a -y --nodes 1');
    prompter.answers = [false];
    expect(await t.run('cluster down a')).to.equal(true);
    expect(calls('TerminateInstances')).to.have.length(0);
  });

  it('list counts nodes by state and type per cluster', async () => {
    expect(await t.run('cluster list')).to.equal(true);
    expect(t.out.take()).to.match(/no clusters in us-east-1/);
    await t.run('cluster up a -y --nodes 3');
    await t.run('cluster up b -y --nodes 1 --type t3.small');
    t.core.seed(R, [{ name: 'loose' }]);
    await t.run('stop -y worker0');
    t.out.take();
    expect(await t.run('cluster list')).to.equal(true);
    const lines = t.out.take().split('\n');
    const rowA = lines.find((l) => /^│ a\s+│/.test(l)) ?? '';
    const rowB = lines.find((l) => /^│ b\s+│/.test(l)) ?? '';
    expect(rowA).to.match(/│ 3\s+│ 2 pending, 1 stopping\s+│ t3\.micro×3/);
    expect(rowA).to.match(/t3\.micro×3/);
    expect(rowB).to.match(/\b1\b.*t3\.small×1/);
    expect(lines.some((l) => /loose/.test(l))).to.equal(false);
  });

  it('list shows states', async () => {
    await t.run('cluster up a -y --nodes 2 --wait');
    t.out.take();
    await t.run('cluster list');
    expect(t.out.take()).to.match(/2 running/);
  });

  for (const [what, content, pattern] of [
    ['not YAML', 'nodes: [', /not valid YAML\/JSON/],
    ['no nodes', 'name: x\n', /nodes must be a non-empty list/],
    ['a bad count', 'name: x\nnodes:\n  - { name: w, count: zero }\n', /nodes\[0\]\.count must be a whole number/],
    ['an unknown key', 'name: x\nnodes:\n  - { name: w }\nflavor: big\n', /unknown key 'flavor'/],
    ['duplicate node names', 'name: x\nnodes:\n  - { name: w0 }\n  - { name: w, count: 2 }\n', /two nodes would be named 'w0'/],
  ] as const) {
    it(`a spec with ${what} is one line with a hint`, async () => {
      const file = path.join(t.home, 'bad.yaml');
      fs.writeFileSync(file, content);
      expect(await t.run(`cluster up --spec ${file} -y`)).to.equal(false);
      const errors = errorLines(t.out.take());
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(pattern);
      expect(errors[0]).to.match(/ — .*\[DUST_USAGE\]$/);
      expect(calls('RunInstances')).to.have.length(0);
    });
  }

  it('a missing spec file is one line', async () => {
    expect(await t.run(`cluster up --spec ${path.join(t.home, 'nope.yaml')}`)).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/cannot read spec .* — give the path .*\[DUST_USAGE\]/);
  });

  it('unknown or missing subcommand: one usage line listing the subcommands', async () => {
    for (const line of ['cluster', 'cluster launch x']) {
      expect(await t.run(line)).to.equal(false);
      const errors = errorLines(t.out.take());
      expect(errors, line).to.have.length(1);
      expect(errors[0]).to.match(/up, down(,| or) list/);
      expect(errors[0]).to.match(/ — .*\[DUST_USAGE\]$/);
    }
  });

  it('bad arguments are usage errors before any EC2 call', async () => {
    for (const [line, pattern] of [
      ['cluster up', /which name/],
      ['cluster up x --nodes 0', /--nodes must be a whole number/],
      ['cluster up x --type huge', /'huge' is not an instance type/],
      ['cluster down', /which cluster/],
      ['cluster list --nodes 2', /--nodes only applies to cluster up/],
      ['cluster up "bad name"', /invalid cluster name/],
    ] as const) {
      expect(await t.run(line), line).to.equal(false);
      const errors = errorLines(t.out.take());
      expect(errors, line).to.have.length(1);
      expect(errors[0], line).to.match(pattern);
    }
    expect(t.core.requestLog).to.have.length(0);
  });
});
