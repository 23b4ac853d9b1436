/**
 * The `cluster` command over the EC2 provider, through the command runner: the real SDK against the emulator
 * (fake clock). Setup, submit and dashboard need SSH nodes and are tested on the demo (test/e2e/cluster-lifecycle).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { expect } from 'chai';
import { generateEd25519 } from '../../src/ssh/keygen.js';
import { ec2App, ScriptedPrompter, type Ec2TestApp } from './helpers.js';

describe('cluster command on EC2 (init, up, status, list, down)', () => {
  let t: Ec2TestApp;
  let prompter: ScriptedPrompter;
  let pub: string;
  const R = 'us-east-1';
  const calls = (action: string) => t.core.requestLog.filter((r) => r.action === action);
  const members = (cluster: string) => t.core.instances(R).filter((i) => i.tags['dust:cluster'] === cluster);
  const live = (cluster: string) => members(cluster).filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down');
  const errorLines = (text: string) => text.split('\n').filter((l) => l.startsWith('✖'));
  const writeSpec = (name: string, body: string): string => {
    const file = path.join(t.home, `${name}.yaml`);
    fs.writeFileSync(file, `name: ${name}\nkey: ${pub}\n${body}`);
    return file;
  };

  beforeEach(async () => {
    prompter = new ScriptedPrompter();
    t = await ec2App({ prompter });
    const key = generateEd25519('me@laptop');
    fs.writeFileSync(path.join(t.home, 'id_ed25519'), key.privateKey, { mode: 0o600 });
    pub = path.join(t.home, 'id_ed25519.pub');
    fs.writeFileSync(pub, `${key.publicKey}\n`);
  });
  afterEach(() => t.cleanup());

  it('init writes a commented spec that loads back; it never overwrites without --force', async () => {
    const file = path.join(t.home, 'spark1.yaml');
    expect(await t.run(`cluster init ${file}`)).to.equal(true);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).to.match(/^# yaml-language-server: \$schema=/);
    expect(text).to.match(/^name: spark1$/m).and.match(/^provider: ec2$/m).and.match(/placement: none/).and.match(/\(required\)/);
    expect(t.out.take()).to.match(/wrote .*spark1\.yaml \(ec2 cluster spark1/);
    expect(await t.run(`cluster init ${file}`)).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/already exists; nothing written — .*--force/);
    expect(await t.run(`cluster init ${file} --force --provider k8s`)).to.equal(true);
    expect(fs.readFileSync(file, 'utf8')).to.match(/^provider: k8s$/m).and.match(/namespace: default/);
    expect(await t.run(`cluster init ${path.join(t.home, 'Bad_Name.yaml')} --provider k8s`)).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/cannot name pods/);
    expect(t.core.requestLog).to.have.length(0);
  });

  it('up -f with spot and a cluster placement group: progress per step, login rule, state file; up again changes nothing', async () => {
    const file = writeSpec('spark1', 'head: { type: c6i.large }\nworkers: { count: 2, type: c6i.large }\nspot: { enabled: true, maxPrice: 0.5 }\nplacement: cluster\n');
    expect(await t.run(`cluster up -f ${file} -y`)).to.equal(true);
    const out = t.out.take();
    expect(errorLines(out)).to.deep.equal([]);
    expect(out).to.match(/spark1: key pair dust-spark1/).and.match(/spark1: security group dust-spark1/).and.match(/spark1: placement group dust-spark1/);
    expect(out).to.match(/login rule 'cluster=spark1' → user=ec2-user key=.*id_ed25519 /);
    expect(out).to.match(/│ head\s+│/); // the show at the end
    const nodes = live('spark1');
    expect(nodes.map((n) => n.tags['Name']).sort()).to.deep.equal(['head', 'worker0', 'worker1']);
    expect(nodes.every((n) => n.lifecycle === 'spot' && n.placementGroup === 'dust-spark1' && n.instanceType === 'c6i.large')).to.equal(true);
    const state = yaml.load(fs.readFileSync(path.join(t.home, 'clusters', 'spark1.yaml'), 'utf8')) as { provider: string };
    expect(state.provider).to.equal('ec2');
    expect((fs.statSync(path.join(t.home, 'clusters', 'spark1.yaml')).mode & 0o777).toString(8)).to.equal('600');
    const users = (await t.app.state.resolveTarget('cluster=spark1')).map((n) => n.user);
    expect(users).to.deep.equal(['ec2-user', 'ec2-user', 'ec2-user']);

    const before = t.core.requestLog.filter((r) => !r.action.startsWith('Describe')).length;
    expect(await t.run(`cluster up ${file} -y`)).to.equal(true);
    expect(t.out.take()).to.match(/already matches its spec: nothing changed/);
    expect(t.core.requestLog.filter((r) => !r.action.startsWith('Describe'))).to.have.length(before); // only looked
    expect(calls('RunInstances')).to.have.length(2);
  });

  it('asks first with the plan; declining creates nothing; in a script without -y it says to pass -y', async () => {
    const file = writeSpec('spark1', '');
    prompter.answers = [false];
    expect(await t.run(`cluster up -f ${file}`)).to.equal(true);
    expect(prompter.asked).to.deep.equal(['bring up cluster spark1?']);
    const out = t.out.take();
    expect(out).to.match(/cluster spark1 in EC2 \(us-east-1\): head t3\.micro \+ 2 workers t3\.micro \(on-demand\)/);
    expect(out).to.match(/cancelled: nothing was created/);
    expect(t.core.requestLog.filter((r) => !r.action.startsWith('Describe'))).to.have.length(0);
    expect(await t.run(`cluster up -f ${file}`)).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/pass -y/);
  });

  it('up NAME --nodes N starts from the defaults (the integration\'s key); up NAME again re-applies the recorded spec', async () => {
    const keyText = fs.readFileSync(pub);
    t.cleanup();
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-key-'));
    pub = path.join(keyDir, 'id_ed25519.pub');
    fs.writeFileSync(pub, keyText);
    t = await ec2App({ prompter, specDefaults: { key: pub } });
    expect(await t.run('cluster up web --nodes 2 -y'), t.out.text).to.equal(true);
    expect(live('web').map((n) => n.tags['Name']).sort()).to.deep.equal(['head', 'worker0']);
    t.out.take();
    expect(await t.run("cluster up web -y"), t.out.text).to.equal(true);
    expect(t.out.take()).to.match(/already matches its spec/);
    expect(calls('RunInstances')).to.have.length(2);
  });

  it('status: per node state, address, kind and setup; spot interruptions are drift that up repairs', async () => {
    const file = writeSpec('spark1', 'spot: { enabled: true }\n');
    await t.run(`cluster up -f ${file} -y`);
    t.clock.advance(10_000);
    t.out.take();
    expect(await t.run('cluster status spark1 --no-probe')).to.equal(true);
    let out = t.out.take();
    expect(out).to.match(/cluster spark1 on ec2 \(us-east-1\): head up/);
    expect(out).to.match(/│ head\s+│ head\s+│ running\s+│ [\d.]+\s+│ t3\.micro spot\s+│ \?\s+│ not run\s+│/);
    const worker1 = live('spark1').find((n) => n.tags['Name'] === 'worker1')!;
    t.core.interruptSpotInstances(R, [worker1.id]);
    t.clock.advance(10_000);
    t.app.state.invalidate();
    expect(await t.run('cluster status --no-probe')).to.equal(true); // the only cluster with a record here
    out = t.out.take();
    expect(out).to.match(/1 of 2 workers running \(worker1 terminated: Server\.SpotInstanceTermination\): `cluster up` replaces the 1 missing/);
    expect(await t.run('cluster up spark1 -y')).to.equal(true);
    expect(live('spark1').map((n) => n.tags['Name']).sort()).to.deep.equal(['head', 'worker0', 'worker1']);
  });

  it('list: running clusters with the head address first, then terminated ones; down removes exactly what up created', async () => {
    expect(await t.run('cluster list')).to.equal(true);
    expect(t.out.take()).to.match(/no clusters \(EC2 \(us-east-1\)\)/);
    await t.run(`cluster up -f ${writeSpec('a', 'placement: spread\n')} -y`);
    await t.run(`cluster up -f ${writeSpec('b', 'workers: { count: 0 }\n')} -y`);
    // Something dust did not create, in the same account: never touched.
    const sdk = await import('@aws-sdk/client-ec2');
    const client = await t.ec2.cloud.client(R);
    const foreign = await client.send(new sdk.CreateSecurityGroupCommand({ GroupName: 'theirs', Description: 'not dust' }));
    t.clock.advance(10_000);
    t.out.take();
    prompter.answers = [true];
    expect(await t.run('cluster down a')).to.equal(true);
    expect(prompter.asked[0]).to.match(/^remove cluster a \(3 nodes and what dust created for it, on EC2 \(us-east-1\)\)\?$/);
    const out = t.out.take();
    expect(out).to.match(/cluster a is gone: .*security group dust-a.*placement group dust-a|cluster a is gone: .*placement group dust-a.*security group dust-a/);
    expect(live('a')).to.have.length(0);
    expect(live('b')).to.have.length(1);
    const region = t.core.region(R);
    expect([...region.placementGroups.keys()]).to.not.include('dust-a');
    expect([...region.securityGroups.values()].map((g) => g.name)).to.include.members(['theirs', 'dust-b']).and.not.include('dust-a');
    expect(region.securityGroups.has(foreign.GroupId!)).to.equal(true);
    expect(fs.existsSync(path.join(t.home, 'clusters', 'a.yaml'))).to.equal(false);

    expect(await t.run('cluster list')).to.equal(true);
    const lines = t.out.take().split('\n');
    const rowA = lines.findIndex((l) => /^│ a\s+│/.test(l));
    const rowB = lines.findIndex((l) => /^│ b\s+│/.test(l));
    expect(rowB).to.be.greaterThan(-1).and.lessThan(rowA); // running before terminated
    expect(lines[rowB]).to.match(/│ running\s+│ ec2\s+│ us-east-1\s+│ [\d.]+ \(running\)\s+│ 1 running\s+│ here/);
    expect(lines[rowA]).to.match(/│ terminated\s+│ ec2 .*3 terminated/);

    // Gone is gone: again is one line, not an error.
    expect(await t.run('cluster down a -y')).to.equal(true);
    expect(t.out.take()).to.match(/cluster a: nothing left to remove/);
  });

  it('a failure halfway through up names the step and what exists; down then cleans up completely', async () => {
    t.core.faults.add({ action: 'RunInstances', error: 'InsufficientInstanceCapacity', times: Infinity });
    const file = writeSpec('half', 'placement: cluster\nhead: { type: c6i.large }\nworkers: { count: 1, type: c6i.large }\n');
    expect(await t.run(`cluster up -f ${file} -y`)).to.equal(false);
    const errors = errorLines(t.out.take());
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/cluster up half: launching the head: .*InsufficientInstanceCapacity.*created so far: key pair dust-half, security group dust-half .*placement group dust-half.*\[DUST_CLUSTER_PROVISION\]$/);
    t.core.faults.clear();
    expect(await t.run('cluster down half -y')).to.equal(true);
    const region = t.core.region(R);
    expect(region.keyPairs.has('dust-half')).to.equal(false);
    expect([...region.securityGroups.values()].some((g) => g.name === 'dust-half')).to.equal(false);
    expect(region.placementGroups.has('dust-half')).to.equal(false);
    expect(fs.existsSync(path.join(t.home, 'clusters', 'half.yaml'))).to.equal(false);
  });

  it('a bad spec is one line naming the file, the key path and what was expected; nothing is sent', async () => {
    for (const [body, pattern] of [
      ['workers: { count: three }\n', /bad\.yaml: workers\.count: expected number, got 'three'/],
      ['wokers: { count: 2 }\n', /bad\.yaml: \(top level\): unknown key 'wokers': did you mean 'workers'\?/],
      ['placement: cluster\n', /head\.type: a cluster placement group does not take burstable instance types/],
      ['workers: [\n', /bad\.yaml:\d+:\d+: /],
    ] as const) {
      const file = writeSpec('bad', body);
      expect(await t.run(`cluster up -f ${file} -y`), body).to.equal(false);
      const errors = errorLines(t.out.take());
      expect(errors, body).to.have.length(1);
      expect(errors[0], body).to.match(pattern);
    }
    expect(await t.run(`cluster up -f ${path.join(t.home, 'nope.yaml')} -y`)).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/cannot read .*nope\.yaml \(no such file\).*\[DUST_CLUSTER_SPEC_UNREADABLE\]/);
    expect(t.core.requestLog).to.have.length(0);
  });

  it('usage mistakes are one line each, before any call to EC2', async () => {
    for (const [line, pattern] of [
      ['cluster', /which subcommand\? init, up, status, list, submit, follow, dashboard, down/],
      ['cluster launch x', /unknown subcommand 'launch'/],
      ['cluster up', /which cluster\? give a spec file/],
      ['cluster up x --nodes 0 -y', /--nodes takes a whole number from 1 to 100/],
      ['cluster list --nodes 2', /cluster list: --nodes does not apply here/],
      ['cluster down', /which cluster/],
      ['cluster up "bad name"', /'bad name' is not a cluster name/],
      ['cluster status', /which cluster\?/],
      ['cluster submit x', /no command to run/],
      ['cluster submit x python a.py', /the command goes after --/],
      ['cluster init a.yaml --provider gce', /--provider gce is not a cluster provider/],
    ] as const) {
      expect(await t.run(line), line).to.equal(false);
      const errors = errorLines(t.out.take());
      expect(errors, line).to.have.length(1);
      expect(errors[0], line).to.match(pattern);
    }
    expect(t.core.requestLog).to.have.length(0);
  });

  it('a k8s spec without a Kubernetes integration, and a name nobody knows, are one line each', async () => {
    const file = path.join(t.home, 'pods.yaml');
    fs.writeFileSync(file, 'name: pods\nprovider: k8s\nimage: busybox\n');
    const k8s = t.app.state.clusterProviders().some((p) => p.kind === 'k8s');
    expect(await t.run(`cluster up -f ${file} -y`)).to.equal(k8s ? false : false);
    if (!k8s) expect(errorLines(t.out.take())[0]).to.match(/no integration provides 'k8s' clusters.*\[DUST_CLUSTER_PROVIDER\]/);
    else t.out.take();
    expect(await t.run('cluster status ghost')).to.equal(false);
    expect(errorLines(t.out.take())[0]).to.match(/no cluster named 'ghost'.*\[DUST_CLUSTER_NOT_FOUND\]/);
  });

  it('--json: one record per step and one for the result', async () => {
    const j = await ec2App({ json: true });
    try {
      fs.writeFileSync(path.join(j.home, 'k.pub'), fs.readFileSync(pub));
      fs.writeFileSync(path.join(j.home, 'j.yaml'), `name: j\nkey: ${path.join(j.home, 'k.pub')}\nworkers: { count: 1 }\n`);
      expect(await j.run(`cluster up -f ${path.join(j.home, 'j.yaml')} -y`)).to.equal(true);
      const records = j.records.take().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.some((r) => r['type'] === 'cluster-progress' && r['step'] === 'security-group')).to.equal(true);
      const result = records.find((r) => r['type'] === 'cluster-up')!;
      expect(result).to.include({ cluster: 'j', provider: 'ec2', location: 'us-east-1', ready: true });
      expect((result['head'] as { name: string }).name).to.equal('head');
      expect(await j.run('cluster list')).to.equal(true);
      const listed = j.records.take().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(listed).to.have.length(1);
      expect(listed[0]).to.include({ type: 'cluster', cluster: 'j', provider: 'ec2', fromSpec: true });
    } finally {
      j.cleanup();
    }
  });
});
