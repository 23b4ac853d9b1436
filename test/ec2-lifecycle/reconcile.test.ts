import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import {
  CreateSecurityGroupCommand, DescribeKeyPairsCommand, DescribeSecurityGroupsCommand, ImportKeyPairCommand, RunInstancesCommand,
  StopInstancesCommand, TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { clusterStatus, down, readClusterState, stateFile, up } from '../../src/ec2/lifecycle/index.js';
import { isDustError } from '../../src/errors/dust-error.js';
import { ErrorCodes } from '../../src/errors/codes.js';
import { lifecycleFixture, type LifecycleFixture, READ_ONLY, REGION } from './fixture.js';

async function failure(promise: Promise<unknown>): Promise<Error & { code: string; hint?: string }> {
  try {
    await promise;
  } catch (err) {
    expect(isDustError(err), String(err)).to.equal(true);
    expect((err as Error).message).to.not.contain('\n');
    return err as Error & { code: string; hint?: string };
  }
  throw new Error('expected a DustError');
}

const nodes = (f: LifecycleFixture) => f.core.instances(REGION).filter((i) => i.tags['dust:cluster'] === 'spark1');

describe('ec2 lifecycle: reconciling, drift, conflicts and partial state', function () {
  this.timeout(60_000);
  let f: LifecycleFixture;
  beforeEach(() => {
    f = lifecycleFixture();
  });
  afterEach(() => f.cleanup());

  it('a spot interruption shows as drift in status; up replaces the worker under the same name', async () => {
    const spec = f.spec({ workers: { count: 2, type: 'm6i.large' }, head: { type: 'm6i.large' }, spot: { enabled: true } });
    await up(spec, f.deps);
    f.clock.advance(5000);
    const healthy = await clusterStatus('spark1', f.deps);
    expect(healthy).to.deep.include({ ready: true, runningWorkers: 2, drift: [] });
    expect(healthy.head?.lifecycle).to.equal('spot');

    const worker1 = nodes(f).find((n) => n.tags['Name'] === 'worker1');
    expect(f.core.interruptSpotInstances(REGION, [worker1?.id as string])).to.deep.equal([worker1?.id]);
    f.clock.advance(5000);
    const hurt = await clusterStatus('spark1', f.deps);
    expect(hurt.ready).to.equal(true);
    expect(hurt.runningWorkers).to.equal(1);
    expect(hurt.drift).to.deep.equal(['1 of 2 workers running (worker1 terminated: Server.SpotInstanceTermination): `cluster up` replaces the 1 missing']);
    expect(hurt.workers.map((w) => [w.name, w.state, w.stateReason?.code])).to.deep.equal([
      ['worker0', 'running', undefined], ['worker1', 'terminated', 'Server.SpotInstanceTermination'],
    ]);

    const fixed = await up(spec, f.deps);
    expect(fixed.changes.join('\n')).to.match(/launched 1 worker \(m6i\.large, spot\): worker1 i-/);
    expect(fixed.workers.map((w) => w.name)).to.deep.equal(['worker0', 'worker1']);
    f.clock.advance(5000);
    expect((await clusterStatus('spark1', f.deps)).drift).to.deep.equal([]);
    // Three launches recorded, each with its own ClientToken.
    const tokens = readClusterState(f.home, 'spark1')?.launches.map((l) => l.token);
    expect(new Set(tokens).size).to.equal(3);
  });

  it('a head taken back while up waits for it is an error with EC2\'s reason; up again launches a new head', async () => {
    const spec = f.spec({ spot: { enabled: true }, workers: { count: 0 } });
    f.deps.onProgress = (e) => {
      if (e.step === 'wait-head' && e.phase === 'wait') f.core.interruptSpotInstances(REGION);
    };
    const err = await failure(up(spec, f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterNotReady);
    expect(err.message).to.match(/^cluster up spark1: waiting for the head: the head \(i-[0-9a-f]+\) is (shutting-down|terminated) \(Server\.SpotInstanceTermination: Spot instance termination\); created so far: /);
    expect(err.hint).to.contain('EC2 took the spot capacity back');
    f.deps.onProgress = () => undefined;
    const again = await up(spec, f.deps);
    expect(again.head.state).to.equal('running');
    expect(nodes(f).filter((n) => n.tags['Name'] === 'head').map((n) => n.state).sort()).to.deep.equal(['running', 'terminated']);
  });

  it('stopped nodes are started by up, which waits for the head again', async () => {
    await up(f.spec({ workers: { count: 1 } }), f.deps);
    const ids = nodes(f).map((n) => n.id);
    await f.client.send(new StopInstancesCommand({ InstanceIds: ids }));
    f.clock.advance(5000);
    const status = await clusterStatus('spark1', f.deps);
    expect(status.ready).to.equal(false);
    expect(status.drift[0]).to.equal('the head is stopped: Client.UserInitiatedShutdown');
    const result = await up(f.spec({ workers: { count: 1 } }), f.deps);
    expect(result.changes).to.deep.equal(['started head, worker0']);
    expect(result.head.state).to.equal('running');
    expect(nodes(f)).to.have.length(2);
  });

  it('a launch dust recorded but whose answer it never wrote down is found by its ClientToken, not launched again', async () => {
    const spec = f.spec({ workers: { count: 2 } });
    await up(spec, f.deps);
    // Simulate a crash right after RunInstances: the state has the launch, without its instance ids.
    const file = stateFile(f.home, 'spark1');
    const state = yaml.load(fs.readFileSync(file, 'utf8')) as { launches: { role: string; instanceIds: string[] }[] };
    const workerLaunch = state.launches.find((l) => l.role === 'worker');
    const ids = workerLaunch?.instanceIds ?? [];
    if (workerLaunch) workerLaunch.instanceIds = [];
    fs.writeFileSync(file, yaml.dump(state), { mode: 0o600 });
    const mark = f.mark();
    const result = await up(spec, f.deps);
    expect(f.since(mark).filter((r) => r.action === 'RunInstances')).to.deep.equal([]);
    expect(result.workers.map((w) => w.instanceId)).to.deep.equal(ids);
    expect(readClusterState(f.home, 'spark1')?.launches.find((l) => l.role === 'worker')?.instanceIds).to.deep.equal(ids);
  });

  it('the ingress rules follow the spec: narrowing ssh revokes the old rule, adding a port authorizes it', async () => {
    await up(f.spec(), f.deps);
    const result = await up(f.spec({ ingress: { ssh: ['198.51.100.0/24'], ports: [{ port: 8265, cidr: '198.51.100.0/24' }] } }), f.deps);
    expect(result.changes).to.deep.equal([
      'security group dust-spark1: 2 rules added (tcp 22 from 198.51.100.0/24, tcp 8265 from 198.51.100.0/24), 1 rule removed (tcp 22 from 0.0.0.0/0)',
    ]);
    const sg = (await f.client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['dust-spark1'] }))).SecurityGroups?.[0];
    const sources = (sg?.IpPermissions ?? []).flatMap((p) => [...(p.IpRanges ?? []).map((r) => `${p.FromPort} ${r.CidrIp}`), ...(p.UserIdGroupPairs ?? []).map(() => `all self`)]);
    expect(sources.sort()).to.deep.equal(['22 198.51.100.0/24', '8265 198.51.100.0/24', 'all self']);
  });

  it('refuses a name taken by a security group dust did not create; down then removes only what dust made', async () => {
    await f.client.send(new CreateSecurityGroupCommand({ GroupName: 'dust-spark1', Description: 'hand made' }));
    const err = await failure(up(f.spec(), f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterConflict);
    expect(err.message).to.match(/^cluster up spark1: security group: security group dust-spark1 \(sg-[0-9a-f]+\) already exists and dust did not create it; created so far: key pair dust-spark1$/);
    const gone = await down('spark1', f.deps);
    expect(gone.deleted).to.deep.equal(['key pair dust-spark1']);
    // The hand-made group is still there, untouched.
    expect((await f.client.send(new DescribeSecurityGroupsCommand({ GroupNames: ['dust-spark1'] }))).SecurityGroups?.[0]?.Description).to.equal('hand made');
  });

  it('refuses instances with the cluster tag that dust did not launch from a spec', async () => {
    const image = f.core.region(REGION).images[0]?.id as string;
    await f.client.send(new RunInstancesCommand({ ImageId: image, MinCount: 1, MaxCount: 1, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'dust:cluster', Value: 'spark1' }, { Key: 'Name', Value: 'master' }] }] }));
    const err = await failure(up(f.spec(), f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterConflict);
    expect(err.message).to.contain('cluster spark1 has 1 instance dust did not launch from a spec (master)');
  });

  it('a key pair imported by hand with the same key is used, and kept by down', async () => {
    await f.client.send(new ImportKeyPairCommand({ KeyName: 'dust-spark1', PublicKeyMaterial: fs.readFileSync(f.keyFile) }));
    await up(f.spec({ workers: { count: 0 } }), f.deps);
    expect(readClusterState(f.home, 'spark1')?.keyPair?.created).to.equal(false);
    const gone = await down('spark1', f.deps);
    expect(gone.kept).to.deep.equal(['key pair dust-spark1 (dust did not create it)']);
    expect((await f.client.send(new DescribeKeyPairsCommand({}))).KeyPairs?.map((k) => k.KeyName)).to.deep.equal(['dust-spark1']);
  });

  it('a key pair of the same name with another key is a conflict naming both fingerprints', async () => {
    const other = path.join(f.home, 'other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    await f.client.send(new ImportKeyPairCommand({ KeyName: 'dust-spark1', PublicKeyMaterial: fs.readFileSync(`${other}.pub`) }));
    const err = await failure(up(f.spec(), f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterConflict);
    expect(err.message).to.match(/key pair dust-spark1 already exists in us-east-1 with another key \(\S+; .* is \S+\); nothing was created$/);
    expect(fs.existsSync(stateFile(f.home, 'spark1'))).to.equal(false);
  });

  it('keys: a private key, an ecdsa key, a missing file are refused before anything is sent', async () => {
    const priv = path.join(f.home, 'id_ecdsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', priv]);
    const mark = f.mark();
    for (const [key, text] of [
      [priv, 'this is a private key; dust only uploads public keys'],
      [`${priv}.pub`, 'EC2 does not import ecdsa-sha2-nistp256 keys (only rsa and ed25519)'],
      [path.join(f.home, 'nope.pub'), 'no such file'],
    ] as const) {
      const err = await failure(up(f.spec({ key }), f.deps));
      expect(err.code).to.equal(ErrorCodes.ClusterKey);
      expect(err.message).to.equal(`cluster up spark1: key pair: cluster key ${key}: ${text}; nothing was created`);
    }
    expect(f.since(mark)).to.deep.equal([]);
    expect(fs.existsSync(stateFile(f.home, 'spark1'))).to.equal(false);
  });

  it('down without a state file finds dust\'s resources by their tags', async () => {
    await up(f.spec({ placement: 'spread', workers: { count: 1 } }), f.deps);
    fs.rmSync(stateFile(f.home, 'spark1'));
    const status = await clusterStatus('spark1', f.deps);
    expect(status.drift[0]).to.match(/^no state file/);
    const gone = await down('spark1', f.deps);
    expect(gone.terminated).to.have.length(2);
    expect(gone.deleted.map((d) => d.split(' (')[0])).to.deep.equal(['placement group dust-spark1', 'security group dust-spark1', 'key pair dust-spark1']);
  });

  it('down stops at a security group someone else still uses, names the user, keeps the state; the next down finishes', async () => {
    await up(f.spec({ workers: { count: 0 } }), f.deps);
    const sgId = readClusterState(f.home, 'spark1')?.securityGroup?.id as string;
    const image = f.core.region(REGION).images[0]?.id as string;
    const outsider = (await f.client.send(new RunInstancesCommand({
      ImageId: image, MinCount: 1, MaxCount: 1, SecurityGroupIds: [sgId], TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'borrower' }] }],
    }))).Instances?.[0]?.InstanceId as string;
    f.deps.dependencyRetries = 2;
    const err = await failure(down('spark1', f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterTeardown);
    expect(err.message).to.equal(`cluster down spark1: delete security group: security group dust-spark1 (${sgId}) is still in use by borrower ${outsider}; done so far: terminated head ${nodes(f).find((n) => n.tags['Name'] === 'head')?.id}`);
    const left = readClusterState(f.home, 'spark1');
    expect(left?.securityGroup?.id).to.equal(sgId);
    expect(left?.launches).to.deep.equal([]);
    // The outsider was not touched.
    expect(f.core.instances(REGION).find((i) => i.id === outsider)?.state).to.not.equal('shutting-down');

    await f.client.send(new TerminateInstancesCommand({ InstanceIds: [outsider] }));
    f.clock.advance(5000);
    const gone = await down('spark1', f.deps);
    expect(gone.deleted).to.deep.equal([`security group dust-spark1 (${sgId})`, 'key pair dust-spark1']);
    expect(readClusterState(f.home, 'spark1')).to.equal(undefined);
  });

  it('Graviton types get the arm64 default image; an image of the wrong architecture is refused before launching', async () => {
    const result = await up(f.spec({ head: { type: 'm7g.large' }, workers: { count: 1, type: 'c6i.large' } }), f.deps);
    const images = f.core.region(REGION).images;
    const byId = (id: string) => images.find((i) => i.id === id);
    const runs = f.core.requestLog.filter((r) => r.action === 'RunInstances').map((r) => byId(r.params['ImageId'] as string)?.architecture);
    expect(runs).to.deep.equal(['arm64', 'x86_64']);
    expect(result.head.instanceType).to.equal('m7g.large');
    await down('spark1', f.deps);

    const arm = images.find((i) => i.architecture === 'arm64')?.id as string;
    const mark = f.mark();
    const err = await failure(up(f.spec({ image: arm }), f.deps));
    expect(err.code).to.equal(ErrorCodes.ClusterSpecInvalid);
    expect(err.message).to.contain(`image ${arm} is arm64, and t3.micro runs x86_64`);
    expect(f.since(mark).filter((r) => r.action === 'RunInstances')).to.deep.equal([]);
  });

  it('a second up with the same spec after down starts a new generation (old ClientTokens do not answer)', async () => {
    const spec = f.spec({ workers: { count: 1 } });
    const first = await up(spec, f.deps);
    await down('spark1', f.deps);
    const mark = f.mark();
    const second = await up(spec, f.deps);
    expect(second.head.instanceId).to.not.equal(first.head.instanceId);
    expect(f.since(mark).filter((r) => !READ_ONLY.test(r.action)).map((r) => r.action)).to.include.members(['ImportKeyPair', 'CreateSecurityGroup', 'RunInstances']);
  });

  it('status says when running nodes are of another type than the spec now asks; up does not replace them', async () => {
    await up(f.spec({ workers: { count: 1 } }), f.deps);
    const bigger = f.spec({ workers: { count: 1, type: 'c6i.large' } });
    const result = await up(bigger, f.deps);
    expect(result.changes).to.deep.equal([]);
    const status = await clusterStatus('spark1', f.deps);
    expect(status.drift).to.deep.equal(['worker0 is t3.micro, the spec asks for c6i.large: terminate it and `cluster up` to replace']);
  });

  it('the result says how to log in: the spec\'s user and the private key next to the public one', async () => {
    const withoutPrivate = await up(f.spec({ workers: { count: 0 }, user: 'ubuntu' }), f.deps);
    expect(withoutPrivate.login).to.deep.equal({ user: 'ubuntu', identityFile: undefined });
    fs.writeFileSync(f.keyFile.replace(/\.pub$/, ''), 'not read, only located', { mode: 0o600 });
    const withPrivate = await up(f.spec({ workers: { count: 0 }, user: 'ubuntu' }), f.deps);
    expect(withPrivate.login).to.deep.equal({ user: 'ubuntu', identityFile: f.keyFile.replace(/\.pub$/, '') });
  });
});
