/**
 * Private key files for ssh2: reads and validates them, asks for a passphrase once per file, and
 * keeps the decrypted key in memory for the session (re-serialized as an unencrypted key so each of
 * hundreds of connections does not pay bcrypt again). The original dust only read RSA keys.
 *
 * Secrets never leave this module: no passphrase or key text goes into an error message, a log
 * line or an error's `cause`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

const { utils } = ssh2;

/** Asks the user for a secret without echo; resolves '' when the user declined. */
export type AskSecret = (prompt: string) => Promise<string>;

export interface PrivateKeyStoreOptions {
  /** The shell's no-echo prompt. Without it, encrypted keys fail with a hint to use ssh-agent. */
  askSecret?: AskSecret;
  /** Where non-fatal warnings go (loose permissions). Default: stderr. */
  warn?: (message: string) => void;
  /** Passphrase attempts per file. Default 3 (like ssh's NumberOfPasswordPrompts). */
  maxAttempts?: number;
}

/** A loaded key: `material` is what ssh2's `ConnectConfig.privateKey` takes. */
export interface LoadedKey {
  file: string;
  type: string;
  /** Unencrypted key text (the file itself when it was not encrypted). */
  material: Buffer;
  wasEncrypted: boolean;
  /** The public key blob (SSH wire format), to match against the agent's keys. */
  publicKey: Buffer;
  /** The parsed key for ssh2's authHandler, signing with one decoded key (see `withCachedSigner`). */
  signer: ParsedKey;
}

/** Caches private keys for one dust session; concurrent loads of one file share one prompt. */
export class PrivateKeyStore {
  private readonly loads = new Map<string, Promise<LoadedKey>>();
  private readonly warned = new Set<string>();
  private readonly encrypted = new Map<string, { signature: string; value: boolean }>();
  /** Prompts are serialized: two encrypted files must not ask at the same time on one terminal. */
  private promptChain: Promise<unknown> = Promise.resolve();
  private readonly askSecret: AskSecret | undefined;
  private readonly warn: (message: string) => void;
  private readonly maxAttempts: number;

  constructor(opts: PrivateKeyStoreOptions = {}) {
    this.askSecret = opts.askSecret;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  /**
   * Loads a key, asking for its passphrase if needed. The result (or failure) is cached per file
   * until `forget`, so a wrong passphrase does not re-prompt for each of 200 nodes.
   */
  load(file: string): Promise<LoadedKey> {
    const abs = path.resolve(file);
    let p = this.loads.get(abs);
    if (!p) {
      p = this.doLoad(abs);
      this.loads.set(abs, p);
    }
    return p;
  }

  /**
   * True when the file exists and is a passphrase-protected key (used to skip keys the agent holds instead of
   * prompting). Remembered per file version: every login of a 200-node command asks about the same files.
   */
  async isEncrypted(file: string): Promise<boolean> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch {
      return false;
    }
    const signature = `${st.mtimeMs}:${st.size}:${st.ino}`;
    const known = this.encrypted.get(file);
    if (known?.signature === signature) return known.value;
    let data: Buffer;
    try {
      data = await fs.promises.readFile(file);
    } catch {
      return false;
    }
    const parsed = utils.parseKey(data);
    const value = parsed instanceof Error && needsPassphrase(parsed);
    this.encrypted.set(file, { signature, value });
    return value;
  }

  /** Drops cached keys (one file, or all), e.g. after the user fixed a file or wants to retry a passphrase. */
  forget(file?: string): void {
    if (file === undefined) this.loads.clear();
    else this.loads.delete(path.resolve(file));
  }

  private async doLoad(file: string): Promise<LoadedKey> {
    let data: Buffer;
    let mode: number;
    try {
      const st = await fs.promises.stat(file);
      if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      mode = st.mode;
      data = await fs.promises.readFile(file);
    } catch (err) {
      throw readError(file, (err as NodeJS.ErrnoException).code);
    }

    const plain = utils.parseKey(data);
    if (!(plain instanceof Error)) {
      const key = first(plain);
      if (!key.isPrivateKey()) {
        throw new DustError(ErrorCodes.SshKey, `${file} is a public key, not a private key`, {
          hint: `point identityFile at the private half (usually ${file.replace(/\.pub$/, '')})`,
        });
      }
      this.warnIfLoose(file, mode);
      return { file, type: key.type, material: data, wasEncrypted: false, publicKey: key.getPublicSSH(), signer: withCachedSigner(key) };
    }
    if (!needsPassphrase(plain)) {
      // ssh2's parser messages describe the format problem only; they never quote key material.
      throw new DustError(ErrorCodes.SshKey, `Cannot use private key ${file}: ${plain.message}`, {
        hint: 'dust reads OpenSSH, PEM and PPK keys of type ed25519, ecdsa and rsa',
      });
    }
    this.warnIfLoose(file, mode);
    return this.decrypt(file, data);
  }

  private warnIfLoose(file: string, mode: number): void {
    if ((mode & 0o077) === 0 || this.warned.has(file)) return;
    this.warned.add(file);
    this.warn(
      `private key ${file} is accessible by others (mode ${(mode & 0o777).toString(8)}); ` +
        `OpenSSH would refuse it. Fix with: chmod 600 ${file}`,
    );
  }

