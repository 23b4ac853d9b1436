/**
 * known_hosts reading, matching and recording, and the host-key policy (the original dust checked
 * no host keys at all). Files are OpenSSH format so users can share them with `ssh`/`ssh-keygen`.
 *
 * Which files: for each host, the files OpenSSH would consult — its UserKnownHostsFile (ssh config, default
 * ~/.ssh/known_hosts and ~/.ssh/known_hosts2) and GlobalKnownHostsFile (default /etc/ssh/ssh_known_hosts and
 * ssh_known_hosts2) — plus dust's own `$DUST_HOME/known_hosts` (always: it holds what dust recorded) and any
 * extra trusted files (the demo's). A key is accepted when any of them holds it, and refused when one holds a
 * different key of the same type, so dust never connects, nor records a key, where `ssh` would refuse.
 *
 * Where new keys go: into the first UserKnownHostsFile when ssh config names one for the host (as OpenSSH
 * does: the user chose where that host's keys live), otherwise into dust's own file, so dust never edits
 * ~/.ssh/known_hosts behind the user's back. `HashKnownHosts yes` records the name hashed (`|1|salt|hash`).
 *
 * Policy decisions:
 * - A mismatch only counts against a recorded key of the SAME type (ecdsa curves are distinct
 *   types, as in OpenSSH). A host known only with other key types presenting a new type is treated
 *   as "new key type": accept-new records it, strict refuses it as unknown. This is what OpenSSH
 *   does for StrictHostKeyChecking=accept-new/yes ("keys of a different type are already known").
 * - A key that cannot be recorded (read-only file) is accepted once with a warning, as OpenSSH does.
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

/** What ssh config says about one host's keys; every field optional (dust's defaults apply). */
export interface HostKeyScope {
  /** StrictHostKeyChecking for this host; overrides the store's policy. */
  policy?: HostKeyPolicy;
  /** UserKnownHostsFile: replaces the default user files; the first is where new keys are recorded. `[]` = none. */
  userKnownHostsFiles?: readonly string[];
  /** GlobalKnownHostsFile: replaces the default global files. `[]` = none. */
  globalKnownHostsFiles?: readonly string[];
  /** HashKnownHosts: record new entries hashed. */
  hashNewEntries?: boolean;
  /** HostKeyAlias: look the key up (and record it) under this name instead of host/port. */
  hostKeyAlias?: string;
}

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

/** Files consulted for one host, and the one new keys go to (undefined: none, e.g. `UserKnownHostsFile none`). */
export interface HostKeyFiles {
  read: string[];
  write: string | undefined;
}

/** What `forget` did: entries removed from files dust writes, and entries left in files it only reads. */
export interface ForgetReport {
  name: string;
  removed: KnownHostEntry[];
  /** Entries still naming the host: in read-only files, or lines with patterns (`*.prod`) that dust leaves alone. */
  remaining: Array<KnownHostEntry & { why: 'read-only' | 'pattern' | 'revoked' }>;
}

interface FileState {
  /** mtime+size+inode; a change means re-read. */
  signature: string;
  entries: KnownHostEntry[];
  /**
   * Entries whose hosts field is a plain list of names (no `*`, `?`, `!`, not hashed), by each lower-cased name.
   * Looking a host up among them is one map read, where testing every entry made a thousand-node start quadratic.
   */
  literal: Map<string, KnownHostEntry[]>;
  /** The other entries (patterns, negations, hashed names): each is tested against the name. */
  patterned: KnownHostEntry[];
  /** lookup name → entries that match it, cleared on re-read (hashed entries cost an HMAC each). */
  byName: Map<string, KnownHostEntry[]>;
  /** Number of lines, so recording can name its line without re-reading the file. */
  lineCount: number;
}

