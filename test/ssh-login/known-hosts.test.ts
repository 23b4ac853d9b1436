import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isDustError } from '../../src/errors/dust-error.js';
import {
  KnownHosts, fingerprintSha256, hashHostName, hostsFieldMatches, keyTypeOfBlob, knownHostsName, parseKnownHosts,
} from '../../src/ssh/known-hosts.js';
import type { HostKeyPolicy, HostKeyVerdict } from '../../src/ssh/known-hosts.js';
import type { LoginSpec } from '../../src/ssh/login.js';
import { cleanupTmp, connectOnce, genKey, keyOnly, startServer, tmpDir } from './fixtures.js';
import type { KeyPair } from './fixtures.js';

const blob = (k: KeyPair): Buffer => k.parsed.getPublicSSH();
const line = (name: string, k: KeyPair): string => `${name} ${k.parsed.type} ${blob(k).toString('base64')}`;

function refused(v: HostKeyVerdict): { code: string; message: string; hint: string } {
  if (v.ok) throw new Error('expected a refusal');
  return { code: v.error.code, message: v.error.message, hint: v.error.hint ?? '' };
}

describe('known_hosts: parsing and matching', () => {
  after(cleanupTmp);
  const ed = genKey('ed25519');
  const ed2 = genKey('ed25519');
  const ec = genKey('ecdsa');

  it('names hosts like OpenSSH and reads key types from blobs', () => {
    expect(knownHostsName('Web1', 22)).to.equal('web1');
    expect(knownHostsName('127.0.0.3', 2222)).to.equal('[127.0.0.3]:2222');
    expect(keyTypeOfBlob(blob(ed))).to.equal('ssh-ed25519');
    expect(keyTypeOfBlob(blob(ec))).to.equal('ecdsa-sha2-nistp256');
  });

  it('matches comma lists, wildcards, negation and [host]:port', () => {
    expect(hostsFieldMatches('a,b,10.0.0.1', 'b')).to.equal(true);
    expect(hostsFieldMatches('*.prod,!db.prod', 'web.prod')).to.equal(true);
    expect(hostsFieldMatches('*.prod,!db.prod', 'db.prod')).to.equal(false);
    expect(hostsFieldMatches('[127.0.0.3]:2222', '[127.0.0.3]:2222')).to.equal(true);
    expect(hostsFieldMatches('127.0.0.3', '[127.0.0.3]:2222')).to.equal(false);
    expect(hostsFieldMatches('[10.0.0.?]:*', '[10.0.0.7]:2200')).to.equal(true);
  });

  it('matches hashed entries made with a known salt, and ones made by ssh-keygen -H', () => {
    const salt = Buffer.from('0123456789abcdefghij');
    const hashed = hashHostName('[127.0.0.3]:2222', salt);
    expect(hashed.startsWith(`|1|${salt.toString('base64')}|`)).to.equal(true);
    expect(hostsFieldMatches(hashed, '[127.0.0.3]:2222')).to.equal(true);
    expect(hostsFieldMatches(hashed, '[127.0.0.3]:2223')).to.equal(false);

    const dir = tmpDir();
    const file = path.join(dir, 'known_hosts');
    fs.writeFileSync(file, `${line('web1.example', ed)}\n${line('[10.1.2.3]:2222', ec)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
    expect(entries).to.have.length(2);
    expect(entries.every((e) => e.hosts.startsWith('|1|'))).to.equal(true);
    const kh = new KnownHosts({ writableFile: path.join(dir, 'dust_kh'), readOnlyFiles: [file], policy: 'strict' });
    expect(kh.verify('web1.example', 22, blob(ed))).to.deep.equal({ ok: true, recorded: false });
    expect(kh.verify('10.1.2.3', 2222, blob(ec))).to.deep.equal({ ok: true, recorded: false });
    expect(refused(kh.verify('web1.example', 22, blob(ed2))).code).to.equal('DUST_SSH_HOSTKEY_CHANGED');
  });

  it('finds a host among plain, wildcard, negated and hashed lines alike, in file order', () => {
    // Plain names are looked up by name, the rest tested line by line: the answer must be the same as a full scan.
    const dir = tmpDir();
    const file = path.join(dir, 'known_hosts');
    fs.writeFileSync(file, [
      line('web1,WEB2', ed),
      line('*.prod', ec),
      line('web?', ec),
      line(hashHostName('web2'), ed2),
      line('web2', ec),
      line('!web2,web*', ed),
      line('[web2]:2222', ed),
      '',
    ].join('\n'));
    const kh = new KnownHosts({ writableFile: path.join(dir, 'w'), readOnlyFiles: [file], policy: 'strict' });
    expect(kh.lookup('web2', 22).entries.map((e) => e.line)).to.deep.equal([1, 3, 4, 5]);
    expect(kh.lookup('Web2', 2222).entries.map((e) => e.line)).to.deep.equal([7]);
    expect(kh.lookup('web3', 22).entries.map((e) => e.line)).to.deep.equal([3, 6]);
    expect(kh.lookup('db.prod', 22).entries.map((e) => e.line)).to.deep.equal([2]);
  });

  it('computes the same SHA256 fingerprint as ssh-keygen -l', () => {
    const dir = tmpDir();
    const pub = path.join(dir, 'k.pub');
    fs.writeFileSync(pub, `${ed.publicKey}\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pub], { encoding: 'utf8' });
    expect(out.split(' ')[1]).to.equal(fingerprintSha256(blob(ed)));
  });

  it('refuses @revoked keys, ignores @cert-authority lines and comments', () => {
    const dir = tmpDir();
    const ro = path.join(dir, 'ro');
    fs.writeFileSync(ro, [
      '# a comment',
      `@cert-authority *.example ${ec.parsed.type} ${blob(genKey('ecdsa')).toString('base64')}`,
      `@revoked * ${ed2.parsed.type} ${blob(ed2).toString('base64')}`,
      'garbage line',
      '',
    ].join('\n'));
    const kh = new KnownHosts({ writableFile: path.join(dir, 'w'), readOnlyFiles: [ro], policy: 'accept-new' });
    const r = refused(kh.verify('a.example', 22, blob(ed2)));
    expect(r.code).to.equal('DUST_SSH_HOSTKEY_REVOKED');
    expect(r.message).to.contain(`${ro}:3`);
    // The cert-authority key for *.example neither matches nor counts as a changed ecdsa key.
    expect(kh.verify('a.example', 22, blob(ec))).to.deep.equal({ ok: true, recorded: true });
  });

  it('counts a mismatch only against the same key type; a new type is recorded under accept-new', () => {
    const dir = tmpDir();
    const w = path.join(dir, 'kh');
    fs.writeFileSync(w, `# header\n${line('[127.0.0.3]:2222', ed)}\n`);
    const mk = (policy: HostKeyPolicy) => new KnownHosts({ writableFile: w, readOnlyFiles: [], policy });
    const strict = refused(mk('strict').verify('127.0.0.3', 2222, blob(ec)));
    expect(strict.code).to.equal('DUST_SSH_HOSTKEY_UNKNOWN');
    expect(strict.message).to.contain('known with other key types: ssh-ed25519');
    expect(mk('accept-new').verify('127.0.0.3', 2222, blob(ec))).to.deep.equal({ ok: true, recorded: true });
    expect(mk('strict').verify('127.0.0.3', 2222, blob(ec))).to.deep.equal({ ok: true, recorded: false });

    const changed = refused(mk('accept-new').verify('127.0.0.3', 2222, blob(ed2)));
    expect(changed.code).to.equal('DUST_SSH_HOSTKEY_CHANGED');
    expect(changed.message).to.contain(`${w}:2`).and.contain(fingerprintSha256(blob(ed2)));
    expect(changed.hint).to.contain(`ssh-keygen -R '[127.0.0.3]:2222' -f ${w}`);
    expect(mk('off').verify('127.0.0.3', 2222, blob(ed2))).to.deep.equal({ ok: true, recorded: false });

    // The hint's command really removes the stale entry (and only entries for that host).
    execFileSync('ssh-keygen', ['-R', '[127.0.0.3]:2222', '-f', w], { stdio: 'ignore' });
    expect(mk('accept-new').verify('127.0.0.3', 2222, blob(ed2))).to.deep.equal({ ok: true, recorded: true });
  });

  it('accept-new creates the dir 0700 and file 0600, records once however many verify at once', async () => {
    const dir = tmpDir();
    const w = path.join(dir, 'dust-home', 'known_hosts');
    const kh = new KnownHosts({ writableFile: w, readOnlyFiles: [path.join(dir, 'missing')], policy: 'accept-new' });
    const verdicts = await Promise.all(Array.from({ length: 50 }, async (_, i) =>
      kh.verify(`10.0.0.${i % 5}`, 22, blob(ed))));
    expect(verdicts.filter((v) => v.ok && v.recorded)).to.have.length(5);
    expect(verdicts.every((v) => v.ok)).to.equal(true);
    expect(fs.statSync(w).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(w)).mode & 0o777).to.equal(0o700);
    const lines = fs.readFileSync(w, 'utf8').trim().split('\n');
    expect(lines).to.have.length(5);
    expect(lines[0]).to.equal(line('10.0.0.0', ed));
    // A second process-like instance sees them (the file is the truth, not the cache).
    const again = new KnownHosts({ writableFile: w, readOnlyFiles: [], policy: 'strict' });
    expect(again.verify('10.0.0.4', 22, blob(ed))).to.deep.equal({ ok: true, recorded: false });
  });

  it('re-reads a file when it changes on disk, and appends after a line without newline', () => {
    const dir = tmpDir();
    const ro = path.join(dir, 'ro');
    const w = path.join(dir, 'w');
    fs.writeFileSync(ro, '');
    fs.writeFileSync(w, line('other', ec)); // no trailing newline
    const kh = new KnownHosts({ writableFile: w, readOnlyFiles: [ro], policy: 'strict' });
    expect(refused(kh.verify('h1', 22, blob(ed))).code).to.equal('DUST_SSH_HOSTKEY_UNKNOWN');
    fs.writeFileSync(ro, `${line('h1', ed)}\n${line('h1-extra-line-to-change-size', ed)}\n`);
    expect(kh.verify('h1', 22, blob(ed))).to.deep.equal({ ok: true, recorded: false });

    const an = new KnownHosts({ writableFile: w, readOnlyFiles: [], policy: 'accept-new' });
    expect(an.verify('h2', 22, blob(ed))).to.deep.equal({ ok: true, recorded: true });
    expect(fs.readFileSync(w, 'utf8')).to.equal(`${line('other', ec)}\n${line('h2', ed)}\n`);
    // The recorded line number is right, so a later change reports it.
    const changed = refused(an.verify('h2', 22, blob(ed2)));
    expect(changed.message).to.contain(`${w}:2`);
  });

  it('strict refusal names the fingerprint and how to add the key', () => {
    const dir = tmpDir();
    const kh = new KnownHosts({ writableFile: path.join(dir, 'kh'), readOnlyFiles: [], policy: 'strict' });
    const r = refused(kh.verify('127.0.0.9', 2200, blob(ed)));
    expect(r.message).to.contain(fingerprintSha256(blob(ed)));
    expect(r.hint).to.contain('ssh-keyscan -p 2200 127.0.0.9');
    expect(fs.existsSync(path.join(dir, 'kh'))).to.equal(false);
  });
});

