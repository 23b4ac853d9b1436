import type { CommandSpec, DustNode } from '../api.js';
import { DustError, formatError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

/** One known_hosts entry naming a node. */
export interface HostKeyEntry {
  file: string;
  line: number;
  keyType: string;
  fingerprint: string;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** dust records into (and forgets from) this file for the node; the others it only reads. */
  dustWrites: boolean;
}

/** What the SSH layer lends `known-hosts` (src/ssh/ssh-logins.ts implements it). */
export interface HostKeyAdmin {
  /** The name the node's key is filed under (`host`, `[host]:port` or its HostKeyAlias) and every entry for it. */
  show(node: DustNode): Promise<{ name: string; lines: HostKeyEntry[]; writes: string | undefined }>;
  /** Removes the node's entries from the files dust writes for it; says what was removed and what remains. */
  forget(node: DustNode): Promise<{
    name: string;
    removed: Array<{ file: string; line: number; keyType: string }>;
    remaining: Array<{ file: string; line: number; keyType: string; why: 'read-only' | 'pattern' | 'revoked' }>;
  }>;
}

const USAGE = 'known-hosts show|forget <target>';

/**
 * `known-hosts show <target>` lists the host keys that vouch for nodes (ssh-keygen -F); `known-hosts forget
 * <target>` removes them from the files dust writes (ssh-keygen -R) and closes the nodes' sessions, so the
 * next connection learns the new key of a reinstalled node. Keys in files dust only reads are named with the
 * command that removes them.
 */
export function knownHostsCommand(admin: () => HostKeyAdmin | undefined): CommandSpec {
  return {
    name: 'known-hosts',
    usage: USAGE,
    summary: 'show the host keys that vouch for nodes, or forget them after a reinstall (ssh-keygen -F / -R)',
    help: 'show: every known_hosts entry for each node, in the files OpenSSH and dust consult for it (ssh config\n'
      + 'UserKnownHostsFile/GlobalKnownHostsFile, ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts, $DUST_HOME/known_hosts).\n'
      + 'forget: removes the nodes\' entries (hashed ones too) from the files dust writes — $DUST_HOME/known_hosts, and\n'
      + 'the first UserKnownHostsFile when ssh config names one — keeping a copy in <file>.old, and closes their sessions.\n'
      + 'Entries in files dust only reads (~/.ssh/known_hosts) are listed with the ssh-keygen -R line that removes them.\n'
      + 'The next connection then records the node\'s current key (hostKeyChecking accept-new) or refuses it (strict).',
    examples: ['known-hosts show worker3', 'known-hosts forget worker3', 'known-hosts forget worker[0-3]'],
    target: { mode: 'required', position: 1 },
    complete: (ctx) => (ctx.args.length === 0 ? ['show', 'forget'].filter((w) => w.startsWith(ctx.word)) : []),
    async run(ctx) {
      const sub = ctx.positionals[0];
      if (sub !== 'show' && sub !== 'forget') {
        throw new DustError(ErrorCodes.Usage, sub === undefined ? 'known-hosts: show or forget?' : `known-hosts: unknown subcommand '${sub}'`, {
          hint: `usage: ${USAGE}`,
        });
      }
      const keys = admin();
      if (!keys) {
        throw new DustError(ErrorCodes.Usage, 'known-hosts: this dust has no SSH host keys to manage', { hint: 'nodes here are not reached over SSH' });
      }
      let ok = true;
      for (const node of ctx.nodes) {
        try {
          if (sub === 'show') await show(ctx, keys, node);
          else await forget(ctx, keys, node);
        } catch (err) {
          ok = false;
          ctx.out.error(`${node.name}: ${formatError(err)}`);
        }
      }
      return ok;
    },
  };
}

type Ctx = Parameters<CommandSpec['run']>[0];

async function show(ctx: Ctx, keys: HostKeyAdmin, node: DustNode): Promise<void> {
  const found = await keys.show(node);
  if (ctx.out.json) {
    for (const l of found.lines) ctx.out.record({ type: 'host-key', node: node.name, name: found.name, ...l, marker: l.marker ?? null });
  }
  if (found.lines.length === 0) {
    ctx.out.print(`${node.name}  ${found.name}: no known host key${found.writes ? ` (the next connection records one in ${found.writes} under accept-new)` : ''}`);
    return;
  }
  ctx.out.print(`${node.name}  ${found.name}`);
  for (const l of found.lines) {
    const tag = l.marker === 'revoked' ? ' @revoked' : l.dustWrites ? '' : ' (read-only for dust)';
    ctx.out.print(`  ${l.keyType} ${l.fingerprint}  ${l.file}:${l.line}${tag}`);
  }
}

async function forget(ctx: Ctx, keys: HostKeyAdmin, node: DustNode): Promise<void> {
  const r = await keys.forget(node);
  // The open session trusted the old key; the next command reconnects and checks the key afresh.
  await ctx.sessions.close(node);
  if (r.removed.length === 0) {
    ctx.out.print(`${node.name}: no entry for ${r.name} in the files dust writes`);
  } else {
    const where = [...new Set(r.removed.map((e) => e.file))].map((f) => `${f} (copy in ${f}.old)`).join(', ');
    ctx.out.success(`${node.name}: forgot ${r.removed.length} key${r.removed.length === 1 ? '' : 's'} of ${r.name} (${[...new Set(r.removed.map((e) => e.keyType))].join(', ')}) from ${where}`);
  }
  for (const entries of group(r.remaining)) {
    const { file, why } = entries[0]!;
    const lines = entries.map((e) => e.line).join(', ');
    if (why === 'read-only') {
      ctx.out.warn(`${node.name}: ${file} (line ${lines}) still holds a key for ${r.name}, and dust only reads that file; remove it with: ssh-keygen -R '${r.name}' -f ${file}`);
    } else if (why === 'pattern') {
      ctx.out.warn(`${node.name}: ${file} line ${lines} names ${r.name} through a pattern and was left as it is; edit that line by hand if it is stale`);
    } else {
      ctx.out.warn(`${node.name}: ${file} line ${lines} marks a key of ${r.name} @revoked; left as it is`);
    }
  }
}

/** Entries grouped by file and reason, in order of appearance: one line of advice per group. */
function group<T extends { file: string; why: string }>(entries: readonly T[]): T[][] {
  const m = new Map<string, T[]>();
  for (const e of entries) {
    const k = `${e.file}\0${e.why}`;
    m.set(k, [...(m.get(k) ?? []), e]);
  }
  return [...m.values()];
}
