import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { MatchExecRunner } from '../../src/ssh/match-exec.js';
import {
  listConcreteHosts, loadSshConfig, loadSshConfigs, lookupHost, parseSshConfig, resolveHostConfig, splitArgs,
} from '../../src/ssh/ssh-config.js';
import { cleanupTmp, tmpDir } from './fixtures.js';

const HOME = '/home/tester';
const parse = (text: string, opts: { home?: string; sshDir?: string } = {}) =>
  parseSshConfig(text, '/home/tester/.ssh/config', { home: HOME, localUser: 'tester', ...opts });

describe('ssh config parser', () => {
  after(cleanupTmp);

  it('first obtained value wins, IdentityFile accumulates, keywords are case-insensitive', () => {
    const cfg = parse(`
# comment
Host web1
  HOSTNAME 10.0.0.1
  user alice
  IdentityFile ~/.ssh/web
Host web*
  User bob
  Port 2222
  identityfile ~/.ssh/other
Host *
  User carol
  Port 22
  IdentityFile ~/.ssh/id_ed25519
`);
    const web1 = lookupHost(cfg, 'web1');
    expect(web1).to.deep.include({ hostName: '10.0.0.1', user: 'alice', port: 2222 });
    expect(web1.identityFiles).to.deep.equal([
      '/home/tester/.ssh/web', '/home/tester/.ssh/other', '/home/tester/.ssh/id_ed25519',
    ]);
    expect(lookupHost(cfg, 'web2')).to.deep.include({ user: 'bob', port: 2222 });
    expect(lookupHost(cfg, 'db')).to.deep.include({ user: 'carol', port: 22 });
    expect(lookupHost(cfg, 'db').hostName).to.equal(undefined);
  });

  it('accepts Key=Value, Key = Value, quotes and trailing comments', () => {
    const cfg = parse(`
Host=a
  User=root
  Port = 2200
  IdentityFile "/keys/with space/id"   # trailing comment
  ProxyJump=jump@bastion:2022
Host "b c"
  HostName 'quoted.example'
`);
    const a = lookupHost(cfg, 'a');
    expect(a).to.deep.include({ user: 'root', port: 2200, proxyJump: 'jump@bastion:2022' });
    expect(a.identityFiles).to.deep.equal(['/keys/with space/id']);
    // A quoted pattern is one pattern, spaces included (OpenSSH argv_split).
    expect(lookupHost(cfg, 'b c').hostName).to.equal('quoted.example');
    expect(lookupHost(cfg, 'b').hostName).to.equal(undefined);
    expect(splitArgs(String.raw`a\ b "c d" 'e"f' #x`)).to.deep.equal(['a b', 'c d', 'e"f']);
  });

  it('matches ?, *, several patterns and negation', () => {
    const cfg = parse(`
Host *.prod !db?.prod
  User produser
Host node?
  User single
Host alpha beta
  User greek
`);
    expect(lookupHost(cfg, 'web.prod').user).to.equal('produser');
    expect(lookupHost(cfg, 'db1.prod').user).to.equal(undefined);
    expect(lookupHost(cfg, 'db12.prod').user).to.equal('produser');
    expect(lookupHost(cfg, 'node1').user).to.equal('single');
    expect(lookupHost(cfg, 'node12').user).to.equal(undefined);
    expect(lookupHost(cfg, 'BETA').user).to.equal('greek');
  });

  it('lookupHost never runs Match exec; applies Match all and Match host', () => {
    const cfg = parse(`
Match exec "touch /tmp/should-never-run"
  User evil
Match host *.corp user tester
  Port 2201
Match originalhost shortname
  HostName shortname.corp
Match all
  User everyone
  Port 2299
`);
    expect(lookupHost(cfg, 'x').user).to.equal('everyone');
    expect(lookupHost(cfg, 'x').port).to.equal(2299);
    expect(lookupHost(cfg, 'a.corp').port).to.equal(2201);
    // Match host sees the HostName set by an earlier block... but only when it comes first:
    expect(lookupHost(cfg, 'shortname')).to.deep.include({ hostName: 'shortname.corp', port: 2299 });
    expect(fs.existsSync('/tmp/should-never-run')).to.equal(false);
  });

  it('expands %h %p %r %u %d %% and ~ in IdentityFile, %h in HostName', () => {
    const cfg = parse(`
Host *.int
  HostName %h.example.com
  User deploy
  Port 2022
  IdentityFile ~/.ssh/%h-%p-%r-%u
  IdentityFile %d/keys/%%literal
  UserKnownHostsFile ~/.ssh/kh_%h ~/.ssh/kh2
`);
    const c = lookupHost(cfg, 'api.int');
    expect(c.hostName).to.equal('api.int.example.com');
    expect(c.identityFiles).to.deep.equal([
      '/home/tester/.ssh/api.int.example.com-2022-deploy-tester',
      '/home/tester/keys/%literal',
    ]);
    expect(c.userKnownHostsFiles).to.deep.equal(['/home/tester/.ssh/kh_api.int.example.com', '/home/tester/.ssh/kh2']);
    // Values decided elsewhere (the node's own fields) feed the tokens.
    const d = lookupHost(cfg, 'api.int', { user: 'ops', port: 22, hostName: '10.1.1.1' });
    expect(d.identityFiles[0]).to.equal('/home/tester/.ssh/10.1.1.1-22-ops-tester');
  });

  it('reads Include relative to ~/.ssh with globs, in order, conditionally inside Host blocks', () => {
    const home = tmpDir();
    const ssh = path.join(home, '.ssh');
    fs.mkdirSync(path.join(ssh, 'conf.d'), { recursive: true });
    fs.writeFileSync(path.join(ssh, 'conf.d', '20-b.conf'), 'Host b\n  User from-b\n');
    fs.writeFileSync(path.join(ssh, 'conf.d', '10-a.conf'), 'Host a\n  User from-a\nHost *\n  Port 2010\n');
    fs.writeFileSync(path.join(ssh, 'conf.d', '.hidden.conf'), 'Host *\n  User hidden\n');
    fs.writeFileSync(path.join(ssh, 'only-for-c'), 'User from-c-include\nHost *\n  IdentityFile ~/c-key\n');
    fs.writeFileSync(path.join(ssh, 'loop'), 'Include loop\n');
    fs.writeFileSync(path.join(ssh, 'config'), `
Include conf.d/*.conf
Include ~/.ssh/loop
Host c
  Include only-for-c
Host *
  User default-user
`);
    const cfg = loadSshConfig(undefined, { home, localUser: 'tester' });
    expect(lookupHost(cfg, 'a')).to.deep.include({ user: 'from-a', port: 2010 });
    expect(lookupHost(cfg, 'b').user).to.equal('from-b');
    expect(lookupHost(cfg, 'c').user).to.equal('from-c-include');
    expect(lookupHost(cfg, 'c').identityFiles).to.deep.equal([path.join(home, 'c-key')]);
    expect(lookupHost(cfg, 'd')).to.deep.include({ user: 'default-user', identityFiles: [] });
    expect(cfg.warnings.some((w) => w.includes('nested more than'))).to.equal(true);
    expect(listConcreteHosts(cfg)).to.deep.equal(['a', 'b', 'c']);
  });

  it('treats a missing file as empty and lists concrete hosts only', () => {
    const home = tmpDir();
    expect(lookupHost(loadSshConfig(undefined, { home }), 'x')).to.deep.equal({ identityFiles: [] });
    const cfg = parse('Host web1 web2 !web3 *.x db?\n  User u\nHost web1\n  Port 1\nMatch all\n  User z\n');
    expect(listConcreteHosts(cfg)).to.deep.equal(['web1', 'web2']);
  });

  it('handles ProxyJump none, booleans and numbers', () => {
    const cfg = parse(`
Host bastion
  ProxyJump none
  IdentitiesOnly yes
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  ServerAliveInterval 30
Host *
  ProxyJump bastion
  Port notanumber
`);
    expect(lookupHost(cfg, 'bastion')).to.deep.equal({
      identityFiles: [], identitiesOnly: true, strictHostKeyChecking: 'accept-new', connectTimeout: 7, serverAliveInterval: 30,
    });
    expect(lookupHost(cfg, 'web').proxyJump).to.equal('bastion');
    expect(lookupHost(cfg, 'web').port).to.equal(undefined);
  });

  it('matches a node by name or address together, in file order', () => {
    const cfg = parse(`
Host 10.0.0.5
  User by-address
Host worker*
  User by-name
  Port 2200
Host *
  User fallback
`);
    const c = lookupHost(cfg, 'worker3', { alsoMatch: ['10.0.0.5'] });
    expect(c).to.deep.include({ user: 'by-address', port: 2200 });
  });
});