describe('known_hosts: real ssh2 handshakes', function () {
  this.timeout(60_000);
  after(cleanupTmp);
  const client = genKey('ed25519');
  const hostA = genKey('ed25519');
  const hostB = genKey('ed25519');

  const spec = (port: number): LoginSpec => ({
    host: '127.0.0.1', port, username: 'tester', identities: keyOnly(client.privateKey), source: 'test', explain: 'test key',
  });

  it('accept-new records with mode 0600, the next connection passes without recording; a new host key is refused', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'home', 'known_hosts');
    const knownHosts = new KnownHosts({ writableFile: file, readOnlyFiles: [], policy: 'accept-new' });
    const a = await startServer({ hostKey: hostA.privateKey, allowedKeys: [client.parsed] });
    let port = a.port;
    try {
      const first = await connectOnce(spec(port), { knownHosts });
      expect(first).to.deep.equal({ output: 'ok\n', recorded: true });
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      const second = await connectOnce(spec(port), { knownHosts });
      expect(second.recorded).to.equal(false);
      expect(fs.readFileSync(file, 'utf8')).to.equal(`[127.0.0.1]:${port} ssh-ed25519 ${blob(hostA).toString('base64')}\n`);
    } finally {
      await a.close();
    }
    // Same address and port, different host key: the "reinstalled / MITM" case.
    const b = await startServer({ hostKey: hostB.privateKey, allowedKeys: [client.parsed] });
    try {
      if (b.port !== port) {
        // Port 0 gave another port; point the recorded entry at it so the test is about keys, not ports.
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(`:${port} `, `:${b.port} `));
        port = b.port;
      }
      const err = await connectOnce(spec(port), { knownHosts }).then(() => undefined, (e: unknown) => e);
      expect(isDustError(err)).to.equal(true);
      const e = err as { code: string; message: string; hint: string };
      expect(e.code).to.equal('DUST_SSH_HOSTKEY_CHANGED');
      expect(e.message).to.contain(`${file}:1`).and.contain(fingerprintSha256(blob(hostB)));
      expect(e.hint).to.contain(`ssh-keygen -R '[127.0.0.1]:${port}' -f ${file}`);
      expect(b.clients.size).to.equal(0);
    } finally {
      await b.close();
    }
  });

  it('strict refuses an unknown host and records nothing', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'known_hosts');
    const knownHosts = new KnownHosts({ writableFile: file, readOnlyFiles: [], policy: 'strict' });
    const a = await startServer({ hostKey: hostA.privateKey, allowedKeys: [client.parsed] });
    try {
      const err = await connectOnce(spec(a.port), { knownHosts }).then(() => undefined, (e: unknown) => e);
      expect((err as { code: string }).code).to.equal('DUST_SSH_HOSTKEY_UNKNOWN');
      expect(fs.existsSync(file)).to.equal(false);
    } finally {
      await a.close();
    }
  });
});

