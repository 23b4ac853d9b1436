/**
 * The demo cluster's SSH keys: one ed25519 host key per node and one client key, generated in-process (the demo
 * must work on a machine without OpenSSH) and persisted, so a second `npm start` presents the same host keys
 * and known_hosts entries stay valid.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { ED25519_BLOB_LENGTH, generateEd25519 as generateWellFormedEd25519 } from '../ssh/keygen.js';

const { utils } = ssh2;

/** A key pair as stored on disk: OpenSSH private key text and `ssh-ed25519 AAAA...` (no comment). */
export interface DemoKeyPair {
  privateKey: string;
  publicKey: string;
  parsed: ParsedKey;
}

/** An ed25519 pair with the public key as `ssh-ed25519 AAAA...` (no comment), as the demo stores it. */
export function generateEd25519(comment: string): { privateKey: string; publicKey: string } {
  const pair = generateWellFormedEd25519(comment);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey.split(/\s+/).slice(0, 2).join(' ') };
}

function parsePrivate(text: string): ParsedKey | undefined {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed) || !parsed.isPrivateKey()) return undefined;
  return parsed;
}

/** `ssh-ed25519 AAAA...` for a parsed key. */
export function publicKeyLine(key: ParsedKey): string {
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

/**
 * Reads the key at `privatePath` (writing `privatePath.pub` next to it), or generates and stores a new one when
 * the file is missing, unreadable as a key, or one of ssh2's broken keys. Files are 0600.
 */
export function loadOrCreateKey(privatePath: string, comment: string): DemoKeyPair {
  if (existsSync(privatePath)) {
    const parsed = parsePrivate(readFileSync(privatePath, 'utf8'));
    if (parsed && parsed.type === 'ssh-ed25519' && parsed.getPublicSSH().length === ED25519_BLOB_LENGTH) {
      chmodSync(privatePath, 0o600);
      const publicKey = publicKeyLine(parsed);
      writeKeyFile(`${privatePath}.pub`, `${publicKey} ${comment}\n`);
      return { privateKey: readFileSync(privatePath, 'utf8'), publicKey, parsed };
    }
  }
  const pair = generateEd25519(comment);
  const parsed = parsePrivate(pair.privateKey);
  if (!parsed) throw new Error(`ssh2 generated an unparsable key for ${privatePath}`);
  writeKeyFile(privatePath, pair.privateKey);
  writeKeyFile(`${privatePath}.pub`, `${pair.publicKey} ${comment}\n`);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, parsed };
}

function writeKeyFile(filePath: string, text: string): void {
  writeFileSync(filePath, text, { mode: 0o600 });
  chmodSync(filePath, 0o600); // mode only applies when the file is created
}