export interface KnownHostsOptions {
  /** dust's own file ($DUST_HOME/known_hosts): always read; new keys go here unless ssh config says otherwise. */
  writableFile: string;
  /** Always trusted, never written (the demo's host keys). */
  readOnlyFiles: readonly string[];
  /** OpenSSH's default UserKnownHostsFile (~/.ssh/known_hosts, ~/.ssh/known_hosts2), read-only for dust. */
  userFiles?: readonly string[];
  /** OpenSSH's default GlobalKnownHostsFile (/etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2). */
  globalFiles?: readonly string[];
  policy: HostKeyPolicy;
  /** Non-fatal problems (a key that could not be recorded). Default: stderr. */
  warn?: (message: string) => void;
}

/** known_hosts store for one dust process; cheap to call for hundreds of parallel handshakes. */
export class KnownHosts {
  readonly policy: HostKeyPolicy;
  readonly writableFile: string;
  private readonly readOnly: string[];
  private readonly userFiles: string[];
  private readonly globalFiles: string[];
  private readonly warn: (message: string) => void;
  private readonly cache = new Map<string, FileState>();
  private readonly unwritable = new Set<string>();

  constructor(opts: KnownHostsOptions) {
    this.policy = opts.policy;
    this.writableFile = path.resolve(opts.writableFile);
    this.readOnly = opts.readOnlyFiles.map((f) => path.resolve(f));
    this.userFiles = (opts.userFiles ?? []).map((f) => path.resolve(f));
    this.globalFiles = (opts.globalFiles ?? []).map((f) => path.resolve(f));
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
  }

  /**
   * The files for a host under `scope`. dust's own file comes last (after the user's and the system's) so that
   * a stale entry in a file the user maintains is the one reported; when ssh config names a UserKnownHostsFile
   * that file comes first and takes the new keys.
   */
  filesFor(scope: HostKeyScope = {}): HostKeyFiles {
    const explicit = scope.userKnownHostsFiles?.map((f) => path.resolve(f));
    const read = [
      ...(explicit ?? this.userFiles),
      ...(scope.globalKnownHostsFiles?.map((f) => path.resolve(f)) ?? this.globalFiles),
      ...this.readOnly,
      this.writableFile,
    ];
    return { read: [...new Set(read)], write: explicit ? explicit[0] : this.writableFile };
  }

  /**
   * Checks a server's host key (the raw blob ssh2's hostVerifier receives). Under accept-new an
   * unknown key is appended to the host's write file. Synchronous on purpose: verdicts for concurrent
   * handshakes are serialized, so the same key is never recorded twice by one process.
   */
  verify(host: string, port: number, key: Buffer, scope: HostKeyScope = {}): HostKeyVerdict {
    const policy = scope.policy ?? this.policy;
    if (policy === 'off') return { ok: true, recorded: false };
    const name = lookupName(host, port, scope);
    let keyType: string;
    try {
      keyType = keyTypeOfBlob(key);
    } catch {
      return { ok: false, error: new DustError(ErrorCodes.SshHostKeyChanged, `${name} sent a malformed host key`) };
    }
    const files = this.filesFor(scope);
    const matching = files.read.flatMap((f) => this.entriesFor(f, name));

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
    if (stale) return { ok: false, error: changedKeyError(name, keyType, key, stale, this.isWritable(stale.file, files)) };

    if (policy === 'strict') {
      const others = plain.length > 0 ? ` (it is known with other key types: ${[...new Set(plain.map((e) => e.keyType))].join(', ')})` : '';
      const target = files.write ?? this.writableFile;
      return {
        ok: false,
        error: new DustError(
          ErrorCodes.SshHostKeyUnknown,
          `Host key of ${name} is not known${others}: ${keyType} ${fingerprintSha256(key)}; host key checking is strict`,
          {
            hint: `check the fingerprint, then add it with: ssh-keyscan ${port === 22 ? '' : `-p ${port} `}${host} >> ${target}` +
              ` (or switch the host key policy to accept-new)`,
          },
        ),
      };
    }
    if (files.write === undefined) return { ok: true, recorded: false };
    return { ok: true, recorded: this.record(files.write, name, keyType, key, scope.hashNewEntries === true) };
  }

