import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { lines, runDust } from '../helpers/run-dust.js';
import { makeTempHome } from '../helpers/temp-home.js';

/**
 * pssh/pdsh-style host files over real OpenSSH: a dust config that knows one node, and a hosts file that
 * names it plus `user@host:port` lines for nodes dust has never heard of.
 */
describe('file: host lists through the CLI (real sshd)', function () {
  this.timeout(120000);
  let cluster: SshdCluster;
  let tmp: ReturnType<typeof makeTempHome>;
  let hosts: string;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    tmp = makeTempHome();
    const n0 = cluster.node('node0');
    fs.writeFileSync(tmp.configFile, [
      'sshConfig: false',
      'nodes:',
      `  - { name: known0, host: ${n0.host}, port: ${n0.port} }`,
      'logins:',
      // The key for every node, the hosts file's ones included; the user comes from the file for those.
      "  - selector: '*'",
      `    identityFile: ${cluster.clientKeyPath}`,
      "  - selector: 'known0'",
      `    user: ${cluster.user}`,
    ].join('\n'));
    hosts = path.join(tmp.home, 'hosts.txt');
    const n1 = cluster.node('node1');
    const n2 = cluster.node('node2');
    fs.writeFileSync(hosts, [
      '# pssh style',
      'known0',
      `${cluster.user}@${n1.host}:${n1.port}`,
      '',
      `${n2.host}:${n2.port} ${cluster.user}   # second field: the user`,
    ].join('\n'));
    fs.writeFileSync(path.join(tmp.home, 'down.txt'), `${cluster.user}@${n1.host}:${n1.port}\n`);
  });
  after(async () => {
    await cluster?.down();
    tmp?.cleanup();
  });

  const dust = (...ls: string[]) => runDust(['--config', tmp.configFile, ...lines(...ls)], { home: tmp.home });

  it('runs on the known node and on hosts dust only knows from the file, and excludes with !file:', () => {
    const n1 = cluster.node('node1');
    const n2 = cluster.node('node2');
    const r = dust(`@file:${hosts} echo "on $DUST_TEST_NODE"`, '@file:hosts.txt!file:down.txt echo "again $DUST_TEST_NODE"', 'show -v');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\[known0\]\s+on node0/);
    expect(r.stdout).to.match(new RegExp(`\\[${cluster.user}@${n1.host.replace(/\./g, '\\.')}:${n1.port}\\]\\s+on node1`));
    expect(r.stdout).to.match(new RegExp(`\\[${cluster.user}@${n2.host.replace(/\./g, '\\.')}:${n2.port}\\]\\s+on node2`));
    expect(r.stdout).to.match(/again node0/).and.match(/again node2/).and.not.match(/again node1/);
    expect(r.stdout).to.match(/hostfile/); // show -v: the source column
  });

  it('an unreadable file and a bad line are one line each, and nothing runs', () => {
    fs.writeFileSync(path.join(tmp.home, 'bad.txt'), 'ok\nweb:70000\n');
    const r = dust('@file:missing.txt echo no', '@file:bad.txt echo no');
    expect(r.code).to.equal(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('✖'));
    expect(errors).to.have.lengthOf(2);
    expect(errors[0]).to.include(`file:missing.txt: cannot read host list ${path.join(tmp.home, 'missing.txt')}: no such file`).and.include('[DUST_HOST_FILE]');
    expect(errors[1]).to.include("bad.txt:2: port '70000' is not a number from 1 to 65535 in 'web:70000'");
    expect(r.stdout).to.not.include('no');
  });
});
