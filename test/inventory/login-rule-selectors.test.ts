import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { seedDemoFleet } from '../../src/ec2/demo-fleet.js';
import { applyLoginRules } from '../../src/inventory/inventory.js';
import type { NodeDraft } from '../../src/inventory/provider.js';
import { runDust } from '../helpers/run-dust.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { ec2App, namesOf, type Ec2TestApp } from '../ec2/helpers.js';

const draft = (name: string, props: NodeDraft['props'] = {}): NodeDraft => ({
  name, source: 'static', cluster: undefined, state: 'running', host: `${name}.test`, port: 22, user: undefined,
  identityFile: undefined, proxyJump: undefined, tags: {}, annotations: {}, props,
});

describe('inventory: login rule selectors', () => {
  it('a property some (or all) nodes lack does not match them, and is no error', () => {
    const failures: string[] = [];
    const onRuleFailure = (m: string) => failures.push(m);
    const nodes = [draft('n1'), draft('n2', { rack: 'r12' }), draft('n3', { rack: 'r2' })];
    const out = applyLoginRules(nodes, [{ selector: 'rack=r1*', user: 'racked' }, { selector: '*', user: 'other' }], { onRuleFailure });
    expect(out.map((n) => `${n.name}:${n.user ?? ''}`)).to.deep.equal(['n1:other', 'n2:racked', 'n3:other']);
    const none = applyLoginRules([draft('n1')], [{ selector: 'id=i-0abc', user: 'x' }], { onRuleFailure });
    expect(none.map((n) => n.user)).to.deep.equal([undefined]);
    expect(failures).to.deep.equal([]);
  });

  it('a rule that cannot be used is skipped and reported by number, origin and selector; the rest apply', () => {
    const failures: string[] = [];
    const out = applyLoginRules([draft('n1'), draft('n2')], [
      { selector: 'n[1-', user: 'broken' },
      { selector: 'file:/nonexistent/dust-hosts', user: 'gone' },
      { selector: 'n1', user: 'fine' },
    ], {
      origins: ['first[0] in /h/logins.yaml', 'logins[0] in /h/config.yaml', 'logins[1] in /h/config.yaml'],
      onRuleFailure: (m, e) => failures.push(`${m}: ${(e as Error).message}`),
    });
    expect(out.map((n) => n.user)).to.deep.equal(['fine', undefined]);
    expect(failures).to.deep.equal([
      "login rule 1 (first[0] in /h/logins.yaml) 'n[1-' is skipped: target: unclosed '[' at column 2 in 'n[1-'",
      "login rule 2 (logins[0] in /h/config.yaml) 'file:/nonexistent/dust-hosts' is skipped: file:/nonexistent/dust-hosts: cannot read host list /nonexistent/dust-hosts: no such file",
    ]);
  });

  describe('on EC2: the demo\'s per-instance rules (`id=i-…`) in a region without those instances', () => {
    let t: Ec2TestApp;
    beforeEach(async () => {
      t = await ec2App({ emulator: { regions: ['us-east-1', 'eu-west-1'] } });
      const ids = seedDemoFleet(t.core);
      t.app.state.inventory.setRules([...ids.values()].map((id) => ({ selector: `id=${id}`, user: 'demo' })));
    });
    afterEach(() => t.cleanup());

    it('use eu-west-1 then use us-east-1 both work, and the rules apply again at home', async () => {
      expect(await t.run('use eu-west-1')).to.equal(true);
      await t.run('show'); // no instances there: says so, and no rule error
      expect(t.out.take()).to.not.match(/unknown property|✖/);
      expect(await t.run('use us-east-1')).to.equal(true);
      expect(t.out.take()).to.not.match(/unknown property|✖/);
      expect(await namesOf(t, 'user=demo')).to.have.lengthOf(6);
    });
  });

  describe('through the CLI', function () {
    this.timeout(30000);
    let tmp: ReturnType<typeof makeTempHome>;
    afterEach(() => tmp.cleanup());

    it('show n1 works when a rule names a property n1 lacks', () => {
      tmp = makeTempHome([
        'nodes:',
        '  - { name: n1, host: 127.0.0.1 }',
        '  - { name: n2, host: 127.0.0.2, props: { rack: r1a } }',
        'logins:',
        "  - { selector: 'rack=r1*', user: racked }",
        "  - { selector: 'nothere=x', user: never }",
      ].join('\n'));
      const r = runDust(['--config', tmp.configFile, '--json', '-c', 'show n1', '-c', 'show user=racked'], { home: tmp.home });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.not.match(/unknown property/);
      const names = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { name: string }).name);
      expect(names).to.deep.equal(['n1', 'n2']);
    });

    it('a selector that does not parse is refused at start, naming the file and the rule', () => {
      tmp = makeTempHome('nodes:\n  - { name: n1, host: 127.0.0.1 }\nlogins:\n  - { selector: n1, user: a }\n  - { selector: "n[1-", user: b }\n');
      const r = runDust(['--config', tmp.configFile, '-c', 'show'], { home: tmp.home });
      expect(r.code).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.lengthOf(1);
      expect(r.stderr).to.include(`config: ${tmp.configFile}: logins[1].selector: target: unclosed '[' at column 2 in 'n[1-'`);
    });

    it('a rule whose host list cannot be read is skipped with one warning naming it; commands still run', () => {
      tmp = makeTempHome();
      const hosts = path.join(tmp.home, 'gpu-hosts');
      fs.writeFileSync(tmp.configFile, [
        'nodes:',
        '  - { name: n1, host: 127.0.0.1 }',
        '  - { name: n2, host: 127.0.0.2 }',
        'logins:',
        `  - { selector: 'file:${hosts}', user: gpu }`,
        "  - { selector: 'n2', user: second }",
      ].join('\n'));
      const r = runDust(['--config', tmp.configFile, '--json', '-c', 'show'], { home: tmp.home });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include(`login rule 1 (logins[0] in ${tmp.configFile}) 'file:${hosts}' is skipped: file:${hosts}: cannot read host list ${hosts}: no such file`);
      const users = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; user: string | null });
      expect(users.map((u) => `${u.name}:${u.user ?? ''}`)).to.deep.equal(['n1:', 'n2:second']);

      fs.writeFileSync(hosts, '# the GPU boxes\nn1\n');
      const again = runDust(['--config', tmp.configFile, '--json', '-c', 'show user=gpu'], { home: tmp.home });
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.include('"name":"n1"');
    });
  });
});