  /** Every entry naming this host in the files consulted for it, in file order (for `known-hosts show`). */
  lookup(host: string, port: number, scope: HostKeyScope = {}): { name: string; files: HostKeyFiles; entries: KnownHostEntry[] } {
    const name = lookupName(host, port, scope);
    const files = this.filesFor(scope);
    return { name, files, entries: files.read.flatMap((f) => this.entriesFor(f, name)) };
  }

  /**
   * Removes the host's entries from the files dust writes for it (its own file, and the UserKnownHostsFile ssh
   * config names), like `ssh-keygen -R`: whole lines naming it exactly or by hash, a backup in `<file>.old`.
   * @revoked lines and lines with wildcard patterns stay, and are reported with what the read-only files hold.
   */
  forget(host: string, port: number, scope: HostKeyScope = {}): ForgetReport {
    const { name, files, entries } = this.lookup(host, port, scope);
    const report: ForgetReport = { name, removed: [], remaining: [] };
    const removeByFile = new Map<string, Set<number>>();
    for (const e of entries) {
      if (e.marker === 'cert-authority') continue;
      if (!this.isWritable(e.file, files)) report.remaining.push({ ...e, why: 'read-only' });
      else if (e.marker === 'revoked') report.remaining.push({ ...e, why: 'revoked' });
      else if (!namesExactly(e.hosts, name)) report.remaining.push({ ...e, why: 'pattern' });
      else {
        report.removed.push(e);
        removeByFile.set(e.file, (removeByFile.get(e.file) ?? new Set()).add(e.line));
      }
    }
    for (const [file, lines] of removeByFile) removeLines(file, lines);
    return report;
  }

  /** Every entry currently loaded from the default files (re-reading changed files); for listings and tests. */
  entries(): KnownHostEntry[] {
    return this.filesFor().read.flatMap((f) => this.load(f).entries);
  }

  private isWritable(file: string, files: HostKeyFiles): boolean {
    return file === this.writableFile || file === files.write;
  }

  private entriesFor(file: string, name: string): KnownHostEntry[] {
    const state = this.load(file);
    let hit = state.byName.get(name);
    if (hit === undefined) {
      const literal = state.literal.get(name) ?? [];
      const patterned = state.patterned.filter((e) => hostsFieldMatches(e.hosts, name));
      // In file order, as a scan of every line would give them.
      hit = patterned.length === 0 ? [...literal] : [...literal, ...patterned].sort((a, b) => a.line - b.line);
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
    if (st?.isFile()) {
      try { text = fs.readFileSync(file, 'utf8'); } catch { text = ''; }
    }
    const entries = parseKnownHosts(text, file);
    const state: FileState = {
      signature,
      entries,
      literal: new Map(),
      patterned: [],
      byName: new Map(),
      lineCount: text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0),
    };
    for (const e of entries) indexEntry(state, e);
    this.cache.set(file, state);
    return state;
  }

