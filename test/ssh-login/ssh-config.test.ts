import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { listConcreteHosts, loadSshConfig, lookupHost, parseSshConfig, splitArgs } from '../../src/ssh/ssh-config.js';
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

  it('skips Match blocks it cannot evaluate, applies Match all and Match host', () => {
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
