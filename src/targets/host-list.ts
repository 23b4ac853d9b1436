import { DustError, isDustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { expandNodeRange } from './nodeset.js';
import { MAX_EXPANSION } from './range.js';
import { printable } from '../errors/printable.js';

/**
 * Host lists as pdsh (`-w ^file`) and pssh (`-h file`) read them, for the `file:PATH` target:
 *
 *     # comment                       blank lines and comments are ignored; `#` after a space starts one too
 *     web1                            a node name or an address
 *     root@10.0.0.5:2222              pssh's [user@]host[:port]
 *     node[01-10]                     ClusterShell ranges expand (node[01-10],gpu1 on one line is two sets)
 *     10.0.0.6 admin                  pssh's second field: the user
 *     [fe80::1]:22  fe80::2           IPv6, in brackets when a port follows
 *
 * Pure: the caller reads the file (src/inventory/host-files.ts) and hands its text here.
 */
export interface HostEntry {
  /** 1-based line of the file. */
  readonly line: number;
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  /** `[user@]host[:port]`, the entry written back canonically: the name of the ad-hoc node it may become. */
  readonly key: string;
}

export interface HostList {
  /** The file as the user named it (messages) … */
  readonly file: string;
  readonly entries: readonly HostEntry[];
}

/** Source of nodes made up from host-list lines that name no inventory node. */
export const HOSTFILE_SOURCE = 'hostfile';

function lineError(file: string, line: number, problem: string, hint: string): DustError {
  return new DustError(ErrorCodes.HostFile, printable(`${file}:${line}: ${problem}`), { hint });
}

/** Hex groups and colons, an optional dotted IPv4 tail, an optional %zone: loose, but no `host:22:x` slips through. */
const IPV6 = /^[0-9a-f:]*:[0-9a-f:]*(?:\d+\.\d+\.\d+\.\d+)?(?:%[\w.-]+)?$/i;

const FORMAT_HINT = 'each line is [user@]host[:port] (pssh), optionally followed by a user; # starts a comment';

/**
 * Parses a host list. Duplicate entries (same user, host and port) are kept once, at their first line.
 * @throws DustError DUST_HOST_FILE naming `file:line` and what is wrong there.
 */
export function parseHostList(text: string, file: string): HostList {
  const entries: HostEntry[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const content = (lines[i] ?? '').replace(/(^|\s)#.*$/, '').trim();
    if (content === '') continue;
    const fields = content.split(/\s+/);
    if (fields.length > 2) {
      throw lineError(file, lineNo, `expected one host (and an optional user), got ${fields.length} fields in '${content}'`, FORMAT_HINT);
    }
    const [spec = '', extraUser] = fields;
    const parsed = parseHostSpec(spec, file, lineNo);
    if (extraUser !== undefined && parsed.user !== undefined && parsed.user !== extraUser) {
      throw lineError(file, lineNo, `two users ('${parsed.user}' and '${extraUser}') in '${content}'`, FORMAT_HINT);
    }
    const user = parsed.user ?? extraUser;
    let hosts: string[];
    try {
      hosts = parsed.bracketed ? [parsed.host] : expandNodeRange(parsed.host);
    } catch (err) {
      if (!isDustError(err)) throw err;
      throw lineError(file, lineNo, `${err.message.replace(/^target: /, '')}`, err.hint ?? FORMAT_HINT);
    }
    for (const host of hosts) {
      const key = entryKey(user, host, parsed.port);
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push({ line: lineNo, user, host, port: parsed.port, key });
      if (entries.length > MAX_EXPANSION) {
        throw lineError(file, lineNo, `more than ${MAX_EXPANSION} hosts`, 'split the list into several files');
      }
    }
  }
  return { file, entries };
}

function entryKey(user: string | undefined, host: string, port: number | undefined): string {
  const h = port !== undefined && host.includes(':') ? `[${host}]` : host;
  return `${user === undefined ? '' : `${user}@`}${h}${port === undefined ? '' : `:${port}`}`;
}

function parseHostSpec(spec: string, file: string, line: number): { user: string | undefined; host: string; port: number | undefined; bracketed: boolean } {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : undefined;
  let rest = at >= 0 ? spec.slice(at + 1) : spec;
  if (user === '') throw lineError(file, line, `empty user before '@' in '${spec}'`, FORMAT_HINT);
  let port: string | undefined;
  let bracketed = false;
  const v6 = /^\[([^\]]*:[^\]]*)\](?::(.*))?$/.exec(rest);
  if (v6 && !IPV6.test(v6[1] ?? '')) {
    throw lineError(file, line, `'${v6[1] ?? ''}' in brackets is not an IPv6 address`, FORMAT_HINT);
  }
  if (v6) {
    // `[fe80::1]:22`: brackets around an address with colons are IPv6, not a ClusterShell range.
    rest = v6[1] ?? '';
    port = v6[2];
    bracketed = true;
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const colon = rest.indexOf(':');
    port = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  } else if (rest.includes(':')) {
    // Several colons: a bare IPv6 address (no port, no ranges), or a mistake such as `host:22:x`.
    if (!IPV6.test(rest)) {
      throw lineError(file, line, `'${rest}' is neither host:port nor an IPv6 address`, 'write IPv6 with a port as [fe80::1]:22');
    }
    bracketed = true;
  }
  if (rest === '') throw lineError(file, line, `no host in '${spec}'`, FORMAT_HINT);
  if (port === undefined) return { user, host: rest, port: undefined, bracketed };
  const n = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    throw lineError(file, line, `port '${port}' is not a number from 1 to 65535 in '${spec}'`, FORMAT_HINT);
  }
  return { user, host: rest, port: n, bracketed };
}

