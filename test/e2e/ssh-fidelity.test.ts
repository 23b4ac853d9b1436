import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { lines, runDust } from '../helpers/run-dust.js';
import { REPO_ROOT } from '../helpers/pty-driver.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { eventually } from '../helpers/eventually.js';

/**
 * OpenSSH fidelity of dust's logins, end to end: the built CLI, real sshd nodes, real `ssh -W` as ProxyCommand.
 * node0 doubles as the bastion; node1 and node2 are the nodes dust runs on.
 */
describe('OpenSSH fidelity (real sshd, built CLI)', function () {
  this.timeout(120_000);
  let cluster: SshdCluster;
  const homes: Array<ReturnType<typeof makeTempHome>> = [];

  before(async function () {
    requireSshd(this);
    cluster = await startSshdCluster({ count: 3 });
  });
  after(async () => {
    await cluster?.down();
    for (const h of homes) h.cleanup();
  });

  /** A fresh HOME/DUST_HOME with a dust config naming the given ssh config files and nodes (no user, key or port). */
  function setup(opts: { sshConfig: string; system?: string; nodes: string[]; extra?: string[] }) {
    const tmp = makeTempHome();
    homes.push(tmp);
    fs.mkdirSync(path.join(tmp.home, '.ssh'), { mode: 0o700 });
    const sshConfig = path.join(tmp.home, 'ssh_config');
    fs.writeFileSync(sshConfig, opts.sshConfig);
    let system = 'false';
    if (opts.system !== undefined) {
      system = path.join(tmp.home, 'etc_ssh_config');
      fs.writeFileSync(system, opts.system);
    }
    const config = path.join(tmp.home, 'dust.yaml');
    fs.writeFileSync(config, [
      `sshConfig: ${sshConfig}`, `sshSystemConfig: ${system}`, 'ssh:', '  connectTimeoutMs: 8000',
      ...(opts.nodes.length > 0 ? ['nodes:', ...opts.nodes.map((n) => `  - ${n}`)] : []), ...(opts.extra ?? []), '',
    ].join('\n'));
    const dust = (...ls: string[]) => runDust(['--config', config, ...lines(...ls)], { home: tmp.home, cwd: REPO_ROOT });
    return { home: tmp.home, sshConfig, system, dust };
  }
  const staticNode = (name: string, port?: number) => {
    const n = cluster.node(name);
    return `{ name: ${name}, host: ${n.host}${port !== undefined ? `, port: ${port}` : ''} }`;
  };
  const keyOf = (name: string) => cluster.node(name).hostPublicKey.split(' ').slice(0, 2).join(' ');
  const khName = (name: string) => `[${cluster.node(name).host}]:${cluster.node(name).port}`;

  it('UserKnownHostsFile from ssh config: a contradicting key there is refused, new keys are recorded there', () => {
    const t = setup({
      sshConfig: `Host node*\n  IdentityFile ${cluster.clientKeyPath}\n  Port ${cluster.nodes[0]!.port}\n  UserKnownHostsFile ~/project_known_hosts\n`,
      nodes: [staticNode('node1'), staticNode('node2')],
    });
    // The file OpenSSH would use says node1 has node2's key: ssh refuses node1, and so must dust.
    const projectKh = path.join(t.home, 'project_known_hosts');
    fs.writeFileSync(projectKh, `${khName('node1')} ${keyOf('node2')}\n`);
    const r = t.dust('@node1,node2 echo ok-$DUST_TEST_NODE');
    expect(r.code, r.stdout + r.stderr).to.not.equal(0);
    expect(r.stdout + r.stderr).to.include('REMOTE HOST IDENTIFICATION HAS CHANGED').and.include(`${projectKh}:1`);
    expect(r.stdout).to.not.include('ok-node1');
    expect(r.stdout).to.match(/\[node2\]\s+ok-node2/);
    // node2's key went to the first UserKnownHostsFile, as ssh would write it; dust's own file stayed empty.
    expect(fs.readFileSync(projectKh, 'utf8')).to.include(`${khName('node2')} ${keyOf('node2')}`);
    expect(fs.existsSync(path.join(t.home, 'known_hosts'))).to.equal(false);
  });

  it('ProxyCommand (ssh -W through a bastion) reaches the nodes; a failing one names its exit and stderr; proxies end with dust', async () => {
    const pids = path.join(cluster.baseDir, 'proxy-pids');
    const bastion = cluster.node('node0');
    const accepted = () => (fs.readFileSync(bastion.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;
    const t = setup({
      sshConfig: [
        'Host node1 node2',
        `  ProxyCommand sh -c 'echo $$ >> ${pids}; exec ssh -F ${cluster.sshConfigPath} -o BatchMode=yes -W %h:%p node0'`,
        'Host broken',
        '  ProxyCommand sh -c \'echo "nc: connect to %h port %p (tcp) failed: Connection refused" >&2; exit 1\'',
        'Host *',
        `  IdentityFile ${cluster.clientKeyPath}`,
        `  Port ${bastion.port}`,
        '',
      ].join('\n'),
      nodes: [staticNode('node1'), staticNode('node2'), '{ name: broken, host: 127.0.0.250 }'],
    });
    const before = accepted();
    const r = t.dust('@node1,node2,broken echo via-$DUST_TEST_NODE');
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.match(/\[node1\]\s+via-node1/).and.match(/\[node2\]\s+via-node2/);
    expect(r.stdout + r.stderr).to.include(`proxy command exited 1: nc: connect to 127.0.0.250 port ${bastion.port} (tcp) failed: Connection refused`);
    // Both nodes were reached through the bastion (one `ssh -W` login each), not directly.
    expect(accepted() - before).to.equal(2);
    const started = fs.readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(started).to.have.length(2);
    for (const pid of started) {
      await eventually(() => !alive(pid), `proxy ${pid} to end`);
    }
  });

  it('several IdentityFiles, Match exec, the system file, HashKnownHosts, and config warnings shown once with file:line', () => {
    const keysHome = makeTempHome();
    homes.push(keysHome);
    const ssh = keysHome.home;
    for (const k of ['wrong1', 'wrong2']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(ssh, k)]);
    const t = setup({
      sshConfig: [
        'Host node*',
        `  IdentityFile ${path.join(ssh, 'wrong1')}`,
        `  IdentityFile ${path.join(ssh, 'wrong2')}`,
        '  Port abc',
        '  Bogus yes',
        `Match exec "test %h = ${cluster.node('node2').host}"`,
        `  IdentityFile ${cluster.clientKeyPath}`,
        '',
      ].join('\n'),
      // The port comes from the system file: the user's `Port abc` is skipped (with a warning), not fatal.
      system: `Host *\n  Port ${cluster.nodes[0]!.port}\n  HashKnownHosts yes\n`,
      nodes: [staticNode('node1'), staticNode('node2')],
    });
    const r = t.dust('@node1,node2 echo key-ok-$DUST_TEST_NODE', '@node2 echo again');
    const all = r.stdout + r.stderr;
    expect(r.stdout).to.match(/\[node2\]\s+key-ok-node2/).and.match(/\[node2\]\s+again/);
    // node1 has no key the server takes; the failure names every key tried, in order.
    expect(all).to.match(new RegExp(`node1.*auth: .*key ${esc(path.join(ssh, 'wrong1'))} \\(ssh config\\), key ${esc(path.join(ssh, 'wrong2'))} \\(ssh config\\)`));
    expect(count(all, `ssh config: ${t.sshConfig}:4: Port "abc" is not a port number (1-65535); line ignored`)).to.equal(1);
    expect(count(all, `ssh config: ${t.sshConfig}:5: unknown option "Bogus"`)).to.equal(1);
    // HashKnownHosts from the system file: the recorded entry is hashed, and the next run matches it.
    const kh = fs.readFileSync(path.join(t.home, 'known_hosts'), 'utf8');
    expect(kh).to.match(/^\|1\|\S+ ssh-ed25519 /m).and.not.include(cluster.node('node2').host);
    const again = t.dust('@node2 echo third');
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(t.home, 'known_hosts'), 'utf8')).to.equal(kh);
  });

  it('sshConfigHosts: true lists the hosts of the file sshConfig names, not ~/.ssh/config', () => {
    const t = setup({ sshConfig: 'Host from-named\n  HostName 127.0.0.99\n', nodes: [], extra: ['sshConfigHosts: true'] });
    fs.writeFileSync(path.join(t.home, '.ssh', 'config'), 'Host from-home\n  HostName 127.0.0.98\n');
    const r = t.dust('show');
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.include('from-named').and.not.include('from-home');
  });

  it('known-hosts: one clear line for a missing or unknown subcommand and for a node not reached over SSH', () => {
    const t = setup({ sshConfig: '', nodes: ['{ name: a, host: 127.0.0.1 }', '{ name: pod, host: pod-1, props: { transport: kubernetes } }'] });
    const none = t.dust('known-hosts forget');
    expect(none.code).to.equal(1);
    expect(none.stderr).to.include('known-hosts: a target is required — usage: known-hosts show|forget <target> [DUST_USAGE]');
    expect(t.dust('known-hosts frob a').stderr).to.include("known-hosts: unknown subcommand 'frob'");
    const mixed = t.dust('known-hosts show a,pod');
    expect(mixed.code).to.equal(1);
    expect(mixed.stdout).to.include('a  127.0.0.1: no known host key');
    expect(mixed.stderr).to.include('pod: is not reached over SSH');
  });

  it('known-hosts forget: removes the key from dust\'s file, closes the session, names ~/.ssh/known_hosts; the next connection learns the new key', async () => {
    const t = setup({
      sshConfig: `Host *\n  IdentityFile ${cluster.clientKeyPath}\n`,
      nodes: [staticNode('node2', cluster.node('node2').port)],
    });
    const first = t.dust('@node2 true');
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const dustKh = path.join(t.home, 'known_hosts');
    expect(fs.readFileSync(dustKh, 'utf8')).to.include(keyOf('node2'));
    // The user's own known_hosts also knows the old key (ssh recorded it once).
    const userKh = path.join(t.home, '.ssh', 'known_hosts');
    fs.writeFileSync(userKh, `${khName('node2')} ${keyOf('node2')}\n`);
    await cluster.regenerateHostKey('node2');
    try {
      const refused = t.dust('@node2 true');
      expect(refused.stdout + refused.stderr).to.include('REMOTE HOST IDENTIFICATION HAS CHANGED');

      const r = t.dust('known-hosts show node2', 'known-hosts forget node2', '@node2 true');
      const all = r.stdout + r.stderr;
      expect(all).to.include(`${dustKh}:1`).and.include(`${userKh}:1 (read-only for dust)`);
      expect(all).to.include(`node2: forgot 1 key of ${khName('node2')} (ssh-ed25519) from ${dustKh}`);
      expect(all).to.include(`ssh-keygen -R '${khName('node2')}' -f ${userKh}`);
      // ~/.ssh/known_hosts still contradicts the new key, so dust still refuses (as ssh would)...
      expect(r.code).to.not.equal(0);
      expect(all).to.include(`${userKh}:1`);
      // ...until the user runs the line dust gave.
      execFileSync('ssh-keygen', ['-R', khName('node2'), '-f', userKh], { stdio: 'ignore' });
      const ok = t.dust('@node2 echo $$', 'known-hosts forget node2', '@node2 echo $$');
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
      expect(fs.readFileSync(dustKh, 'utf8')).to.include(keyOf('node2'));
      // Forgetting closed the session: the second command ran in a new shell.
      const shells = [...ok.stdout.matchAll(/\[node2\]\s+(\d+)/g)].map((m) => m[1]);
      expect(shells).to.have.length(2);
      expect(shells[0]).to.not.equal(shells[1]);
    } finally {
      cluster.trustCurrentHostKeys();
    }
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

