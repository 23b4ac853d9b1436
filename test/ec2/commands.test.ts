import { expect } from 'chai';
import { NoTerminalPrompter } from '../../src/shell/prompter.js';
import { ec2App, namesOf, ScriptedPrompter, type Ec2TestApp } from './helpers.js';

const FLEET = [
  { name: 'master', tags: { 'dust:cluster': 'slurm1' } },
  { name: 'worker1', tags: { 'dust:cluster': 'slurm1' } },
  { name: 'worker2', tags: { 'dust:cluster': 'slurm1' }, state: 'stopped' as const },
  { name: 'worker3', tags: { 'dust:cluster': 'slurm1' }, state: 'terminated' as const },
];

describe('ec2: start/stop/reboot/terminate through the command runner', () => {
  let t: Ec2TestApp;
  let prompter: ScriptedPrompter;
  let ids: Map<string, string>;
  const stateOf = (name: string) => t.core.instances('us-east-1').find((i) => i.tags['Name'] === name)?.state;
  const calls = (action: string) => t.core.requestLog.filter((r) => r.action === action);

  beforeEach(async () => {
    prompter = new ScriptedPrompter();
    t = await ec2App({ prompter, config: { nodes: [{ name: 'static1', host: '127.0.0.1' }] } });
    const seeded = t.core.seed('us-east-1', FLEET);
    ids = new Map(FLEET.map((f, i) => [f.name, seeded[i]!]));
  });
  afterEach(() => t.cleanup());

  it('stop -y stops, prints the transition and refreshes the inventory', async () => {
    expect(await t.run('stop -y worker1')).to.equal(true);
    expect(stateOf('worker1')).to.equal('stopping');
    expect(calls('StopInstances')).to.have.length(1);
    expect(calls('StopInstances')[0]!.params['InstanceId.1']).to.equal(ids.get('worker1'));
    expect(t.out.take()).to.match(/worker1: running → stopping/);
    expect(prompter.asked).to.deep.equal([]);
    expect(await namesOf(t, 'state=stopping')).to.deep.equal(['worker1']);
  });

  it('names no-ops and skips terminated and non-EC2 nodes, in one API call for the rest', async () => {
    expect(await t.run('stop -y worker*,static1,master')).to.equal(true);
    const out = t.out.take();
    expect(out).to.match(/nothing to do \(already stopped\): worker2/);
    expect(out).to.match(/skipped \(terminated\): worker3/);
    expect(out).to.match(/not EC2 instances, skipped: static1/);
    expect(calls('StopInstances')).to.have.length(1);
    expect(calls('StopInstances')[0]!.params).to.include({ 'InstanceId.1': ids.get('master'), 'InstanceId.2': ids.get('worker1') });
  });

  it('only no-ops: nothing is sent', async () => {
    expect(await t.run('start -y worker1')).to.equal(true);
    expect(t.out.take()).to.match(/nothing to do \(already running\): worker1/);
    expect(calls('StartInstances')).to.have.length(0);
  });

  it('asks for confirmation without -y; no means nothing changes', async () => {
    prompter.answers = [false];
    expect(await t.run('stop master')).to.equal(true);
    expect(prompter.asked).to.deep.equal(['stop 1 instance?']);
    expect(t.out.take()).to.match(/cancelled/);
    expect(stateOf('master')).to.equal('running');
    prompter.answers = [true];
    expect(await t.run('stop master')).to.equal(true);
    expect(stateOf('master')).to.equal('stopping');
  });

  it('a bare * always asks, even with -y; a script cannot answer', async () => {
    prompter.answers = [false];
    await t.run('stop -y *');
    expect(prompter.asked).to.deep.equal(['stop 2 instances (every node: *)?']);
    expect(calls('StopInstances')).to.have.length(0);

    const s = await ec2App({ prompter: new NoTerminalPrompter() });
    try {
      s.core.seed('us-east-1', [{ name: 'a' }]);
      expect(await s.run('terminate -y *')).to.equal(false);
      const errors = s.out.take().split('\n').filter((l) => l.startsWith('✖'));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/terminate \*: acting on every node always asks.*\[DUST_USAGE\]/);
      expect(await s.run('terminate a')).to.equal(false);
      expect(s.out.take()).to.match(/pass -y to confirm in scripts/);
      expect(s.core.instances('us-east-1')[0]!.state).to.equal('running');
      // start is not destructive: -y is enough even for *
      expect(await s.run('stop -y a')).to.equal(true);
      s.clock.advance(10_000);
      s.app.state.invalidate();
      expect(await s.run('start -y *')).to.equal(true);
      expect(s.core.instances('us-east-1')[0]!.state).to.equal('pending');
    } finally {
      s.cleanup();
    }
  });

  it('--wait polls until the final state, with the emulator clock moving', async () => {
    expect(await t.run('stop -y --wait worker1,master')).to.equal(true);
    expect(stateOf('worker1')).to.equal('stopped');
    expect(t.out.take()).to.match(/2 instances stopped: master,worker1|2 instances stopped: /);
    expect(calls('DescribeInstances').some((r) => r.params['InstanceId.1'] !== undefined)).to.equal(true);
    expect(await t.run('start -y --wait worker1')).to.equal(true);
    expect(stateOf('worker1')).to.equal('running');
    expect(await namesOf(t, 'state=running')).to.deep.equal(['worker1', 'static1']);
  });

  it('Ctrl-C stops the waiting, not the action', async () => {
    const s = await ec2App({ sleep: async () => { s.app.runner.interrupt(); return false; } });
    try {
      s.core.seed('us-east-1', [{ name: 'a' }]);
      expect(await s.run('stop -y --wait a')).to.equal(true);
      expect(s.out.take()).to.match(/stopped waiting \(the stop carries on in EC2\): a stopping/);
      expect(s.core.instances('us-east-1')[0]!.state).to.equal('stopping');
    } finally {
      s.cleanup();
    }
  });

  it('start brings stopped instances back; terminated ones are skipped', async () => {
    expect(await t.run('start -y worker2,worker3')).to.equal(true);
    const out = t.out.take();
    expect(out).to.match(/worker2: stopped → pending/);
    expect(out).to.match(/skipped \(terminated\): worker3/);
  });

  it('reboot acts on running instances only', async () => {
    expect(await t.run('reboot -y master,worker2')).to.equal(true);
    expect(calls('RebootInstances')[0]!.params).to.deep.include({ 'InstanceId.1': ids.get('master') });
    expect(t.out.take()).to.match(/skipped \(not running \(stopped\)\): worker2/);
  });

  it('terminate --wait ends terminated; already terminated ones are no-ops', async () => {
    expect(await t.run('terminate -y --wait worker2,worker3')).to.equal(true);
    expect(stateOf('worker2')).to.equal('terminated');
    const out = t.out.take();
    expect(out).to.match(/nothing to do \(already terminated\): worker3/);
    expect(out).to.match(/worker2: stopped → shutting-down/);
    // Name tags are left alone.
    expect(t.core.instances('us-east-1').find((i) => i.id === ids.get('worker2'))!.tags['Name']).to.equal('worker2');
  });

  it('a target is required', async () => {
    expect(await t.run('stop -y')).to.equal(false);
    expect(t.out.take()).to.match(/stop: a target is required.*\[DUST_USAGE\]/);
  });

  it('tag and untag in one call each; aws: keys are refused', async () => {
    expect(await t.run('tag master,worker1 env=dev,owner=alice')).to.equal(true);
    expect(calls('CreateTags')).to.have.length(1);
    expect(await namesOf(t, 'tags=env:dev')).to.deep.equal(['master', 'worker1']);
    expect(await t.run('tag worker1 note=a=b empty')).to.equal(true);
    const w1 = () => t.core.instances('us-east-1').find((i) => i.id === ids.get('worker1'))!.tags;
    expect(w1()).to.include({ note: 'a=b', empty: '' });

    expect(await t.run('untag master,worker1 owner=bob')).to.equal(true);
    expect(await namesOf(t, 'tags=owner:alice')).to.deep.equal(['master', 'worker1']);
    expect(await t.run('untag worker1 owner,env')).to.equal(true);
    expect(w1()).to.not.have.any.keys('owner', 'env');
    expect(await namesOf(t, 'tags=owner:alice')).to.deep.equal(['master']);

    t.out.take();
    expect(await t.run('tag master AWS:cloudformation:x=1')).to.equal(false);
    expect(t.out.take()).to.match(/reserved by AWS.*\[DUST_USAGE\]/);
    expect(await t.run('tag master')).to.equal(false);
    expect(t.out.take()).to.match(/no tags given/);
  });

  it('refresh re-reads EC2 and shows', async () => {
    expect(await namesOf(t, 'newbie')).to.deep.equal([]);
    t.core.seed('us-east-1', [{ name: 'newbie' }]);
    expect(await namesOf(t, 'newbie')).to.deep.equal([]);
    t.out.take();
    expect(await t.run('refresh')).to.equal(true);
    expect(t.out.take()).to.match(/newbie/);
    expect(await namesOf(t, 'newbie')).to.deep.equal(['newbie']);
  });
});

describe('ec2: tag and untag under --json', () => {
  it('give one record per instance, with the tags set or removed; nothing else on stdout', async () => {
    const t = await ec2App({ json: true, config: { nodes: [{ name: 'static1', host: '127.0.0.1' }] } });
    try {
      const [a, b] = t.core.seed('us-east-1', [{ name: 'alpha' }, { name: 'beta' }]);
      expect(await t.run('tag alpha,beta,static1 env=dev,empty')).to.equal(true);
      expect(await t.run('untag beta env,owner=alice')).to.equal(true);
      const records = t.records.take().trim().split('\n').map((l) => JSON.parse(l) as unknown);
      expect(records).to.deep.equal([
        { type: 'tags', action: 'tag', node: 'alpha', instanceId: a, tags: { env: 'dev', empty: '' } },
        { type: 'tags', action: 'tag', node: 'beta', instanceId: b, tags: { env: 'dev', empty: '' } },
        { type: 'tags', action: 'untag', node: 'beta', instanceId: b, tags: { env: null, owner: 'alice' } },
      ]);
      expect(t.out.take()).to.include('not EC2 instances, skipped: static1').and.include('tagged 2 instances');
    } finally {
      t.cleanup();
    }
  });
});
