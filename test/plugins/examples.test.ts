import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { EC2Client, CreateSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { writeDustConfig } from '../e2e/dust-config-for-cluster.js';
import { createEc2RequestHandler, Ec2EmulatorCore } from '../../src/ec2/emulator/index.js';
import { buildApp, dustCli, EXAMPLES_DIR, eventually, installExample, type TestApp } from './helpers.js';

function annotations(home: string): Record<string, Record<string, string>> {
  const file = path.join(home, 'state', 'annotations.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, string>> : {};
}

/** The table row of one node: its cells, trimmed. */
function row(stdout: string, node: string): string[] {
  const line = stdout.split('\n').find((l) => new RegExp(`^│ ${node}\\s+│`).test(l));
  expect(line, `no row for ${node} in:\n${stdout}`).to.not.equal(undefined);
  return line!.split('│').slice(1, -1).map((c) => c.trim());
}

describe('plugins-examples', function () {
  this.timeout(120000);

  it('each example is one self-contained file that imports nothing from dust and says how to install it', () => {
    for (const file of ['uptime-report.mjs', 'openport.mjs', 'health.mjs']) {
      const text = fs.readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');
      expect(text.startsWith('/**'), file).to.equal(true);
      expect(text, file).to.include('~/.cluster/plugins');
      const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      for (const spec of imports) expect(spec, `${file} imports ${spec}`).to.match(/^node:/);
    }
  });

  describe('against the loopback sshd cluster', () => {
    let cluster: SshdCluster;
    let tmp: ReturnType<typeof makeTempHome>;
    let configFile: string;
    const dust = (...lines: string[]) => dustCli(['--config', configFile, ...lines.flatMap((l) => ['-c', l])], { home: tmp.home });

    before(async function () {
      requireSshd(this);
      cluster = await startSshdCluster({ count: 3 });
      tmp = makeTempHome();
      configFile = writeDustConfig(cluster, tmp.home, {
        extraNodes: [`{ name: gone, host: ${cluster.nodes[0]!.host}, port: 1, cluster: lab }`, '{ name: parked, host: 127.0.0.1, state: stopped, cluster: lab }'],
      });
      installExample(tmp.home, 'uptime-report.mjs');
      installExample(tmp.home, 'health.mjs');
    });

    after(async () => {
      await cluster?.down();
      tmp?.cleanup();
    });

    it('uptime-report: one table of load, uptime and users; unreachable and stopped nodes are rows too', () => {
      const r = dust('plugins', 'help uptime-report', 'uptime-report');
      expect(r.stdout).to.match(/uptime-report\s+│ uptime-report\s+│ .*uptime-report\.mjs/);
      expect(r.stdout).to.include('usage: uptime-report [target]');
      expect(r.code).to.equal(1); // one node unreachable
      const tables = r.stdout.split('┌').filter((t) => t.includes('load 1m'));
      expect(tables).to.have.length(1);
      const table = tables[0]!;
      for (const n of ['node0', 'node1', 'node2']) {
        const [, l1, l5, l15, up, users] = row(table, n);
        for (const load of [l1, l5, l15]) expect(load).to.match(/^\d+\.\d\d$/);
        expect(up).to.match(/^(\d+d )?(\d+h )?\d+m$/);
        expect(users).to.match(/^\d+$/);
      }
      expect(row(table, 'gone')[1]).to.equal('unreachable');
      expect(row(table, 'gone')[4]).to.match(/ECONNREFUSED/);
      expect(row(table, 'parked')[1]).to.equal('stopped');
    });

    it('uptime-report with a target asks only those nodes', () => {
      const r = dust('uptime-report node[1-2]');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/│ node1 /).and.match(/│ node2 /).and.not.match(/│ node0 /);
    });

    it('health --disk 0: every node fails disk, is annotated health=failing with reasons, and targets find them', () => {
      let r = dust('health node* --disk 0');
      expect(r.code).to.equal(1);
      for (const n of ['node0', 'node1', 'node2']) {
        const [, disk, mem, load, verdict] = row(r.stdout, n);
        expect(disk).to.match(/^✖ \d+% \//);
        expect(mem).to.match(/^✔ \d+%$/);
        expect(load).to.match(/^[✔✖] \d+\.\d\d\/core$/);
        expect(verdict).to.equal('✖ failing');
      }
      const ann = annotations(tmp.home);
      for (const n of ['node0', 'node1', 'node2']) {
        expect(ann[n]?.['health']).to.equal('failing');
        expect(ann[n]?.['health_reason']).to.match(/disk \d+% on \S+ \(limit 0%\)/);
      }
      r = dust('show annotation=health:failing');
      expect(r.stdout).to.match(/\bnode0\b/).and.match(/\bnode2\b/);

      // relaxed thresholds: healthy, annotations cleared
      r = dust('health node[0-1] --disk 100 --mem 100 --load 100000');
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(row(r.stdout, 'node0')[4]).to.equal('✔ healthy');
      const after = annotations(tmp.home);
      expect(after['node0']).to.equal(undefined);
      expect(after['node1']).to.equal(undefined);
      expect(after['node2']?.['health']).to.equal('failing');
      r = dust('@*!annotation=health echo ok-$DUST_TEST_NODE');
      expect(r.stdout).to.include('ok-node0').and.include('ok-node1').and.not.include('ok-node2');
    });

    it('health: an unreachable node is annotated health=unreachable; a bad threshold is one error line', () => {
      let r = dust('health gone');
      expect(r.code).to.equal(1);
      expect(row(r.stdout, 'gone')[4]).to.match(/^✖ unreachable/);
      expect(annotations(tmp.home)['gone']?.['health']).to.equal('unreachable');
      r = dust('health node0 --disk lots');
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.deep.equal(["✖ health: --disk takes a number, not 'lots' — usage: health [target] [--disk 90] [--mem 90] [--load 2.0] [DUST_USAGE]"]);
      r = dust('health node0 --disk=-5');
      expect(r.stderr.trim().split('\n')).to.deep.equal(['✖ health: --disk takes a number of 0 or more, not -5 (usage: health [target] [--disk 90] [--mem 90] [--load 2.0])']);
    });

    it('health subscribes to node:lost: a node whose sshd stops mid-session is annotated health=lost', async () => {
      let t: TestApp | undefined;
      try {
        t = await buildApp({ home: tmp.home, configFile });
        expect(await t.run('health node[0-1] --disk 100 --mem 100 --load 100000')).to.equal(true);
        await cluster.stopNode('node1');
        // The handler writes two annotations, one after the other.
        await eventually(() => annotations(tmp.home)['node1']?.['health'] === 'lost' && annotations(tmp.home)['node1']?.['health_reason'] !== undefined, 'health=lost on node1', 60000);
        expect(annotations(tmp.home)['node1']?.['health_reason']).to.be.a('string');
        expect(annotations(tmp.home)['node0']).to.equal(undefined);
        // the shell's own view agrees (targets use it)
        expect((await t.app.state.resolveTarget('annotation=health:lost')).map((n) => n.name)).to.deep.equal(['node1']);
      } finally {
        await t?.close();
        await cluster.startNode('node1');
      }
    });
  });

  describe('openport against the EC2 emulator', () => {
    let tmp: ReturnType<typeof makeTempHome>;
    let t: TestApp;
    let client: EC2Client;
    let groupId: string;

    before(async () => {
      tmp = makeTempHome('nodes: []\n');
      installExample(tmp.home, 'openport.mjs');
      const core = new Ec2EmulatorCore({});
      process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true'; // not actionable in a test
      client = new EC2Client({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        endpoint: 'http://ec2.emulator.invalid',
        requestHandler: createEc2RequestHandler(core),
        maxAttempts: 1,
      });
      groupId = (await client.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web servers' }))).GroupId!;
      t = await buildApp({ home: tmp.home, configFile: tmp.configFile });
      // What the EC2 plugin does: its region as a scope, its client and SDK as use('ec2').
      t.app.contributions.addScope('test:ec2', { kind: 'region', current: () => 'us-east-1', list: async () => ['us-east-1'], use: async () => undefined });
      t.app.contributions.provide('test:ec2', 'ec2', { region: 'us-east-1', clusterTag: 'dust:cluster', client: async () => client, sdk: async () => import('@aws-sdk/client-ec2') });
    });

    after(async () => {
      await t?.close();
      client?.destroy();
      tmp?.cleanup();
    });

    async function ingress(): Promise<string[]> {
      const g = (await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0]!;
      return (g.IpPermissions ?? []).flatMap((p) => [...(p.IpRanges ?? []).map((r) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)]
        .map((c) => `${p.IpProtocol}/${p.FromPort}-${p.ToPort} ${c}`)).sort();
    }

    it('lists a group with no inbound rules', async () => {
      const mark = t.all().length;
      expect(await t.run(`openport ${groupId}`)).to.equal(true);
      expect(t.since(mark)).to.include(`${groupId} (web): no inbound rules`);
    });

    it('opens a port from a CIDR, then lists it as a table (by id and by name)', async () => {
      let mark = t.all().length;
      expect(await t.run(`openport ${groupId} 8080 10.0.0.0/8`)).to.equal(true);
      expect(t.since(mark)).to.include(`${groupId} (web): allowed tcp/8080 from 10.0.0.0/8`);
      expect(await t.run('openport web 9000-9100 2001:db8::/32')).to.equal(true);
      expect(await ingress()).to.deep.equal(['tcp/8080-8080 10.0.0.0/8', 'tcp/9000-9100 2001:db8::/32']);
      mark = t.all().length;
      expect(await t.run('openport web')).to.equal(true);
      const out = t.since(mark);
      expect(out).to.match(/protocol\s+│ ports\s+│ source\s+│ description/);
      expect(row(out, 'tcp').join(' ')).to.match(/tcp 8080 10\.0\.0\.0\/8 opened by dust openport/);
      expect(out).to.match(/│ tcp\s+│ 9000-9100 │ 2001:db8::\/32/);
    });

    it('refuses the whole internet without --world (one line with a hint), and opens it with --world', async () => {
      for (const line of [`openport ${groupId} 22`, `openport ${groupId} 22 0.0.0.0/0`, `openport ${groupId} 22 ::/0`]) {
        const mark = t.all().length;
        expect(await t.run(line)).to.equal(false);
        const lines = t.since(mark).trim().split('\n');
        expect(lines, line).to.have.length(1);
        expect(lines[0]).to.match(/^✖ openport: refusing to open tcp\/22 of sg-\w+ \(web\) to the whole internet \((0\.0\.0\.0|::)\/0\) — name the network .* or add --world/);
      }
      expect((await ingress()).some((r) => r.startsWith('tcp/22-22'))).to.equal(false);
      expect(await t.run(`openport ${groupId} 443 --world`)).to.equal(true);
      expect(await ingress()).to.include('tcp/443-443 0.0.0.0/0');
    });

    it('a duplicate rule is one error line, not a crash', async () => {
      const mark = t.all().length;
      expect(await t.run(`openport ${groupId} 8080 10.0.0.0/8`)).to.equal(false);
      const lines = t.since(mark).trim().split('\n');
      expect(lines).to.deep.equal([`✖ openport: ${groupId} (web) already allows tcp/8080 from 10.0.0.0/8 — nothing to do (list the rules: openport ${groupId})`]);
    });

    it('bad input and unknown groups are one line each', async () => {
      const cases: [string, RegExp][] = [
        ['openport', /name a security group/],
        [`openport ${groupId} 70000 10.0.0.0/8`, /'70000' is not a port/],
        [`openport ${groupId} 80 10.0.0.0`, /'10\.0\.0\.0' is not a CIDR/],
        ['openport nosuch', /no security group 'nosuch'/],
        ['openport sg-0123456789abcdef0', /cannot read security group 'sg-0123456789abcdef0': InvalidGroup\.NotFound/],
      ];
      for (const [line, says] of cases) {
        const mark = t.all().length;
        expect(await t.run(line), line).to.equal(false);
        const lines = t.since(mark).trim().split('\n');
        expect(lines, line).to.have.length(1);
        expect(lines[0], line).to.match(says);
      }
    });

    it('without EC2 in the session: the DUST_EC2_CREDENTIALS line from dust itself', () => {
      const home = makeTempHome('nodes: []\n');
      try {
        installExample(home.home, 'openport.mjs');
        const r = dustCli(['-c', 'openport sg-1'], { home: home.home });
        expect(r.code).to.equal(1);
        expect(r.stderr.trim().split('\n')).to.have.length(1);
        expect(r.stderr).to.include('[DUST_EC2_CREDENTIALS]');
      } finally {
        home.cleanup();
      }
    });
  });
});
