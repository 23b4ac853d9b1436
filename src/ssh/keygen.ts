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
