import ssh2 from 'ssh2';

const { utils } = ssh2;

/** Wire blob of a well-formed ed25519 public key: 4+11 ("ssh-ed25519") + 4+32 bytes. */
export const ED25519_BLOB_LENGTH = 51;

/**
 * An OpenSSH-format ed25519 key pair from ssh2's generator. ssh2 1.17 strips leading zero bytes from the
 * 32-byte public key (mscdex/ssh2#1390), so about 1 key in 256 comes out broken and OpenSSH refuses it;
 * such pairs are discarded. Every place dust generates ed25519 keys goes through here.
 */
export function generateEd25519(comment = ''): { privateKey: string; publicKey: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    const publicKey = pair.public.trim();
    const blob = Buffer.from(publicKey.split(/\s+/)[1] ?? '', 'base64');
    if (blob.length === ED25519_BLOB_LENGTH) return { privateKey: pair.private, publicKey };
  }
}

/**
 * An OpenSSH key (a public key line, or unencrypted private key text) as ssh2 reads it: its type (`ssh-ed25519`,
 * `ssh-rsa`, …), the public blob, and whether it was the private half. Undefined when it is no key. For code
 * outside src/ssh that needs a key's fingerprint (EC2's ImportKeyPair) without importing ssh2 itself.
 */
export function parseOpenSshKey(text: string): { type: string; publicBlob: Buffer; isPrivate: boolean } | undefined {
  const parsed = utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed)) return undefined;
  return { type: parsed.type, publicBlob: parsed.getPublicSSH(), isPrivate: parsed.isPrivateKey() };
}
