/**
 * known_hosts reading, matching and recording, and the host-key policy (the original dust checked
 * no host keys at all). Files are OpenSSH format so users can share them with `ssh`/`ssh-keygen`.
 *
 * Policy decisions:
 * - A mismatch only counts against a recorded key of the SAME type (ecdsa curves are distinct
 *   types, as in OpenSSH). A host known only with other key types presenting a new type is treated
 *   as "new key type": accept-new records it, strict refuses it as unknown. This is what OpenSSH
 *   does for StrictHostKeyChecking=accept-new/yes ("keys of a different type are already known").
 * - Recorded entries are written unhashed (`host` or `[host]:port`), like HashKnownHosts=no,
 *   so users can read and edit them; hashed entries written by ssh are matched.
 * - `@cert-authority` lines are ignored (dust does not do host certificates); `@revoked` keys are
 *   refused under every policy except `off`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { matchPatternList } from './ssh-config.js';

export type HostKeyPolicy = 'accept-new' | 'strict' | 'off';

export type HostKeyVerdict = { ok: true; recorded: boolean } | { ok: false; error: DustError };

/** One usable known_hosts line. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** Comma-separated patterns, or one hashed `|1|salt|hash` entry. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

interface FileState {
  /** mtime+size+inode; a change means re-read. */
  signature: string;
  entries: KnownHostEntry[];
  /** lookup name → entries that match it, cleared on re-read (hashed entries cost an HMAC each). */
  byName: Map<string, KnownHostEntry[]>;
  /** Number of lines, so recording can name its line without re-reading the file. */
  lineCount: number;
}

/** known_hosts store for one dust process; cheap to call for hundreds of parallel handshakes. */
export class KnownHosts {
  readonly policy: HostKeyPolicy;
  readonly writableFile: string;
  private readonly files: string[];
  private readonly cache = new Map<string, FileState>();

  constructor(opts: { writableFile: string; readOnlyFiles: string[]; policy: HostKeyPolicy }) {
    this.policy = opts.policy;
    this.writableFile = path.resolve(opts.writableFile);
    const ro = opts.readOnlyFiles.map((f) => path.resolve(f)).filter((f) => f !== this.writableFile);
    // The writable file comes last so that a stale entry in the user's own file is reported first.
    this.files = [...new Set(ro), this.writableFile];
  }

  /**
   * Checks a server's host key (the raw blob ssh2's hostVerifier receives). Under accept-new an
   * unknown key is appended to the writable file. Synchronous on purpose: verdicts for concurrent
   * handshakes are serialized, so the same key is never recorded twice by one process.
   * `policy` overrides the store's policy for this host (ssh config StrictHostKeyChecking).
   */
  verify(host: string, port: number, key: Buffer, policy: HostKeyPolicy = this.policy): HostKeyVerdict {
    if (policy === 'off') return { ok: true, recorded: false };
    const name = knownHostsName(host, port);
    let keyType: string;
    try {
      keyType = keyTypeOfBlob(key);
    } catch {
      return { ok: false, error: new DustError(ErrorCodes.SshHostKeyChanged, `${name} sent a malformed host key`) };
    }
    const matching = this.files.flatMap((f) => this.entriesFor(f, name));

    const revoked = matching.find((e) => e.marker === 'revoked' && e.key.equals(key));
    if (revoked) {
      return {
        ok: false,
        error: new DustError(
          ErrorCodes.SshHostKeyRevoked,
          `Host key ${fingerprintSha256(key)} of ${name} is marked @revoked at ${revoked.file}:${revoked.line}; refusing to connect`,
          { hint: 'the server must be given a new host key; do not remove the @revoked line unless you know why it is there' },
        ),
      };
    }
    const plain = matching.filter((e) => e.marker === undefined);
    if (plain.some((e) => e.key.equals(key))) return { ok: true, recorded: false };

    const stale = plain.find((e) => e.keyType === keyType);
    if (stale) return { ok: false, error: changedKeyError(name, keyType, key, stale) };

    if (policy === 'strict') {
      const others = plain.length > 0 ? ` (it is known with other key types: ${[...new Set(plain.map((e) => e.keyType))].join(', ')})` : '';
      return {
        ok: false,
        error: new DustError(
          ErrorCodes.SshHostKeyUnknown,
          `Host key of ${name} is not known${others}: ${keyType} ${fingerprintSha256(key)}; host key checking is strict`,
          {
            hint: `check the fingerprint, then add it with: ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host} >> ${this.writableFile}` +
              ` (or switch the host key policy to accept-new)`,
          },
        ),
      };
    }
    this.record(name, keyType, key);
    return { ok: true, recorded: true };
  }

  /** Every entry currently loaded (re-reading changed files); for `dust doctor`-style listings and tests. */
  entries(): KnownHostEntry[] {
    return this.files.flatMap((f) => this.load(f).entries);
  }

