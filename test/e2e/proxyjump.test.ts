import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { runDust } from '../helpers/run-dust.js';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';

describe('ProxyJump through a bastion (real sshd, built CLI)', function () {
  this.timeout(120000);
  let cluster: SshdCluster;
  let tmp: ReturnType<typeof makeTempHome>;

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 4, names: ['bastion', 'inner1', 'inner2', 'inner3'] });
    tmp = makeTempHome();
  });
  after(async () => {
    await cluster?.down();
    tmp?.cleanup();
  });

  it('reaches every inner node through ONE bastion connection, with the bastion login from ssh config', () => {
    const bastion = cluster.node('bastion');
    // The bastion's own login comes from an OpenSSH client config, as it would for a real user.
    const sshConfig = path.join(tmp.home, 'ssh_config');
    fs.writeFileSync(sshConfig, [
      'Host jumpbox',
      `  HostName ${bastion.host}`,
      `  Port ${bastion.port}`,
      `  User ${cluster.user}`,
      `  IdentityFile ${cluster.clientKeyPath}`,
      '',
    ].join('\n'));
    const inner = cluster.nodes.filter((n) => n.name !== 'bastion');
    const config = [
      `sshConfig: ${sshConfig}`,
      'nodes:',
      ...inner.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port}, user: ${cluster.user}, identityFile: ${cluster.clientKeyPath}, proxyJump: jumpbox }`),
      '',
    ].join('\n');
    const configFile = path.join(tmp.home, 'dust.yaml');
    fs.writeFileSync(configFile, config);
    const accepted = () => (fs.readFileSync(bastion.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;
    const before = accepted();
    const r = runDust(['--config', configFile, '-c', '@inner* echo via-$DUST_TEST_NODE'], { home: tmp.home, cwd: REPO_ROOT });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    for (const n of inner) expect(r.stdout).to.match(new RegExp(`\\[${n.name}\\]\\s+via-${n.name}`));
    // One login on the bastion for all three nodes; their own logins happened through its tunnels.
    expect(accepted() - before).to.equal(1);
    // The bastion's host key was checked and recorded like any node's.
    expect(fs.readFileSync(path.join(tmp.home, 'known_hosts'), 'utf8')).to.include(bastion.hostPublicKey.split(' ')[1]);
  });
});
