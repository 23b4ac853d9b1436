import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { generateEd25519, parseOpenSshKey } from '../../ssh/keygen.js';

export type KeyPairType = 'rsa' | 'ed25519';

/** Freshly generated key material, shaped as CreateKeyPair returns it. */
export interface GeneratedKeyPair {
  /** Private key: PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`) for rsa, OpenSSH (`BEGIN OPENSSH PRIVATE KEY`) for ed25519, as EC2 returns them. */
  privateKey: string;
  /** OpenSSH public key line. */
  publicKey: string;
  fingerprint: string;
}

const colonHex = (buf: Buffer) => buf.toString('hex').match(/../g)?.join(':') ?? '';

/**
 * Real keys, so demo-mode SSH wiring can be tested end to end. Fingerprints follow EC2's rules for
 * keys it creates: SHA-1 of the PKCS#8 DER private key for rsa, base64 SHA-256 of the public key for ed25519.
 */
export function generateKeyMaterial(type: KeyPairType, comment: string): GeneratedKeyPair {
  if (type === 'ed25519') {
    const pair = generateEd25519(comment);
    const blob = publicBlob(pair.publicKey);
    return {
      privateKey: pair.privateKey.trimEnd(),
      publicKey: pair.publicKey,
      fingerprint: createHash('sha256').update(blob).digest('base64'),
    };
  }
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const parsed = parseOpenSshKey(privateKey);
  if (!parsed) throw new Error('the generated RSA key does not parse');
  const pkcs8 = createPrivateKey(privateKey).export({ type: 'pkcs8', format: 'der' });
  return {
    privateKey: privateKey.trimEnd(),
    publicKey: `ssh-rsa ${parsed.publicBlob.toString('base64')} ${comment}`,
    fingerprint: colonHex(createHash('sha1').update(pkcs8).digest()),
  };
}

function publicBlob(line: string): Buffer {
  return Buffer.from(line.trim().split(/\s+/)[1] ?? '', 'base64');
}

/** An imported OpenSSH public key, or undefined when it is not an rsa or ed25519 key EC2 would accept. */
export function parseImportedPublicKey(
  text: string,
  name: string,
): { type: KeyPairType; publicKey: string; fingerprint: string } | undefined {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  const parsed = parseOpenSshKey(line);
  if (!parsed) return undefined;
  const blob = parsed.publicBlob;
  if (parsed.type === 'ssh-ed25519') {
    return {
      type: 'ed25519',
      publicKey: `ssh-ed25519 ${blob.toString('base64')} ${name}`,
      fingerprint: createHash('sha256').update(blob).digest('base64'),
    };
  }
  if (parsed.type === 'ssh-rsa') {
    // EC2: imported RSA keys get the RFC 4716 §4 MD5 fingerprint.
    return {
      type: 'rsa',
      publicKey: `ssh-rsa ${blob.toString('base64')} ${name}`,
      fingerprint: colonHex(createHash('md5').update(blob).digest()),
    };
  }
  return undefined;
}