  private entriesFor(file: string, name: string): KnownHostEntry[] {
    const state = this.load(file);
    let hit = state.byName.get(name);
    if (hit === undefined) {
      hit = state.entries.filter((e) => hostsFieldMatches(e.hosts, name));
      state.byName.set(name, hit);
    }
    return hit;
  }

  private load(file: string): FileState {
    const cached = this.cache.get(file);
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch {
      st = undefined;
    }
    const signature = st ? `${st.mtimeMs}:${st.size}:${st.ino}` : 'missing';
    if (cached && cached.signature === signature) return cached;
    let text = '';
    if (st) {
      try { text = fs.readFileSync(file, 'utf8'); } catch { text = ''; }
    }
    const state: FileState = {
      signature,
      entries: parseKnownHosts(text, file),
      byName: new Map(),
      lineCount: text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
    };
    this.cache.set(file, state);
    return state;
  }

  private record(name: string, keyType: string, key: Buffer): void {
    const file = this.writableFile;
    const state = this.load(file);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const line = `${name} ${keyType} ${key.toString('base64')}\n`;
    // One write() of a whole line on an O_APPEND descriptor: concurrent dust processes can interleave
    // lines but not split them.
    const fd = fs.openSync(file, 'a+', 0o600);
    try {
      const before = fs.fstatSync(fd);
      const untouched = `${before.mtimeMs}:${before.size}:${before.ino}` === state.signature ||
        (state.signature === 'missing' && before.size === 0);
      let needsNewline = false;
      if (before.size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, before.size - 1);
        needsNewline = last[0] !== 0x0a;
      }
      fs.writeSync(fd, needsNewline ? `\n${line}` : line);
      const after = fs.fstatSync(fd);
      // Our line is the file's last one; count again only if another process wrote meanwhile.
      const lineNo = untouched ? state.lineCount + 1 : countLines(file);
      state.lineCount = lineNo;
      const entry: KnownHostEntry = { file, line: lineNo, marker: undefined, hosts: name, keyType, key };
      state.entries.push(entry);
      // The new line names exactly `name`, so only that cached lookup changes.
      state.byName.get(name)?.push(entry);
      // If someone else wrote since we read, force a re-read next time so we see their lines too.
      state.signature = untouched ? `${after.mtimeMs}:${after.size}:${after.ino}` : 'stale';
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Wraps a KnownHosts check as ssh2's synchronous `hostVerifier` and remembers why it refused, because
 * ssh2 itself only reports "Host denied (verification failed)".
 */
export function hostKeyCheck(kh: KnownHosts, host: string, port: number, policy?: HostKeyPolicy): {
  hostVerifier: (key: Buffer) => boolean;
  /** The refusal, once the verifier has refused; undefined otherwise. */
  rejection: () => DustError | undefined;
  /** True once the key was newly recorded. */
  recorded: () => boolean;
} {
  let rejection: DustError | undefined;
  let recorded = false;
  return {
    hostVerifier: (key: Buffer) => {
      const verdict = kh.verify(host, port, key, policy ?? kh.policy);
      if (verdict.ok) {
        recorded = verdict.recorded;
        return true;
      }
      rejection = verdict.error;
      return false;
    },
    rejection: () => rejection,
    recorded: () => recorded,
  };
}

/** The name OpenSSH files a host under: `host` on port 22, `[host]:port` otherwise. Lower case. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** OpenSSH fingerprint format: `SHA256:` + unpadded base64 of the blob's SHA-256. */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first SSH string inside the public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('short key blob');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new Error('bad key blob');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parses known_hosts text; malformed lines and comments are skipped. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!.toLowerCase();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ignore the line, as OpenSSH does
    }
    const [hosts, , b64] = fields;
    if (hosts === undefined || b64 === undefined || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    let keyType: string;
    try { keyType = keyTypeOfBlob(key); } catch { return; }
    out.push({ file, line: idx + 1, marker, hosts, keyType, key });
  });
  return out;
}

/** Hashed (`|1|salt|hash`, HMAC-SHA1) or a comma list of patterns with `!` negation. */
export function hostsFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const mac = crypto.createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const want = Buffer.from(hash, 'base64');
    return want.length === mac.length && crypto.timingSafeEqual(mac, want);
  }
  return matchPatternList([name], hosts.split(','));
}

/** Builds a hashed host field (HashKnownHosts format); used by tests and by anyone hashing entries. */
export function hashHostName(name: string, salt: Buffer = crypto.randomBytes(20)): string {
  const mac = crypto.createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

function changedKeyError(name: string, keyType: string, key: Buffer, stale: KnownHostEntry): DustError {
  return new DustError(
    ErrorCodes.SshHostKeyChanged,
    `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it now presents ${keyType} key ${fingerprintSha256(key)}, ` +
      `which does not match the key recorded at ${stale.file}:${stale.line}. ` +
      'Someone could be eavesdropping on you (man-in-the-middle), or the host was reinstalled. Refusing to connect.',
    { hint: `if you trust the new key, remove the stale entry with: ssh-keygen -R '${name}' -f ${stale.file}` },
  );
}

function countLines(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
