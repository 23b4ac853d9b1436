import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { LoginRulesStore, effectiveRules } from '../../src/inventory/login-rules-store.js';
import { ec2App, ScriptedPrompter, type Ec2TestApp } from './helpers.js';

describe('ec2: assign writes login rules that apply at once', () => {
  let t: Ec2TestApp;
  let keyFile: string;
  const node = async (name: string) => (await t.app.state.nodes()).find((n) => n.name === name)!;

  beforeEach(async () => {
    t = await ec2App({ config: { logins: [{ selector: '*', user: 'root' }] } });
    t.core.seed('us-east-1', [{ name: 'worker1' }, { name: 'worker2' }, { name: 'web1' }]);
    keyFile = path.join(t.home, 'id_test');
    fs.writeFileSync(keyFile, 'not really a key\n', { mode: 0o600 });
  });
  afterEach(() => t.cleanup());

  it('with flags: persisted 0600 in $DUST_HOME/logins.yaml, effective without refresh', async () => {
    expect((await node('worker1')).user).to.equal('root');
    expect(await t.run(`assign worker* --user ubuntu --key ${keyFile} --cluster hpc --port 2222`)).to.equal(true);
    expect(t.out.take()).to.match(/'worker\*' matches 2 nodes: worker\[1-2\][\s\S]*login rule 'worker\*' → user=ubuntu/);
    const w1 = await node('worker1');
    expect(w1).to.include({ user: 'ubuntu', cluster: 'hpc', port: 2222, identityFile: keyFile });
    expect((await node('web1')).user).to.equal('root');
    const file = path.join(t.home, 'logins.yaml');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const reread = await LoginRulesStore.open(t.home);
    expect(reread.firstRules).to.deep.equal([{ selector: 'worker*', user: 'ubuntu', identityFile: keyFile, cluster: 'hpc', port: 2222 }]);
    expect(await t.app.state.clusters()).to.include('hpc');
  });

  it('precedence: --first beats the config, --last comes after it', async () => {
    expect(await t.run('assign web1 --user alice --last')).to.equal(true);
    expect((await node('web1')).user).to.equal('root');
    expect(await t.run('assign web1 --user bob')).to.equal(true);
    expect((await node('web1')).user).to.equal('bob');
    expect(effectiveRules([{ selector: '*', user: 'root' }], t.store).map((r) => r.user)).to.deep.equal(['bob', 'root', 'alice']);
    // The same selector again replaces the earlier rule of that precedence.
    expect(await t.run('assign web1 --user carol --first')).to.equal(true);
    expect(t.store.firstRules.map((r) => r.user)).to.deep.equal(['carol']);
  });

  it('refuses a missing key file, a selector matching nothing and a malformed one', async () => {
    expect(await t.run(`assign worker1 --key ${keyFile}.nope`)).to.equal(false);
    expect(t.out.take()).to.match(/--key: cannot read .*id_test\.nope.*\[DUST_USAGE\]/);
    expect(await t.run('assign nothing* --user x')).to.equal(false);
    expect(t.out.take()).to.match(/matches no node now.*\[DUST_TARGET_NO_MATCH\]/);
    expect(await t.run('assign "worker[1-" --user x')).to.equal(false);
    expect(t.out.take()).to.match(/\[DUST_TARGET_SYNTAX\]/);
    expect(await t.run('assign worker1')).to.equal(false);
    expect(t.out.take()).to.match(/nothing to assign.*\[DUST_USAGE\]/);
    expect(t.store.firstRules).to.deep.equal([]);
  });

  it('asks on a terminal when no flags are given, re-asking for a key that does not exist', async () => {
    const prompter = new ScriptedPrompter(['deploy', '/does/not/exist', keyFile, 'web', 'l']);
    const s = await ec2App({ prompter, tty: true });
    try {
      s.core.seed('us-east-1', [{ name: 'web1' }]);
      expect(await s.run('assign web1')).to.equal(true);
      expect(prompter.asked.some((q) => q.startsWith('(rejected: cannot read /does/not/exist'))).to.equal(true);
      expect(s.store.lastRules).to.deep.equal([{ selector: 'web1', user: 'deploy', identityFile: keyFile, cluster: 'web' }]);
      const n = (await s.app.state.nodes()).find((x) => x.name === 'web1')!;
      expect(n).to.include({ user: 'deploy', cluster: 'web' });
    } finally {
      s.cleanup();
    }
  });

  it('a broken logins.yaml is a clear error, and assign does not overwrite it', async () => {
    const file = path.join(t.home, 'logins.yaml');
    fs.writeFileSync(file, 'first:\n  - user: x\n');
    const store = await LoginRulesStore.open(t.home);
    expect(store.problem?.message).to.match(/logins\.yaml: first\.0\.selector/);
    // Broken by hand while the shell was open: assign refuses rather than replace it.
    expect(await t.run('assign web1 --user bob')).to.equal(false);
    expect(t.out.take()).to.match(/logins\.yaml: first\.0\.selector.*not overwriting it.*\[DUST_STATE_WRITE\]/);
    expect(fs.readFileSync(file, 'utf8')).to.equal('first:\n  - user: x\n');
  });
});