describe('ssh config: warnings, system file, Match exec, proxies', function () {
  this.timeout(30_000);
  after(cleanupTmp);

  it('warns once per line, with file:line, about unknown options, bad values and unsupported Match criteria', () => {
    const cfg = parse(`
Hostname-typo x
IgnoreUnknown UseKeychain,Foo*
UseKeychain yes
FooBar 1
Host web
  Port abc
  ConnectTimeout soon
Host *
  Port 2200
Match localnetwork 10.0.0.0/8
  User lan
`);
    expect(cfg.warnings).to.deep.equal([
      '/home/tester/.ssh/config:2: unknown option "Hostname-typo"; line ignored (IgnoreUnknown Hostname-typo silences this)',
      '/home/tester/.ssh/config:7: Port "abc" is not a port number (1-65535); line ignored',
      '/home/tester/.ssh/config:8: ConnectTimeout "soon" is not a time (seconds, or like 1m30s); line ignored',
      '/home/tester/.ssh/config:11: Match localnetwork is not supported by dust; the block never applies',
    ]);
    // The bad line is skipped, so the next value obtained applies (OpenSSH would refuse the whole file).
    expect(lookupHost(cfg, 'web').port).to.equal(2200);
    expect(lookupHost(cfg, 'web').user).to.equal(undefined);
  });

  it('names an option dust cannot honour once, and only when it applies to a host dust looks up', () => {
    const cfg = parse(`
Host agentfwd
  ForwardAgent yes
Host *
  ForwardAgent no
  CertificateFile ~/.ssh/id_ed25519-cert.pub
`);
    const seen: string[] = [];
    cfg.onWarning((m) => seen.push(m));
    expect(seen).to.deep.equal([]);
    lookupHost(cfg, 'plain');
    lookupHost(cfg, 'plain2');
    expect(seen).to.deep.equal([
      '/home/tester/.ssh/config:6: CertificateFile ~/.ssh/id_ed25519-cert.pub applies to plain, but dust does not offer SSH certificates; the plain key is used',
    ]);
    lookupHost(cfg, 'agentfwd');
    lookupHost(cfg, 'agentfwd');
    expect(seen).to.have.length(2);
    expect(seen[1]).to.equal('/home/tester/.ssh/config:3: ForwardAgent yes applies to agentfwd, but dust does not forward the agent to nodes');
    expect(cfg.warnings).to.deep.equal(seen);
  });

  it('reads the system file after the user file: the first value obtained wins, relative Includes from its own dir', () => {
    const dir = tmpDir();
    const home = path.join(dir, 'home');
    const etc = path.join(dir, 'etc-ssh');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.mkdirSync(path.join(etc, 'ssh_config.d'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'config'), 'Host web\n  User from-user\n');
    fs.writeFileSync(path.join(etc, 'ssh_config'), 'Include ssh_config.d/*.conf\nHost *\n  User from-system\n  Port 2022\n  HashKnownHosts yes\n');
    fs.writeFileSync(path.join(etc, 'ssh_config.d', '10-site.conf'), 'Host db\n  HostName db.site\n  Bogus 1\n');
    const cfg = loadSshConfigs({ user: path.join(home, '.ssh', 'config'), system: path.join(etc, 'ssh_config') }, { home, localUser: 'me' });
    expect(cfg.files).to.deep.equal([path.join(home, '.ssh', 'config'), path.join(etc, 'ssh_config')]);
    expect(lookupHost(cfg, 'web')).to.deep.include({ user: 'from-user', port: 2022, hashKnownHosts: true });
    expect(lookupHost(cfg, 'db')).to.deep.include({ hostName: 'db.site', user: 'from-system' });
    expect(cfg.warnings).to.deep.equal([`${path.join(etc, 'ssh_config.d', '10-site.conf')}:3: unknown option "Bogus"; line ignored (IgnoreUnknown Bogus silences this)`]);
    // No system file: only the user's settings.
    const userOnly = loadSshConfigs({ user: path.join(home, '.ssh', 'config') }, { home, localUser: 'me' });
    expect(lookupHost(userOnly, 'web').port).to.equal(undefined);
  });

  it('ProxyJump/ProxyCommand precedence and ProxyCommand text are exactly what ssh -G reports', function () {
    const text = [
      'Host a', '  ProxyJump none', 'Host b', '  ProxyJump j1', 'Host c', '  ProxyCommand none',
      'Host d', '  ProxyCommand sh -c "exec nc %h %p"  # kept, as ssh keeps it', 'Host *', '  ProxyJump j2', '  ProxyCommand cmd-star',
    ].join('\n');
    const dir = tmpDir();
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, `${text}\n`);
    const cfg = parse(text);
    for (const host of ['a', 'b', 'c', 'd', 'e']) {
      const ours = lookupHost(cfg, host);
      let sshG: string;
      try {
        sshG = execFileSync('ssh', ['-G', '-F', file, host], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      } catch {
        this.skip();
      }
      const line = (k: string) => sshG.split('\n').find((l) => l.startsWith(`${k} `))?.slice(k.length + 1);
      expect({ host, jump: ours.proxyJump, command: ours.proxyCommand })
        .to.deep.equal({ host, jump: line('proxyjump'), command: line('proxycommand') });
    }
    expect(lookupHost(cfg, 'a').proxyCommand).to.equal('cmd-star');
    expect(lookupHost(cfg, 'c')).to.not.have.any.keys('proxyJump', 'proxyCommand');
  });

  it('reads IdentityAgent, HashKnownHosts, Global/UserKnownHostsFile (none), HostKeyAlias and time values', () => {
    const cfg = parse(`
Host a
  IdentityAgent ~/.agent/%n.sock
  UserKnownHostsFile none
  GlobalKnownHostsFile /etc/ssh/kh_%h
  HostKeyAlias a-alias
  ConnectTimeout 1m30s
  ServerAliveInterval 2m
Host b
  IdentityAgent SSH_AUTH_SOCK
  GlobalKnownHostsFile none
Host c
  IdentityAgent none
Host *
  IdentityAgent $MY_AGENT
  HashKnownHosts no
`);
    expect(lookupHost(cfg, 'a')).to.deep.include({
      identityAgent: '/home/tester/.agent/a.sock', userKnownHostsFiles: [], globalKnownHostsFiles: ['/etc/ssh/kh_a'],
      hostKeyAlias: 'a-alias', connectTimeout: 90, serverAliveInterval: 120, hashKnownHosts: false,
    });
    expect(lookupHost(cfg, 'b')).to.deep.include({ identityAgent: 'SSH_AUTH_SOCK', globalKnownHostsFiles: [] });
    expect(lookupHost(cfg, 'b').userKnownHostsFiles).to.equal(undefined);
    expect(lookupHost(cfg, 'c').identityAgent).to.equal('none');
    expect(lookupHost(cfg, 'd').identityAgent).to.equal('$MY_AGENT');
  });

  it('Match exec runs through /bin/sh with tokens expanded, exit 0 = match, each distinct command once', async () => {
    const dir = tmpDir();
    const log = path.join(dir, 'exec.log');
    const cfg = parse(`
Host *.corp
  HostName %h.example
Match exec "echo '%h %p %r %n' >> ${log}; test %h = web.corp.example"
  User via-exec
Match exec "echo global >> ${log}; exit 3"
  Port 2999
Host *
  User fallback
`);
    const runner = cfg.matchExec;
    const web = await resolveHostConfig(cfg, 'web.corp', { port: 2200 });
    expect(web).to.deep.include({ hostName: 'web.corp.example', user: 'via-exec' });
    expect(web.port).to.equal(undefined);
    const db = await resolveHostConfig(cfg, 'db.corp', { user: 'ops' });
    expect(db.user).to.equal('fallback');
    // Again: answered from the cache, nothing new runs.
    await resolveHostConfig(cfg, 'web.corp', { port: 2200 });
    expect(runner.started).to.equal(3);
    expect(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).to.deep.equal([
      'db.corp.example 22 ops db.corp', 'global', 'web.corp.example 2200 tester web.corp',
    ]);
    // The synchronous lookup sees the cached outcome, but never runs anything itself.
    expect(lookupHost(cfg, 'web.corp', { port: 2200 }).user).to.equal('via-exec');
    expect(lookupHost(cfg, 'new.corp').user).to.equal('fallback');
    expect(runner.started).to.equal(3);
  });

  it('Match exec that hangs is killed after its time limit and counts as no match, with a warning', async () => {
    const cfg = parseSshConfig('Match exec "sleep 30"\n  User slow\n', '/cfg', {
      home: HOME, localUser: 'tester', matchExec: new MatchExecRunner({ timeoutMs: 300 }),
    });
    const c = await resolveHostConfig(cfg, 'x');
    expect(c.user).to.equal(undefined);
    expect(cfg.warnings).to.deep.equal(['Match exec "sleep 30" did not finish within 300 ms; the block does not apply']);
  });
});
