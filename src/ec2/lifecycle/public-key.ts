import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { parseOpenSshKey } from '../../ssh/keygen.js';

/** A local OpenSSH public key, ready for ImportKeyPair. */
export interface LocalPublicKey {
  file: string;
  type: 'ed25519' | 'rsa';
  /** The single `ssh-… AAAA… comment` line sent to EC2. */
  line: string;
  /** The fingerprint EC2 reports for this key once imported (SHA-256 base64 for ed25519, MD5 hex for rsa). */
  fingerprint: string;
}

function keyError(file: string, what: string, hint: string, cause?: unknown): DustError {
  return new DustError(ErrorCodes.ClusterKey, `cluster key ${file}: ${what}`, { hint, ...(cause === undefined ? {} : { cause }) });
}

const colonHex = (buf: Buffer) => buf.toString('hex').match(/../g)?.join(':') ?? '';

/**
 * Reads the public key a spec names. Only the public half ever leaves the machine: a private key
 * given by mistake is refused without being sent anywhere, as are key types EC2 does not import (ecdsa, dsa).
 */
export function readLocalPublicKey(file: string): LocalPublicKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw keyError(file, missing ? 'no such file' : `cannot read it (${(err as Error).message.split('\n')[0]})`,
      missing ? 'create one with `ssh-keygen -t ed25519`, or set key: in the spec to your public key (.pub)' : 'check its permissions', err);
  }
  if (/PRIVATE KEY-----/.test(text)) {
    throw keyError(file, 'this is a private key; dust only uploads public keys', `point key: at the public half (${file}.pub, or make it with \`ssh-keygen -y -f ${file}\`)`);
  }
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
  const parsed = parseOpenSshKey(line);
  if (!parsed || parsed.isPrivate) {
    throw keyError(file, 'not an OpenSSH public key (expected a line like `ssh-ed25519 AAAA… you@host`)', 'point key: at a .pub file made by ssh-keygen');
  }
  const blob = parsed.publicBlob;
  if (parsed.type === 'ssh-ed25519') {
    return { file, type: 'ed25519', line, fingerprint: createHash('sha256').update(blob).digest('base64') };
  }
  if (parsed.type === 'ssh-rsa') {
    return { file, type: 'rsa', line, fingerprint: colonHex(createHash('md5').update(blob).digest()) };
  }
  throw keyError(file, `EC2 does not import ${parsed.type} keys (only rsa and ed25519)`, 'make an ed25519 key with `ssh-keygen -t ed25519` and point key: at its .pub');
}

/** Whether two fingerprints are the same key (EC2 and tools differ on base64 padding). */
export function sameFingerprint(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  // Hex (MD5/SHA-1) fingerprints compare case-insensitively; base64 ones must not.
  const norm = (f: string) => (f.includes(':') ? f.trim().toLowerCase() : f.trim().replace(/=+$/, ''));
  return norm(a) === norm(b);
}

/**
 * The private key next to a public one (`~/.ssh/id_ed25519.pub` → `~/.ssh/id_ed25519`), when it is
 * there: what a login rule for the cluster should use. Never read here, only located.
 */
export function privateKeyFor(publicKeyFile: string): string | undefined {
  if (!publicKeyFile.endsWith('.pub')) return undefined;
  const candidate = publicKeyFile.slice(0, -'.pub'.length);
  try {
    return fs.statSync(candidate).isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}
