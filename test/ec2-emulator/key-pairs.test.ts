import { execFileSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateKeyPairCommand, DeleteKeyPairCommand, DescribeKeyPairsCommand, ImportKeyPairCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import ssh2 from 'ssh2';
import { expectEc2Error, harness } from './helpers.js';
import { generateEd25519 } from '../../src/ssh/keygen.js';

const { utils } = ssh2;

describe('ec2 emulator: key pairs', function () {
  this.timeout(60_000);

  it('CreateKeyPair ed25519 returns a real OpenSSH private key', async () => {
    const h = harness();
    const c = h.client();
    const out = await c.send(new CreateKeyPairCommand({ KeyName: 'demo-key', KeyType: 'ed25519', TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: 'Cluster', Value: 'demo' }] }] }));
    expect(out.KeyName).to.equal('demo-key');
    expect(out.KeyPairId).to.match(/^key-[0-9a-f]{17}$/);
    expect(out.KeyMaterial).to.match(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(out.KeyMaterial).to.match(/\n-----END OPENSSH PRIVATE KEY-----$/);
    const parsed = utils.parseKey(out.KeyMaterial as string);
    expect(parsed).to.not.be.instanceOf(Error);
    expect((parsed as ssh2.ParsedKey).type).to.equal('ssh-ed25519');
    expect((parsed as ssh2.ParsedKey).isPrivateKey()).to.equal(true);
    expect(out.Tags).to.deep.equal([{ Key: 'Cluster', Value: 'demo' }]);
    expect(out.KeyFingerprint).to.match(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('CreateKeyPair rsa (the default) returns a PEM RSA key with a SHA-1 colon fingerprint', async () => {
    const h = harness();
    const out = await h.client().send(new CreateKeyPairCommand({ KeyName: 'rsa-key' }));
    expect(out.KeyMaterial).to.match(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const key = createPrivateKey(out.KeyMaterial as string);
    expect(key.asymmetricKeyType).to.equal('rsa');
    expect(utils.parseKey(out.KeyMaterial as string)).to.not.be.instanceOf(Error);
    expect(out.KeyFingerprint).to.match(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  });

  it('duplicates, describe, delete', async () => {
    const h = harness();
    const c = h.client();
    await c.send(new CreateKeyPairCommand({ KeyName: 'b-key', KeyType: 'ed25519' }));
    const created = await c.send(new CreateKeyPairCommand({ KeyName: 'a-key', KeyType: 'ed25519' }));
    const dup = await expectEc2Error(c.send(new CreateKeyPairCommand({ KeyName: 'a-key', KeyType: 'ed25519' })), 'InvalidKeyPair.Duplicate');
    expect(dup.message).to.equal("The keypair 'a-key' already exists.");
    await expectEc2Error(c.send(new CreateKeyPairCommand({ KeyName: 'x', KeyType: 'dsa' as never })), 'InvalidParameterValue');

    const all = await c.send(new DescribeKeyPairsCommand({}));
    expect(all.KeyPairs?.map((k) => k.KeyName)).to.deep.equal(['a-key', 'b-key']);
    const a = all.KeyPairs?.[0];
    expect(a?.KeyPairId).to.equal(created.KeyPairId);
    expect(a?.KeyType).to.equal('ed25519');
    expect(a?.KeyFingerprint).to.equal(created.KeyFingerprint);
    expect(a?.CreateTime).to.be.instanceOf(Date);
    expect(a?.PublicKey).to.equal(undefined);
    const withPublic = await c.send(new DescribeKeyPairsCommand({ KeyNames: ['a-key'], IncludePublicKey: true }));
    expect(withPublic.KeyPairs?.[0]?.PublicKey).to.match(/^ssh-ed25519 AAAA\S+ a-key$/);
    const filtered = await c.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['b-*'] }] }));
    expect(filtered.KeyPairs?.map((k) => k.KeyName)).to.deep.equal(['b-key']);
    await expectEc2Error(c.send(new DescribeKeyPairsCommand({ KeyNames: ['nope'] })), 'InvalidKeyPair.NotFound');

    const del = await c.send(new DeleteKeyPairCommand({ KeyName: 'a-key' }));
    expect(del.Return).to.equal(true);
    expect(del.KeyPairId).to.equal(created.KeyPairId);
    // Idempotent, as in EC2.
    expect((await c.send(new DeleteKeyPairCommand({ KeyName: 'a-key' }))).Return).to.equal(true);
    expect((await c.send(new DescribeKeyPairsCommand({}))).KeyPairs?.map((k) => k.KeyName)).to.deep.equal(['b-key']);
  });

  it('ImportKeyPair accepts an OpenSSH public key and rejects garbage', async () => {
    const h = harness();
    const c = h.client();
    const gen = generateEd25519('me@host');
    const pair = { public: gen.publicKey };
    const out = await c.send(new ImportKeyPairCommand({ KeyName: 'imported', PublicKeyMaterial: Buffer.from(pair.public) }));
    expect(out.KeyName).to.equal('imported');
    expect(out.KeyPairId).to.match(/^key-/);
    expect(out.KeyFingerprint).to.match(/=$/);
    const described = await c.send(new DescribeKeyPairsCommand({ KeyNames: ['imported'], IncludePublicKey: true }));
    expect(described.KeyPairs?.[0]?.PublicKey?.split(' ')[1]).to.equal(pair.public.split(' ')[1]);
    await expectEc2Error(
      c.send(new ImportKeyPairCommand({ KeyName: 'bad', PublicKeyMaterial: Buffer.from('not a key') })),
      'InvalidKey.Format',
    );
    await expectEc2Error(
      c.send(new ImportKeyPairCommand({ KeyName: 'imported', PublicKeyMaterial: Buffer.from(pair.public) })),
      'InvalidKeyPair.Duplicate',
    );
  });

  it('ImportKeyPair fingerprints match ssh-keygen (SHA-256 for ed25519, MD5 for rsa) and refuse ecdsa like EC2', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-import-key-'));
    try {
      const make = (type: string, file: string, extra: string[] = []) => {
        execFileSync('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', `me@${type}`, '-f', path.join(dir, file)]);
        return fs.readFileSync(path.join(dir, `${file}.pub`), 'utf8');
      };
      const fingerprint = (file: string, hash: string) =>
        execFileSync('ssh-keygen', ['-l', '-E', hash, '-f', path.join(dir, `${file}.pub`)], { encoding: 'utf8' }).split(' ')[1] as string;
      const c = harness().client();

      const ed = await c.send(new ImportKeyPairCommand({ KeyName: 'ed', PublicKeyMaterial: Buffer.from(make('ed25519', 'ed')) }));
      // ssh-keygen prints base64 without padding; EC2 keeps the '='.
      expect(`SHA256:${(ed.KeyFingerprint as string).replace(/=+$/, '')}`).to.equal(fingerprint('ed', 'sha256'));
      const rsa = await c.send(new ImportKeyPairCommand({ KeyName: 'rsa', PublicKeyMaterial: Buffer.from(make('rsa', 'rsa', ['-b', '2048'])) }));
      expect(`MD5:${rsa.KeyFingerprint}`).to.equal(fingerprint('rsa', 'md5'));
      const described = await c.send(new DescribeKeyPairsCommand({ KeyNames: ['ed', 'rsa'] }));
      expect(described.KeyPairs?.map((k) => [k.KeyName, k.KeyType])).to.deep.equal([['ed', 'ed25519'], ['rsa', 'rsa']]);
      await expectEc2Error(
        c.send(new ImportKeyPairCommand({ KeyName: 'ec', PublicKeyMaterial: Buffer.from(make('ecdsa', 'ec')) })),
        'InvalidKey.Format',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seedKeyPair registers a usable key for the demo', () => {
    const h = harness();
    const seeded = h.core.seedKeyPair('us-east-1', 'demo');
    expect(utils.parseKey(seeded.privateKey)).to.not.be.instanceOf(Error);
    expect(seeded.keyPairId).to.match(/^key-/);
  });
});
