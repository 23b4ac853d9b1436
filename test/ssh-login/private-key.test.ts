import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { isDustError } from '../../src/errors/dust-error.js';
import { KnownHosts } from '../../src/ssh/known-hosts.js';
import { PrivateKeyStore } from '../../src/ssh/private-key.js';
import { cleanupTmp, connectOnce, everythingAbout, genKey, keyOnly, sshKeygen, startServer, tmpDir } from './fixtures.js';

const { utils } = ssh2;
const PASS = 'correct horse battery';

function publicOf(file: string): ParsedKey {
  const k = utils.parseKey(fs.readFileSync(`${file}.pub`, 'utf8'));
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? k[0]! : k;
}

/** A scripted no-echo prompt: answers in order, records prompts. */
function scripted(answers: string[]) {
  const prompts: string[] = [];
  return {
    prompts,
    askSecret: async (prompt: string): Promise<string> => {
      prompts.push(prompt);
      await new Promise((r) => setTimeout(r, 5)); // a real prompt resolves later, not synchronously
      return answers.shift() ?? '';
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
}

describe('private keys', function () {
  this.timeout(120_000);
  after(cleanupTmp);

  it('asks once for 10 parallel loads of an encrypted ed25519 key, and the key logs in', async () => {
    const dir = tmpDir();
    const keyFile = sshKeygen(dir, 'id_enc', { passphrase: PASS });
    fs.chmodSync(keyFile, 0o600);
    const ask = scripted([PASS]);
    const warnings: string[] = [];
    const store = new PrivateKeyStore({ askSecret: ask.askSecret, warn: (m) => warnings.push(m) });
    const loaded = await Promise.all(Array.from({ length: 10 }, () => store.load(keyFile)));
    expect(ask.prompts).to.deep.equal([`Enter passphrase for key '${keyFile}': `]);
    expect(new Set(loaded).size).to.equal(1);
    expect(loaded[0]!.wasEncrypted).to.equal(true);
    expect(loaded[0]!.type).to.equal('ssh-ed25519');
    expect(loaded[0]!.material.toString()).to.not.contain(PASS);
    expect(warnings).to.deep.equal([]);
    // Later loads hit the cache.
    await store.load(keyFile);
    expect(ask.prompts).to.have.length(1);

    const host = genKey();
    const server = await startServer({ hostKey: host.privateKey, allowedKeys: [publicOf(keyFile)] });
    try {
      const knownHosts = new KnownHosts({ writableFile: path.join(dir, 'kh'), readOnlyFiles: [], policy: 'accept-new' });
      const r = await connectOnce({
        host: '127.0.0.1', port: server.port, username: 'u', identities: keyOnly(loaded[0]!.material), source: 'test', explain: '',
      }, { knownHosts });
      expect(r.output).to.equal('ok\n');
    } finally {
      await server.close();
    }
  });

  it('signs with the key decoded once: what each type signs verifies with its public key, and it logs in', async () => {
    const dir = tmpDir();
    const files = {
      ed25519: sshKeygen(dir, 'ed', { passphrase: PASS }),
      ecdsa: sshKeygen(dir, 'ec', { type: 'ecdsa' }),
      rsa: sshKeygen(dir, 'rsa', { type: 'rsa' }),
    };
    const store = new PrivateKeyStore({ askSecret: scripted([PASS]).askSecret });
    const data = Buffer.from('session id and userauth request');
    // ssh2 names no hash for ed25519 and ecdsa (the type's own), and sha256/sha512 for rsa-sha2-*.
    for (const [file, algo] of [[files.ed25519, undefined], [files.ecdsa, undefined], [files.rsa, 'sha256'], [files.rsa, 'sha512']] as const) {
      const { signer } = await store.load(file);
      const sig = signer.sign(data, algo);
      expect(sig, `${file} ${algo}`).to.be.instanceOf(Buffer);
      expect(publicOf(file).verify(data, sig, algo), `${file} ${algo}`).to.equal(true);
      expect(publicOf(file).verify(Buffer.from('something else'), sig, algo)).to.equal(false);
      // Still the parsed key in every other respect (ssh2 checks these before using it).
      expect(utils.parseKey(signer as unknown as Buffer)).to.equal(signer);
      expect(signer.isPrivateKey()).to.equal(true);
      expect(signer.getPublicSSH().equals(publicOf(file).getPublicSSH())).to.equal(true);
    }
    const ed = await store.load(files.ed25519);
    const host = genKey();
    const server = await startServer({ hostKey: host.privateKey, allowedKeys: [publicOf(files.ed25519)] });
    try {
      const knownHosts = new KnownHosts({ writableFile: path.join(dir, 'kh'), readOnlyFiles: [], policy: 'accept-new' });
      const r = await connectOnce({
        host: '127.0.0.1', port: server.port, username: 'u', source: 'test', explain: '',
        identities: [{ kind: 'key', file: ed.file, privateKey: Buffer.from('not used: the signer is'), signer: ed.signer, label: 'test' }],
      }, { knownHosts });
      expect(r.output).to.equal('ok\n');
    } finally {
      await server.close();
    }
  });

  it('retries a wrong passphrase, and the passphrases appear in no error', async () => {
    const dir = tmpDir();
    const keyFile = sshKeygen(dir, 'id_retry', { passphrase: PASS });
    const ask = scripted(['wrong-one-1', PASS]);
    const store = new PrivateKeyStore({ askSecret: ask.askSecret });
    const k = await store.load(keyFile);
    expect(k.type).to.equal('ssh-ed25519');
    expect(ask.prompts).to.have.length(2);
    expect(ask.prompts[1]).to.contain('Wrong passphrase, try again (2/3)');

    const bad = scripted(['wrong-AAA', 'wrong-BBB', 'wrong-CCC', PASS]);
    const store2 = new PrivateKeyStore({ askSecret: bad.askSecret });
    const errs = await Promise.all([rejection(store2.load(keyFile)), rejection(store2.load(keyFile))]);
    expect(bad.prompts).to.have.length(3);
    for (const err of errs) {
      expect(isDustError(err)).to.equal(true);
      expect((err as { code: string }).code).to.equal('DUST_SSH_KEY');
      expect((err as Error).message).to.contain(keyFile).and.contain('3 attempts');
      expect((err as Error).cause).to.equal(undefined);
      const all = everythingAbout(err);
      for (const secret of ['wrong-AAA', 'wrong-BBB', 'wrong-CCC', PASS]) expect(all).to.not.contain(secret);
    }
    // Failure is cached (no prompt storm) until forgotten.
    await rejection(store2.load(keyFile));
    expect(bad.prompts).to.have.length(3);
    store2.forget(keyFile);
    expect((await store2.load(keyFile)).wasEncrypted).to.equal(true);
    expect(bad.prompts).to.have.length(4);
  });

  it('reads ecdsa and rsa keys in OpenSSH and PEM formats, encrypted or not', async () => {
    const dir = tmpDir();
    const files = [
      sshKeygen(dir, 'ecdsa', { type: 'ecdsa', passphrase: PASS }),
      sshKeygen(dir, 'rsa', { type: 'rsa', passphrase: PASS }),
      sshKeygen(dir, 'rsa_pem', { type: 'rsa', passphrase: PASS, pem: true }),
      sshKeygen(dir, 'ecdsa_pem', { type: 'ecdsa', passphrase: PASS, pem: true }),
      sshKeygen(dir, 'plain', { type: 'ed25519' }),
    ];
    const ask = scripted([PASS, PASS, PASS, PASS]);
    const store = new PrivateKeyStore({ askSecret: ask.askSecret });
    for (const f of files) {
      const k = await store.load(f);
      const parsed = utils.parseKey(k.material);
      if (parsed instanceof Error) throw parsed;
      const key = Array.isArray(parsed) ? parsed[0]! : parsed;
      expect(key.isPrivateKey()).to.equal(true);
      expect(key.getPublicSSH().equals(publicOf(f).getPublicSSH()), f).to.equal(true);
    }
    expect(ask.prompts).to.have.length(4);
    // Prompts for different files never overlap (one terminal).
    expect(new Set(ask.prompts).size).to.equal(4);
  });

  it('missing file, public key, no prompt available, declined prompt: DUST_SSH_KEY with hints', async () => {
    const dir = tmpDir();
    const store = new PrivateKeyStore();
    const missing = await rejection(store.load(path.join(dir, 'nope')));
    expect((missing as { code: string }).code).to.equal('DUST_SSH_KEY');
    expect((missing as Error).message).to.contain(path.join(dir, 'nope'));
    expect((missing as { hint: string }).hint).to.contain('ssh-keygen');

    const plain = sshKeygen(dir, 'plain');
    const pub = await rejection(store.load(`${plain}.pub`));
    expect((pub as Error).message).to.contain('public key');

    const enc = sshKeygen(dir, 'enc', { passphrase: PASS });
    const noAsk = await rejection(store.load(enc));
    expect((noAsk as { hint: string }).hint).to.contain(`ssh-add ${enc}`);

    const declined = await rejection(new PrivateKeyStore({ askSecret: async () => '' }).load(enc));
    expect((declined as Error).message).to.contain('No passphrase given');
  });

  it('warns once about a group/world readable key', async () => {
    const dir = tmpDir();
    const f = sshKeygen(dir, 'loose');
    fs.chmodSync(f, 0o644);
    const warnings: string[] = [];
    const store = new PrivateKeyStore({ warn: (m) => warnings.push(m) });
    await Promise.all([store.load(f), store.load(f)]);
    store.forget();
    await store.load(f);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain(f).and.contain('chmod 600');
  });
});
