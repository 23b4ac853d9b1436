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