/** The parts of a node (or of a node draft) that a host-list entry is matched against. */
export interface HostCandidate {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly source: string;
  readonly props: Readonly<Record<string, unknown>>;
}

/** What one entry names. `conflict`: the entry names a node by name but says another user or port. */
export type EntryMatch<N> = { readonly nodes: readonly N[] } | { readonly conflict: N };

/**
 * Looks entries up among nodes, the same way when the inventory decides which entries become ad-hoc nodes
 * and when a target selects: an inventory node whose NAME is the host (case-insensitive); else inventory
 * nodes at that ADDRESS (and port, and user, when the entry gives them); else the ad-hoc node made from
 * the entry (source `hostfile`). Built once per node list, so a 10,000-line file is not 10,000 scans.
 */
export class HostIndex<N extends HostCandidate> {
  private readonly byName = new Map<string, N[]>();
  private readonly byAddress = new Map<string, N[]>();
  private readonly adHoc = new Map<string, N>();

  constructor(nodes: Iterable<N>) {
    const add = (map: Map<string, N[]>, key: string, n: N): void => {
      const list = map.get(key);
      if (list) list.push(n);
      else map.set(key, [n]);
    };
    for (const n of nodes) {
      if (n.source === HOSTFILE_SOURCE) {
        const key = n.props['hostfile_entry'];
        if (typeof key === 'string') this.adHoc.set(key, n);
        continue;
      }
      add(this.byName, n.name.toLowerCase(), n);
      add(this.byAddress, n.host.toLowerCase(), n);
    }
  }

  match(entry: HostEntry): EntryMatch<N> {
    const named = this.byName.get(entry.host.toLowerCase());
    if (named) {
      const conflict = named.find((n) => (entry.user !== undefined && entry.user !== n.user) || (entry.port !== undefined && entry.port !== n.port));
      return conflict === undefined ? { nodes: named } : { conflict };
    }
    const at = (this.byAddress.get(entry.host.toLowerCase()) ?? [])
      .filter((n) => (entry.port === undefined || entry.port === n.port) && (entry.user === undefined || entry.user === n.user));
    if (at.length > 0) return { nodes: at };
    const made = this.adHoc.get(entry.key);
    return { nodes: made ? [made] : [] };
  }
}

/** The error for an entry that names a node by name but contradicts its login. */
export function entryConflict(list: HostList, entry: HostEntry, node: HostCandidate): DustError {
  const says = entry.user !== undefined && entry.user !== node.user ? `user ${entry.user}` : `port ${entry.port ?? ''}`;
  const has = entry.user !== undefined && entry.user !== node.user ? `user ${node.user ?? '(default)'}` : `port ${node.port}`;
  return new DustError(ErrorCodes.HostFile,
    printable(`${list.file}:${entry.line}: '${entry.key}' says ${says}, but node ${node.name} logs in with ${has}`), {
      hint: `write just '${entry.host}' to use the node's login, or change its login with a rule (assign ${node.name} --user …)`,
    });
}
