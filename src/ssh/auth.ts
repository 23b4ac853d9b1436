/**
 * Public-key authentication as OpenSSH does it: every configured key, in order, then the agent's other keys.
 * A passphrase-protected key whose public half the agent holds is used through the agent (no prompt); with
 * IdentitiesOnly the agent only offers configured keys. The order becomes an ssh2 `authHandler` list, and the
 * same list, described, is what an authentication failure names.
 */
import fs from 'node:fs';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, IdentityCallback, ParsedKey, PublicKeyEntry, SignCallback, SigningRequestOptions } from 'ssh2';

const { BaseAgent, OpenSSHAgent, utils } = ssh2;

/** One way of proving who we are, in the order it is offered. */
export type LoginIdentity =
  /** A key file, loaded (and decrypted) by dust; `signer` is the parsed key connections sign with. */
  | { kind: 'key'; file: string; privateKey: Buffer; signer?: ParsedKey; label: string }
  /** A key file whose private half is used through the agent (the file is encrypted, the agent holds it). */
  | { kind: 'agent-key'; file: string; publicKey: Buffer; label: string }
  /** The agent's other keys (not under IdentitiesOnly): all but `exclude`, the keys offered above; `count` for messages. */
  | { kind: 'agent'; exclude: Buffer[]; count: number };

/** ssh2 authHandler entries for `identities`, tried in order. */
export function authMethods(username: string, agentSocket: string | undefined, identities: readonly LoginIdentity[]): AnyAuthMethod[] {
  const out: AnyAuthMethod[] = [];
  for (const id of identities) {
    if (id.kind === 'key') out.push({ type: 'publickey', username, key: id.signer ?? id.privateKey });
    else if (agentSocket !== undefined) {
      const agent = id.kind === 'agent-key'
        ? new SelectedKeysAgent(agentSocket, (k) => k.equals(id.publicKey))
        : new SelectedKeysAgent(agentSocket, (k) => !id.exclude.some((x) => x.equals(k)));
      out.push({ type: 'agent', username, agent });
    }
  }
  return out;
}

/** `key ~/.ssh/a (ssh config), key ~/.ssh/b (ssh config, via ssh-agent), ssh-agent (2 other keys)`. */
export function describeIdentities(identities: readonly LoginIdentity[], home?: string): string {
  const short = (f: string): string => (home !== undefined && f.startsWith(`${home}/`) ? `~/${f.slice(home.length + 1)}` : f);
  return identities.map((id) => {
    if (id.kind === 'key') return `key ${short(id.file)} (${id.label})`;
    if (id.kind === 'agent-key') return `key ${short(id.file)} (${id.label}, via ssh-agent)`;
    return `ssh-agent (${id.count} ${id.exclude.length > 0 ? 'other ' : ''}key${id.count === 1 ? '' : 's'})`;
  }).join(', ');
}

/**
 * The agent socket for IdentityAgent (ssh_config(5)): `none` disables it, `SSH_AUTH_SOCK` (the default) and
 * `$VAR` name environment variables, anything else is a path (`~` and tokens already expanded; `${VAR}` here).
 * Undefined when there is no agent to use.
 */
export function agentSocketFor(identityAgent: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const value = identityAgent ?? 'SSH_AUTH_SOCK';
  if (value.toLowerCase() === 'none') return undefined;
  let sock: string | undefined;
  if (value === 'SSH_AUTH_SOCK') sock = env['SSH_AUTH_SOCK'];
  else if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value)) sock = env[value.slice(1)];
  else sock = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_w, v: string) => env[v] ?? '');
  return sock !== undefined && sock !== '' ? sock : undefined;
}

const AGENT_CACHE_MS = 5_000;
const agentCache = new Map<string, { at: number; keys: Promise<Buffer[] | undefined> }>();

/**
 * Public key blobs the agent at `socket` holds, or undefined when it cannot be reached. Cached for a few
 * seconds: a 200-node command asks once, and a key added with ssh-add is seen on the next command.
 */
export function agentPublicKeys(socket: string): Promise<Buffer[] | undefined> {
  const hit = agentCache.get(socket);
  if (hit && Date.now() - hit.at < AGENT_CACHE_MS) return hit.keys;
  const keys = new Promise<Buffer[] | undefined>((resolve) => {
    try {
      if (!fs.statSync(socket).isSocket()) {
        resolve(undefined);
        return;
      }
    } catch {
      resolve(undefined);
      return;
    }
    new OpenSSHAgent(socket).getIdentities((err, list) => {
      resolve(err || !list ? undefined : list.flatMap((k) => blobOf(k) ?? []));
    });
  });
  agentCache.set(socket, { at: Date.now(), keys });
  return keys;
}

/**
 * The public key blob of a private key file without its passphrase: from `<file>.pub`, else from the
 * unencrypted header of an OpenSSH-format key. Undefined when neither says (an encrypted PEM key without .pub).
 */
export function publicKeyOfFile(file: string): Buffer | undefined {
  try {
    const parsed = utils.parseKey(fs.readFileSync(`${file}.pub`));
    if (!(parsed instanceof Error)) return (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH();
  } catch {
    // No .pub next to it: try the key's own header.
  }
  try {
    const text = fs.readFileSync(file, 'utf8');
    const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
    if (!m) return undefined;
    const body = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    const magic = 'openssh-key-v1\0';
    if (body.subarray(0, magic.length).toString('latin1') !== magic) return undefined;
    let off = magic.length;
    const str = (): Buffer => {
      const len = body.readUInt32BE(off);
      const v = body.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      return v;
    };
    str(); str(); str(); // cipher, kdf, kdf options
    const count = body.readUInt32BE(off);
    off += 4;
    return count >= 1 ? Buffer.from(str()) : undefined;
  } catch {
    return undefined;
  }
}

/** The public key blob of what an agent lists (ssh2 gives parsed keys; its types also allow entries). */
function blobOf(k: ParsedKey | PublicKeyEntry): Buffer | undefined {
  if ('getPublicSSH' in k) return k.getPublicSSH();
  const inner = 'getPublicSSH' in k.pubKey ? k.pubKey : utils.parseKey(k.pubKey.pubKey);
  if (inner instanceof Error) return undefined;
  return (Array.isArray(inner) ? inner[0] : inner)?.getPublicSSH();
}

/** The agent at `socket`, offering only the keys `keep` selects (signing is the agent's own). */
class SelectedKeysAgent extends BaseAgent<ParsedKey> {
  private readonly inner: InstanceType<typeof OpenSSHAgent>;

  constructor(socket: string, private readonly keep: (blob: Buffer) => boolean) {
    super();
    this.inner = new OpenSSHAgent(socket);
  }

  getIdentities(cb: IdentityCallback<ParsedKey>): void {
    this.inner.getIdentities((err, keys) => {
      if (err || !keys) return cb(err ?? new Error('no keys from agent'));
      cb(null, keys.filter((k) => {
        const blob = blobOf(k);
        return blob !== undefined && this.keep(blob);
      }));
    });
  }

  sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions, cb?: SignCallback): void;
  sign(pubKey: ParsedKey, data: Buffer, cb: SignCallback): void;
  sign(pubKey: ParsedKey, data: Buffer, optionsOrCb: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
    if (typeof optionsOrCb === 'function') this.inner.sign(pubKey, data, optionsOrCb);
    else this.inner.sign(pubKey, data, optionsOrCb, cb);
  }
}