  /** Appends one entry; false when it was not kept (a file that cannot be written: one warning per file; /dev/null). */
  private record(file: string, name: string, keyType: string, key: Buffer, hashed: boolean): boolean {
    const state = this.load(file);
    const hosts = hashed ? hashHostName(name) : name;
    const line = `${hosts} ${keyType} ${key.toString('base64')}\n`;
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // One write() of a whole line on an O_APPEND descriptor: concurrent dust processes can interleave
      // lines but not split them.
      fd = fs.openSync(file, 'a+', 0o600);
    } catch (err) {
      if (!this.unwritable.has(file)) {
        this.unwritable.add(file);
        this.warn(`cannot record host keys in ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
          `${name} was accepted without being recorded, as ssh does`);
      }
      return false;
    }
    try {
      const before = fs.fstatSync(fd);
      const isFile = before.isFile();
      const untouched = `${before.mtimeMs}:${before.size}:${before.ino}` === state.signature ||
        (state.signature === 'missing' && before.size === 0);
      let needsNewline = false;
      if (isFile && before.size > 0) {
        const last = Buffer.alloc(1);
        fs.readSync(fd, last, 0, 1, before.size - 1);
        needsNewline = last[0] !== 0x0a;
      }
      fs.writeSync(fd, needsNewline ? `\n${line}` : line);
      // /dev/null (UserKnownHostsFile /dev/null) takes the line and keeps nothing: accepted, not recorded.
      if (!isFile) return false;
      const after = fs.fstatSync(fd);
      // Our line is the file's last one; count again only if another process wrote meanwhile.
      const lineNo = untouched ? state.lineCount + 1 : countLines(file);
      state.lineCount = lineNo;
      const entry: KnownHostEntry = { file, line: lineNo, marker: undefined, hosts, keyType, key };
      state.entries.push(entry);
      indexEntry(state, entry);
      // The new line names exactly `name`, so only that cached lookup changes.
      state.byName.get(name)?.push(entry);
      // If someone else wrote since we read, force a re-read next time so we see their lines too.
      state.signature = untouched ? `${after.mtimeMs}:${after.size}:${after.ino}` : 'stale';
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Files an entry under each of its names, or with the entries that must be tested one by one. */
function indexEntry(state: FileState, e: KnownHostEntry): void {
  if (e.hosts.startsWith('|') || /[*?!]/.test(e.hosts)) {
    state.patterned.push(e);
    return;
  }
  for (const h of new Set(e.hosts.toLowerCase().split(','))) {
    if (h === '') continue;
    const list = state.literal.get(h);
    if (list) list.push(e);
    else state.literal.set(h, [e]);
  }
}

/** The name a host's key is filed under: HostKeyAlias when set, else `host` / `[host]:port`. */
function lookupName(host: string, port: number, scope: HostKeyScope): string {
  return scope.hostKeyAlias !== undefined ? scope.hostKeyAlias.toLowerCase() : knownHostsName(host, port);
}

/** True when the hosts field names `name` itself (hashed, or in its comma list without wildcards). */
function namesExactly(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) return hostsFieldMatches(hosts, name);
  return hosts.split(',').some((h) => h.toLowerCase() === name);
}

/** Rewrites `file` without the given lines (1-based), keeping its mode; the previous text goes to `<file>.old`. */
function removeLines(file: string, lines: ReadonlySet<number>): void {
  const text = fs.readFileSync(file, 'utf8');
  const mode = fs.statSync(file).mode & 0o777;
  const kept = text.split('\n').filter((_, i) => !lines.has(i + 1)).join('\n');
  fs.writeFileSync(`${file}.old`, text, { mode });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, kept, { mode });
  fs.renameSync(tmp, file);
}

/**
 * Wraps a KnownHosts check as ssh2's synchronous `hostVerifier` and remembers why it refused, because
 * ssh2 itself only reports "Host denied (verification failed)".
 */
export function hostKeyCheck(kh: KnownHosts, host: string, port: number, scope: HostKeyScope = {}): {
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
      const verdict = kh.verify(host, port, key, scope);
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

function changedKeyError(name: string, keyType: string, key: Buffer, stale: KnownHostEntry, dustWrites: boolean): DustError {
  return new DustError(
    ErrorCodes.SshHostKeyChanged,
    `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}: it now presents ${keyType} key ${fingerprintSha256(key)}, ` +
      `which does not match the key recorded at ${stale.file}:${stale.line}. ` +
      'Someone could be eavesdropping on you (man-in-the-middle), or the host was reinstalled. Refusing to connect.',
    {
      hint: `if you trust the new key, remove the stale entry with: ssh-keygen -R '${name}' -f ${stale.file}` +
        (dustWrites ? ' (or, in dust: known-hosts forget <node>)' : ''),
    },
  );
}

function countLines(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