describe('known_hosts: the files OpenSSH uses for each host', () => {
  after(cleanupTmp);
  const ed = genKey('ed25519');
  const ed2 = genKey('ed25519');
  const ec = genKey('ecdsa');

  /** dust's own file, ~/.ssh/known_hosts{,2} and /etc/ssh/ssh_known_hosts{,2} under a temp dir. */
  function layout() {
    const dir = tmpDir();
    const f = {
      dust: path.join(dir, 'dust', 'known_hosts'),
      user: path.join(dir, 'ssh', 'known_hosts'),
      user2: path.join(dir, 'ssh', 'known_hosts2'),
      global: path.join(dir, 'etc', 'ssh_known_hosts'),
      global2: path.join(dir, 'etc', 'ssh_known_hosts2'),
      custom: path.join(dir, 'project', 'kh'),
    };
    for (const p of Object.values(f)) fs.mkdirSync(path.dirname(p), { recursive: true });
    const warnings: string[] = [];
    const kh = (policy: HostKeyPolicy = 'accept-new') => new KnownHosts({
      writableFile: f.dust, readOnlyFiles: [], userFiles: [f.user, f.user2], globalFiles: [f.global, f.global2], policy,
      warn: (m) => warnings.push(m),
    });
    return { dir, f, kh, warnings };
  }

  it('refuses a key that UserKnownHostsFile contradicts, and records nothing anywhere', () => {
    const { f, kh } = layout();
    fs.writeFileSync(f.custom, `${line('[10.0.0.1]:2222', ed)}\n`);
    const r = refused(kh().verify('10.0.0.1', 2222, blob(ed2), { userKnownHostsFiles: [f.custom] }));
    expect(r.code).to.equal('DUST_SSH_HOSTKEY_CHANGED');
    expect(r.message).to.contain(`${f.custom}:1`);
    expect(r.hint).to.contain(`ssh-keygen -R '[10.0.0.1]:2222' -f ${f.custom}`).and.contain('known-hosts forget');
    expect(fs.existsSync(f.dust)).to.equal(false);
    expect(fs.readFileSync(f.custom, 'utf8').trim().split('\n')).to.have.length(1);
  });

  it('reads ~/.ssh/known_hosts2 and both global files by default; an explicit UserKnownHostsFile replaces only the user files', () => {
    const { f, kh } = layout();
    fs.writeFileSync(f.user2, `${line('u2host', ed)}\n`);
    fs.writeFileSync(f.global2, `${line('g2host', ed)}\n`);
    fs.writeFileSync(f.global, `${line('contradicted', ed)}\n`);
    const store = kh('strict');
    expect(store.verify('u2host', 22, blob(ed))).to.deep.equal({ ok: true, recorded: false });
    expect(store.verify('g2host', 22, blob(ed))).to.deep.equal({ ok: true, recorded: false });
    // With UserKnownHostsFile set, ~/.ssh/known_hosts2 is not consulted, the global files still are.
    expect(refused(store.verify('u2host', 22, blob(ed), { userKnownHostsFiles: [f.custom] })).code).to.equal('DUST_SSH_HOSTKEY_UNKNOWN');
    expect(store.verify('g2host', 22, blob(ed), { userKnownHostsFiles: [f.custom] }).ok).to.equal(true);
    expect(refused(store.verify('g2host', 22, blob(ed), { globalKnownHostsFiles: [] })).code).to.equal('DUST_SSH_HOSTKEY_UNKNOWN');
    // A global entry contradicting the key refuses it under accept-new too: nothing is recorded.
    const r = refused(kh().verify('contradicted', 22, blob(ed2)));
    expect(r.message).to.contain(`${f.global}:1`);
    expect(fs.existsSync(f.dust)).to.equal(false);
  });

  it('records new keys in the first UserKnownHostsFile when ssh config names one, else in dust\'s own file', () => {
    const { f, kh } = layout();
    const store = kh();
    expect(store.verify('a', 22, blob(ed), { userKnownHostsFiles: [f.custom, f.user] })).to.deep.equal({ ok: true, recorded: true });
    expect(fs.readFileSync(f.custom, 'utf8')).to.equal(`${line('a', ed)}\n`);
    expect(store.verify('b', 22, blob(ed))).to.deep.equal({ ok: true, recorded: true });
    expect(fs.readFileSync(f.dust, 'utf8')).to.equal(`${line('b', ed)}\n`);
    expect(fs.existsSync(f.user)).to.equal(false);
    // dust's own file is trusted for every host, even one with its own UserKnownHostsFile.
    expect(refused(store.verify('b', 22, blob(ed2), { userKnownHostsFiles: [f.custom] })).message).to.contain(`${f.dust}:1`);
  });

  it('HashKnownHosts records |1|salt|hash entries that dust and ssh-keygen -F both find later', () => {
    const { f, kh } = layout();
    expect(kh().verify('10.9.8.7', 2200, blob(ec), { hashNewEntries: true })).to.deep.equal({ ok: true, recorded: true });
    const text = fs.readFileSync(f.dust, 'utf8');
    expect(text).to.match(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ecdsa-sha2-nistp256 /);
    expect(text).to.not.contain('10.9.8.7');
    expect(kh('strict').verify('10.9.8.7', 2200, blob(ec))).to.deep.equal({ ok: true, recorded: false });
    const found = execFileSync('ssh-keygen', ['-F', '[10.9.8.7]:2200', '-f', f.dust], { encoding: 'utf8' });
    expect(found).to.contain('found: line 1');
  });

  it('HostKeyAlias files the key under the alias', () => {
    const { f, kh } = layout();
    expect(kh().verify('10.0.0.1', 2222, blob(ed), { hostKeyAlias: 'Bastion-Prod' }).ok).to.equal(true);
    expect(fs.readFileSync(f.dust, 'utf8')).to.equal(`${line('bastion-prod', ed)}\n`);
    // Any address with the same alias is the same host for key purposes.
    expect(kh('strict').verify('10.0.0.99', 22, blob(ed), { hostKeyAlias: 'bastion-prod' }).ok).to.equal(true);
  });

  it('a key that cannot be recorded is accepted once with one warning (as ssh does); /dev/null takes nothing', () => {
    const { dir, kh, warnings } = layout();
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o500 });
    const store = kh();
    const target = { userKnownHostsFiles: [path.join(ro, 'kh')] };
    if (process.getuid?.() === 0) return; // root writes anywhere: nothing to test
    expect(store.verify('h1', 22, blob(ed), target)).to.deep.equal({ ok: true, recorded: false });
    expect(store.verify('h2', 22, blob(ed), target)).to.deep.equal({ ok: true, recorded: false });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain(`cannot record host keys in ${path.join(ro, 'kh')}`).and.contain('h1 was accepted');
    for (let i = 0; i < 2; i++) {
      expect(store.verify('ephemeral', 22, blob(i === 0 ? ed : ed2), { userKnownHostsFiles: ['/dev/null'] })).to.deep.equal({ ok: true, recorded: false });
    }
  });

  it('forget removes exact and hashed entries from the files dust writes, keeps a .old copy and mode, and reports the rest', () => {
    const { f, kh } = layout();
    const name = '[10.0.0.5]:2222';
    fs.writeFileSync(f.dust, [
      line('other', ed), line(name, ed), `${hashHostName(name)} ${ec.parsed.type} ${blob(ec).toString('base64')}`,
      line(`web5,${name}`, ed2), line('[10.0.0.*]:2222', ed), `@revoked ${name} ${ed2.parsed.type} ${blob(ed2).toString('base64')}`, '',
    ].join('\n'), { mode: 0o600 });
    fs.writeFileSync(f.custom, `${line(name, ec)}\n`);
    fs.writeFileSync(f.user, `# mine\n${line(name, ed)}\n`);
    const report = kh().forget('10.0.0.5', 2222, { userKnownHostsFiles: [f.custom, f.user] });
    expect(report.name).to.equal(name);
    expect(report.removed.map((e) => `${path.basename(e.file)}:${e.line}`)).to.deep.equal(['kh:1', 'known_hosts:2', 'known_hosts:3', 'known_hosts:4']);
    expect(report.remaining.map((e) => `${path.basename(e.file)}:${e.line}:${e.why}`)).to.deep.equal([
      'known_hosts:2:read-only', 'known_hosts:5:pattern', 'known_hosts:6:revoked',
    ]);
    expect(fs.readFileSync(f.dust, 'utf8').split('\n')).to.deep.equal([
      line('other', ed), line('[10.0.0.*]:2222', ed), `@revoked ${name} ${ed2.parsed.type} ${blob(ed2).toString('base64')}`, '',
    ]);
    expect(fs.statSync(f.dust).mode & 0o777).to.equal(0o600);
    expect(fs.readFileSync(`${f.dust}.old`, 'utf8')).to.contain(line(name, ed));
    expect(fs.readFileSync(f.custom, 'utf8')).to.equal('');
    expect(fs.readFileSync(f.user, 'utf8')).to.contain(line(name, ed));
    // The store sees the change at once: a new ecdsa key is recorded (in the first UserKnownHostsFile), while the
    // pattern line that was left still speaks for ed25519 keys.
    expect(kh().verify('10.0.0.5', 2222, blob(genKey('ecdsa')), { userKnownHostsFiles: [f.custom] })).to.deep.equal({ ok: true, recorded: true });
    expect(refused(kh().verify('10.0.0.5', 2222, blob(genKey('ed25519')), { userKnownHostsFiles: [f.custom] })).message).to.contain(`${f.dust}:2`);
  });
});
