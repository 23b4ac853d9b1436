import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { PtySession } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';

describe('an encrypted key through the CLI (real sshd, real PTY)', function () {
  this.timeout(120000);
  let cluster: SshdCluster;
  let tmp: ReturnType<typeof makeTempHome>;
  let keyFile: string;
  const PASSPHRASE = 'correct horse battery';

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
    tmp = makeTempHome();
    keyFile = path.join(tmp.home, 'id_encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '4', '-N', PASSPHRASE, '-C', 'enc', '-f', keyFile]);
    fs.appendFileSync(path.join(cluster.baseDir, 'authorized_keys'), fs.readFileSync(`${keyFile}.pub`));
    fs.writeFileSync(tmp.configFile, [
      'sshConfig: false',
      'nodes:',
      ...cluster.nodes.map((n) => `  - { name: ${n.name}, host: ${n.host}, port: ${n.port} }`),
      'logins:',
      `  - { selector: '*', user: ${cluster.user}, identityFile: ${keyFile} }`,
      '',
    ].join('\n'));
  });
  after(async () => {
    await cluster?.down();
    tmp?.cleanup();
  });

  it('asks once for all nodes, never echoes the passphrase, and keeps it out of history', async () => {
    const dust = new PtySession(['--config', tmp.configFile], { DUST_HOME: tmp.home, SSH_AUTH_SOCK: '' });
    try {
      await dust.waitFor('[dust]$ ');
      const m = dust.mark();
      dust.write('@* echo unlocked-$DUST_TEST_NODE\r');
      await dust.waitFor(`Enter passphrase for key '${keyFile}': `, { from: m });
      dust.write(`${PASSPHRASE}\r`);
      const out = await dust.waitFor(/unlocked-node0[\s\S]*unlocked-node1[\s\S]*unlocked-node2|unlocked-node\d[\s\S]*\[dust\]\$ /, { from: m });
      await dust.waitFor(/\[dust\]\$ /, { from: m + 1 });
      const all = dust.since(m);
      for (const n of cluster.nodes) expect(all).to.include(`unlocked-${n.name}`);
      expect(all.split('Enter passphrase').length - 1).to.equal(1);
      expect(all).to.not.include(PASSPHRASE);
      expect(out).to.not.include(PASSPHRASE);
      dust.write('exit\r');
      await dust.waitForExit();
      expect(fs.readFileSync(path.join(tmp.home, 'history'), 'utf8')).to.not.include('horse');
    } finally {
      dust.kill();
    }
  });
});