  private async decrypt(file: string, data: Buffer): Promise<LoadedKey> {
    const ask = this.askSecret;
    if (!ask) {
      throw new DustError(ErrorCodes.SshKey, `Private key ${file} is encrypted and dust cannot ask for its passphrase here`, {
        hint: `add it to ssh-agent with: ssh-add ${file}`,
      });
    }
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const prompt = attempt === 1
        ? `Enter passphrase for key '${file}': `
        : `Wrong passphrase, try again (${attempt}/${this.maxAttempts}) for key '${file}': `;
      let secret: string;
      try {
        secret = await this.serializedPrompt(ask, prompt);
      } catch {
        // Deliberately no cause: the prompt's error could carry typed input.
        throw new DustError(ErrorCodes.SshKey, `Passphrase prompt for ${file} was cancelled`, {
          hint: `add the key to ssh-agent (ssh-add ${file}) to avoid the prompt`,
        });
      }
      if (secret === '') {
        throw new DustError(ErrorCodes.SshKey, `No passphrase given for ${file}`, {
          hint: `add the key to ssh-agent (ssh-add ${file}) or enter its passphrase when asked`,
        });
      }
      const parsed = utils.parseKey(data, secret);
      secret = '';
      if (parsed instanceof Error) continue;
      const key = first(parsed);
      return { file, type: key.type, material: unencryptedKeyText(key), wasEncrypted: true, publicKey: key.getPublicSSH(), signer: withCachedSigner(key) };
    }
    throw new DustError(ErrorCodes.SshKey, `Wrong passphrase for ${file} (${this.maxAttempts} attempts)`, {
      hint: 'run the command again to retry, or check the key with: ssh-keygen -y -f ' + file,
    });
  }

  private serializedPrompt(ask: AskSecret, prompt: string): Promise<string> {
    const next = this.promptChain.then(() => ask(prompt));
    this.promptChain = next.catch(() => undefined);
    return next;
  }
}

/**
 * The key with a `sign` that decodes the private key once. ssh2 signs with the key's PEM text, which OpenSSL 3
 * decodes again for every signature: ~0.5 ms of CPU per connection for an ed25519 key, more than the rest of the
 * client's part of a handshake, paid by each of a thousand nodes. Everything else is the parsed key itself (its
 * prototype), so ssh2 takes it as parsed and never re-reads the file text either.
 */
export function withCachedSigner(key: ParsedKey): ParsedKey {
  let decoded: crypto.KeyObject | undefined;
  const slow = key.sign.bind(key);
  const fast = Object.create(key) as ParsedKey;
  fast.sign = (data: Buffer | string, algo?: string): Buffer => {
    // Without a hash named, ssh2 picks the key type's own; only ed25519's (none) is certain here.
    if (algo === undefined && key.type !== 'ssh-ed25519') return slow(data);
    try {
      decoded ??= crypto.createPrivateKey(key.getPrivatePEM());
      return crypto.sign(algo ?? null, typeof data === 'string' ? Buffer.from(data) : data, decoded);
    } catch (err) {
      return err as Buffer; // ssh2's contract: an Error is returned, not thrown
    }
  };
  return fast;
}

function first(k: ParsedKey | ParsedKey[]): ParsedKey {
  const key = Array.isArray(k) ? k[0] : k;
  if (!key) throw new DustError(ErrorCodes.SshKey, 'Key file holds no key');
  return key;
}

/** ssh2 says "Encrypted ... detected, but no passphrase given" for every encrypted format. */
function needsPassphrase(err: Error): boolean {
  return /passphrase|encrypted/i.test(err.message);
}

function readError(file: string, code: string | undefined): DustError {
  if (code === 'ENOENT') {
    return new DustError(ErrorCodes.SshKey, `Private key file not found: ${file}`, {
      hint: 'check identityFile in your login rule or ~/.ssh/config, or create a key with: ssh-keygen -t ed25519',
    });
  }
  if (code === 'EACCES') {
    return new DustError(ErrorCodes.SshKey, `Private key file is not readable: ${file}`, {
      hint: `check its owner and mode (chmod 600 ${file})`,
    });
  }
  return new DustError(ErrorCodes.SshKey, `Cannot read private key file ${file} (${code ?? 'unknown error'})`, {
    hint: 'identityFile must name a readable private key file',
  });
}

/**
 * The decrypted key as unencrypted text ssh2 parses quickly: PEM for rsa/ecdsa (PKCS#1 / SEC1,
 * which ssh2 reads), and a cipher-"none" openssh-key-v1 file for ed25519 (ssh2 cannot read PKCS#8).
 */
function unencryptedKeyText(key: ParsedKey): Buffer {
  if (key.type !== 'ssh-ed25519') return Buffer.from(key.getPrivatePEM());
  const jwk = crypto.createPrivateKey(key.getPrivatePEM()).export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from(jwk.x ?? '', 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = crypto.randomBytes(4);
  let priv = Buffer.concat([
    check, check,
    sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(key.comment ?? ''),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'), sshString('none'), sshString(''),
    u32(1), sshString(pubBlob), sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/(.{70})/g, '$1\n').replace(/\n$/, '');
  return Buffer.from(`-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function sshString(v: string | Buffer): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v) : v;
  return Buffer.concat([u32(b.length), b]);
}
