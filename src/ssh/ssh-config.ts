/**
 * OpenSSH client config (`~/.ssh/config`, then `/etc/ssh/ssh_config`) reader: enough of ssh_config(5) for real
 * users' files — Host patterns, Match (exec included; localnetwork/tagged are warned about), first-obtained-value-
 * wins, Include, tokens and `~` — and a warning with file:line for whatever it skips.
 *
 * The file is parsed once into a tree of blocks (an Include becomes a nested list of blocks, so
 * OpenSSH's "an Include inside an inactive block includes nothing" rule falls out of evaluation).
 * Lookups evaluate the tree in file order, like `ssh -G`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { MatchExecRunner } from './match-exec.js';
import {
  MATCH_CRITERIA, OPENSSH_KEYWORDS, SUPPORTED_MATCH_CRITERIA, checkValue, parseTimeSpec, unsupportedReason,
} from './ssh-config-keywords.js';

/** The settings dust uses for one host, after first-wins resolution and token expansion. */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In file order, `~` and tokens expanded. Empty when none was configured (callers add defaults). */
  identityFiles: string[];
  /**
   * Raw ProxyJump value (`user@host:port[,next...]`) when it is the first of ProxyJump/ProxyCommand obtained
   * (OpenSSH: whichever comes first wins); absent when unset, `none`, or ProxyCommand came first.
   */
  proxyJump?: string;
  /** ProxyCommand as written (tokens not expanded: %r and %p depend on the final login), when it came first. */
  proxyCommand?: string;
  identitiesOnly?: boolean;
  /** `none`, `SSH_AUTH_SOCK`, `$VAR`, or a path with `~` and tokens expanded (environment variables are not). */
  identityAgent?: string;
  strictHostKeyChecking?: string;
  /** UserKnownHostsFile, expanded; `[]` for `none`. Absent when not configured (dust's defaults apply). */
  userKnownHostsFiles?: string[];
  /** GlobalKnownHostsFile, expanded; `[]` for `none`. */
  globalKnownHostsFiles?: string[];
  hashKnownHosts?: boolean;
  /** Name to look the host key up under instead of the host name (HostKeyAlias). */
  hostKeyAlias?: string;
  /** Seconds. */
  connectTimeout?: number;
  /** Seconds. */
  serverAliveInterval?: number;
}

/** A `Host`/`Match` condition; `always` is the implicit block at the top of a file. */
type Condition =
  | { kind: 'always' }
  | { kind: 'host'; patterns: string[] }
  | { kind: 'match'; criteria: MatchCriterion[] };

interface MatchCriterion { negate: boolean; name: string; arg: string | undefined }

interface Directive {
  kind: 'directive';
  /** Lower case. */
  keyword: string;
  /** As written, for messages. */
  name: string;
  args: string[];
  /** The text after the keyword, unsplit (ProxyCommand is handed to the shell as written). */
  raw: string;
  file: string;
  line: number;
}
interface Include { kind: 'include'; blocks: Block[] }

interface Block { condition: Condition; file: string; line: number; items: Array<Directive | Include> }

/** A parsed config (a user file, optionally followed by the system file) with its Includes already read. */
export interface SshConfigFile {
  /** The first file (the user's); `files` lists all of them in the order they are consulted. */
  readonly path: string;
  readonly files: readonly string[];
  readonly blocks: readonly Block[];
  /**
   * Problems that did not stop parsing, each once, `file:line: text`: unknown options, bad values, Match
   * criteria dust cannot evaluate, unreadable includes; later also options that applied but dust cannot honour
   * and Match exec commands that failed to run.
   */
  readonly warnings: readonly string[];
  /** Home directory and local user for `~`, `%d` and `%u`. */
  readonly home: string;
  readonly localUser: string;
  /** Runs and caches `Match exec` commands for this config's lifetime. */
  readonly matchExec: MatchExecRunner;
  /** Calls `listener` with every warning so far and every later one (the shell prints them). */
  onWarning(listener: (message: string) => void): void;
}

/** Options for tests and for system-wide files. */
export interface SshConfigParseOptions {
  home?: string;
  localUser?: string;
  /** Where relative Include paths live; OpenSSH uses ~/.ssh for user files and /etc/ssh for the system file. */
  sshDir?: string;
  /** Runs `Match exec` commands (tests inject one with a short timeout). */
  matchExec?: MatchExecRunner;
}

/** OpenSSH's READCONF_MAX_DEPTH: stops Include cycles. */
const MAX_INCLUDE_DEPTH = 16;
/** Re-evaluations while Match exec results arrive; each adds at least one result, so this is only a backstop. */
const MAX_EXEC_ROUNDS = 64;

/** Parses config text. `file` names it in warnings; Includes are read from disk. */
export function parseSshConfig(text: string, file: string, opts: SshConfigParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const sink = new WarningSink();
  const ctx = parseContext(home, opts.sshDir ?? path.join(home, '.ssh'), sink);
  const blocks = parseText(text, file, ctx, 0);
  return makeConfig([file], blocks, sink, home, opts);
}

/** Reads and parses a config file; a missing file is an empty config. Default `~/.ssh/config`. */
export function loadSshConfig(file?: string, opts: SshConfigParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const target = file ?? path.join(home, '.ssh', 'config');
  return parseSshConfig(readConfigText(target), target, { ...opts, home });
}

/**
 * The user's config followed by the system-wide one, as `ssh` reads them: one set of values where the first
 * obtained wins, so the user's file overrides /etc/ssh/ssh_config. Relative Includes in the system file are
 * taken from its own directory. Either may be undefined (not read); a missing file is empty; an unreadable
 * system file is a warning, not an error (it is not the user's to fix).
 */
export function loadSshConfigs(files: { user?: string | undefined; system?: string | undefined }, opts: SshConfigParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const sink = new WarningSink();
  const blocks: Block[] = [];
  const names: string[] = [];
  if (files.user !== undefined) {
    names.push(files.user);
    blocks.push(...parseText(readConfigText(files.user), files.user, parseContext(home, opts.sshDir ?? path.join(home, '.ssh'), sink), 0));
  }
  if (files.system !== undefined) {
    names.push(files.system);
    let text = '';
    try {
      text = readConfigText(files.system);
    } catch (err) {
      sink.add(`${files.system}: cannot read the system ssh config: ${(err as Error).message}; ignored`);
    }
    blocks.push(...parseText(text, files.system, parseContext(home, path.dirname(files.system), sink), 0));
  }
  return makeConfig(names.length > 0 ? names : ['none'], blocks, sink, home, opts);
}

function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

function makeConfig(files: string[], blocks: Block[], sink: WarningSink, home: string, opts: SshConfigParseOptions): SshConfigFile {
  const matchExec = opts.matchExec ?? new MatchExecRunner();
  matchExec.warn = (m) => sink.add(m);
  const cfg: SshConfigFile = {
    path: files[0]!,
    files,
    blocks,
    warnings: sink.list,
    home,
    localUser: opts.localUser ?? localUserName(),
    matchExec,
    onWarning: (listener) => sink.listen(listener),
  };
  sinks.set(cfg, sink);
  return cfg;
}

/** Each config's warning sink, for warnings found while evaluating (kept off the public interface). */
const sinks = new WeakMap<SshConfigFile, WarningSink>();

const reporters = new WeakMap<object, (message: string) => void>();

/**
 * One reporter of ssh config warnings per output: the inventory (sshConfigHosts) and the logins read the same
 * file, and the inventory re-reads it on refresh; each warning still reaches the user once, prefixed `ssh config:`.
 */
export function sshConfigWarner(out: { warn(message: string): void }): (message: string) => void {
  let r = reporters.get(out);
  if (!r) {
    const seen = new Set<string>();
    r = (message) => {
      if (seen.has(message)) return;
      seen.add(message);
      out.warn(`ssh config: ${message}`);
    };
    reporters.set(out, r);
  }
  return r;
}

/** Values already decided elsewhere, used to evaluate `Match` and to expand %h %p %r. */
export interface LookupOptions {
  /** Other names that select the same host (dust looks a node up by its name and its address together). */
  alsoMatch?: readonly string[];
  hostName?: string;
  user?: string;
  port?: number;
}

/**
 * Resolves the settings for `alias` as `ssh alias` would: blocks are tried in file order and the
 * first value obtained for each keyword wins (IdentityFile accumulates). With `alsoMatch`, a Host
 * block applies when any candidate matches it and no candidate is excluded by a `!pattern`.
 *
 * Synchronous: a `Match exec` block applies only if its command has already run (see resolveHostConfig,
 * which runs them). Use this where no command may run (listing hosts, tests).
 */
export function lookupHost(cfg: SshConfigFile, alias: string, opts: LookupOptions = {}): SshHostConfig {
  return evaluateOnce(cfg, alias, opts).config;
}

/** lookupHost that first runs the `Match exec` commands the evaluation reaches (each once per config). */
export async function resolveHostConfig(cfg: SshConfigFile, alias: string, opts: LookupOptions = {}): Promise<SshHostConfig> {
  for (let round = 0; ; round++) {
    const { config, pendingExec } = evaluateOnce(cfg, alias, opts);
    if (pendingExec.length === 0 || round >= MAX_EXEC_ROUNDS) return config;
    await cfg.matchExec.run(pendingExec);
  }
}

function evaluateOnce(cfg: SshConfigFile, alias: string, opts: LookupOptions): { config: SshHostConfig; pendingExec: string[] } {
  const candidates = [alias, ...(opts.alsoMatch ?? [])].map((c) => c.toLowerCase());
  const state: EvalState = {
    values: new Map(), identityFiles: [], alias, candidates, cfg, opts, pendingExec: [],
  };
  evaluate(cfg.blocks, true, state);
  return { config: finish(cfg, state, opts), pendingExec: state.pendingExec };
}

/** Host names without wildcards or negation, in file order, deduplicated (for the ssh-config inventory). */
export function listConcreteHosts(cfg: SshConfigFile): string[] {
  const seen = new Set<string>();
  const walk = (blocks: readonly Block[]): void => {
    for (const block of blocks) {
      if (block.condition.kind === 'host') {
        for (const p of block.condition.patterns) {
          if (!/[*?!]/.test(p) && p !== '') seen.add(p);
        }
      }
      for (const item of block.items) if (item.kind === 'include') walk(item.blocks);
    }
  };
  walk(cfg.blocks);
  return [...seen];
}

/** Splits a config line's arguments like OpenSSH's argv_split: quotes group, `\` escapes, `#` starts a comment. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    if (text[i] === '#') break;
    let arg = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote === undefined && /\s/.test(c)) break;
      if (c === '\\' && i + 1 < text.length && /["'\\\s]/.test(text[i + 1]!)) {
        arg += text[++i];
      } else if (quote !== undefined && c === quote) {
        quote = undefined;
      } else if (quote === undefined && (c === '"' || c === "'")) {
        quote = c;
      } else {
        arg += c;
      }
    }
    out.push(arg);
  }
  return out;
}

/** OpenSSH `match_pattern`: `*` and `?` wildcards, whole string, case-insensitive. */
export function matchPattern(value: string, pattern: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return value.toLowerCase() === pattern.toLowerCase();
  let re = patternCache.get(pattern);
  if (re === undefined) {
    let src = '^';
    for (const ch of pattern.toLowerCase()) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
    re = new RegExp(`${src}$`, 's');
    // Bounded: patterns come from config and known_hosts files, but never let it grow without limit.
    if (patternCache.size > 10_000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re.test(value.toLowerCase());
}

const patternCache = new Map<string, RegExp>();

/**
 * OpenSSH's pattern-list rule (match_pattern_list): true when some value matches a positive pattern and no
 * value matches a `!pattern`. Host lines, Match criteria and known_hosts host fields all follow it.
 */
export function matchPatternList(values: readonly string[], patterns: readonly string[]): boolean {
  let positive = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pat = negate ? raw.slice(1) : raw;
    for (const value of values) {
      if (!matchPattern(value, pat)) continue;
      if (negate) return false;
      positive = true;
    }
  }
  return positive;
}

/** Comma-separated pattern list with negation (`Match host a,!b`) against one value. */
function patternListMatches(value: string, list: string): boolean {
  return matchPatternList([value], list.split(','));
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParseContext {
  home: string;
  sshDir: string;
  sink: WarningSink;
  /** IgnoreUnknown patterns seen so far: as in OpenSSH, they cover unknown options after them. */
  ignoreUnknown: string[];
}

function parseContext(home: string, sshDir: string, sink: WarningSink): ParseContext {
  return { home, sshDir, sink, ignoreUnknown: [] };
}

/** Collects warnings once each and forwards them to whoever listens (the shell's output). */
class WarningSink {
  readonly list: string[] = [];
  private readonly seen = new Set<string>();
  private listeners: Array<(message: string) => void> = [];

  /** `key` (default: the message) decides what counts as the same warning. */
  add(message: string, key = message): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push(message);
    for (const l of this.listeners) l(message);
  }

  listen(listener: (message: string) => void): void {
    this.listeners.push(listener);
    for (const m of this.list) listener(m);
  }
}

function parseText(text: string, file: string, ctx: ParseContext, depth: number): Block[] {
  const blocks: Block[] = [];
  let current: Block = { condition: { kind: 'always' }, file, line: 0, items: [] };
  blocks.push(current);
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, idx) => {
    const lineNo = idx + 1;
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([^\s=]+)\s*(?:=\s*)?(.*)$/s.exec(line);
    if (!m) return;
    const keyword = m[1]!.toLowerCase();
    const raw = (m[2] ?? '').trim();
    const args = splitArgs(raw);
    const where = `${file}:${lineNo}`;
    if (keyword === 'host') {
      current = { condition: { kind: 'host', patterns: args }, file, line: lineNo, items: [] };
      blocks.push(current);
    } else if (keyword === 'match') {
      current = { condition: { kind: 'match', criteria: parseMatch(args, where, ctx) }, file, line: lineNo, items: [] };
      blocks.push(current);
    } else if (keyword === 'include') {
      current.items.push({ kind: 'include', blocks: readIncludes(args, where, ctx, depth) });
    } else if (!OPENSSH_KEYWORDS.has(keyword)) {
      if (keyword === 'ignoreunknown') return;
      if (!ctx.ignoreUnknown.some((p) => matchPattern(keyword, p))) {
        ctx.sink.add(`${where}: unknown option "${m[1]}"; line ignored (IgnoreUnknown ${m[1]} silences this)`);
      }
    } else {
      if (keyword === 'ignoreunknown') ctx.ignoreUnknown.push(...args.flatMap((a) => a.split(',')));
      const problem = checkValue(keyword, args);
      if (problem !== undefined) {
        ctx.sink.add(`${where}: ${m[1]} ${problem}; line ignored`);
        return;
      }
      current.items.push({ kind: 'directive', keyword, name: m[1]!, args, raw, file, line: lineNo });
    }
  });
  return blocks;
}

function parseMatch(args: string[], where: string, ctx: ParseContext): MatchCriterion[] {
  const criteria: MatchCriterion[] = [];
  for (let i = 0; i < args.length; i++) {
    let name = args[i]!.toLowerCase();
    const negate = name.startsWith('!');
    if (negate) name = name.slice(1);
    const takesArg = !['all', 'canonical', 'final'].includes(name);
    const arg = takesArg ? args[++i] : undefined;
    if (!MATCH_CRITERIA.has(name)) {
      ctx.sink.add(`${where}: unknown Match criterion "${name}"; the block never applies`);
    } else if (!SUPPORTED_MATCH_CRITERIA.has(name)) {
      ctx.sink.add(`${where}: Match ${name} is not supported by dust; the block never applies`);
    } else if (takesArg && arg === undefined) {
      ctx.sink.add(`${where}: Match ${name} needs an argument; the block never applies`);
    }
    criteria.push({ negate, name, arg });
  }
  return criteria;
}

function readIncludes(args: string[], where: string, ctx: ParseContext, depth: number): Block[] {
  if (depth + 1 > MAX_INCLUDE_DEPTH) {
    ctx.sink.add(`${where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep; ignored`);
    return [];
  }
  const blocks: Block[] = [];
  for (const arg of args) {
    let pattern = expandTilde(arg, ctx.home);
    if (!path.isAbsolute(pattern)) pattern = path.join(ctx.sshDir, pattern);
    for (const file of globFiles(pattern)) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        ctx.sink.add(`${where}: cannot read included ${file}: ${(err as Error).message}`);
        continue;
      }
      blocks.push(...parseText(text, file, ctx, depth + 1));
    }
  }
  return blocks;
}

/** glob(3) for Include: wildcards per path segment, sorted, no hidden files unless the pattern says so. */
function globFiles(pattern: string): string[] {
  const parts = pattern.split(path.sep);
  let bases = [parts[0] === '' ? path.sep : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const b of bases) next.push(path.join(b, part));
    } else {
      const isMatch = picomatch(part, { dot: part.startsWith('.') });
      for (const b of bases) {
        let names: string[] = [];
        try { names = fs.readdirSync(b); } catch { /* no such dir: no matches */ }
        for (const n of names.sort()) if (isMatch(n)) next.push(path.join(b, n));
      }
    }
    bases = next;
  }
  return bases.filter((f) => {
    try { return fs.statSync(f).isFile(); } catch { return false; }
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface EvalState {
  /** First directive obtained per keyword. */
  values: Map<string, Directive>;
  identityFiles: string[];
  alias: string;
  candidates: string[];
  cfg: SshConfigFile;
  opts: LookupOptions;
  /** Match exec commands (expanded) whose outcome is not known yet. */
  pendingExec: string[];
}

function evaluate(blocks: readonly Block[], active: boolean, state: EvalState): void {
  for (const block of blocks) {
    const blockActive = active && conditionHolds(block.condition, state);
    for (const item of block.items) {
      if (item.kind === 'include') {
        evaluate(item.blocks, blockActive, state);
      } else if (blockActive) {
        apply(item, state);
      }
    }
  }
}

/** The value `%h` and `Match host` see at this point of the evaluation. */
function currentHost(state: EvalState): string {
  const hn = state.values.get('hostname')?.args[0];
  return hn !== undefined ? expandHostName(hn, state.alias) : state.opts.hostName ?? state.alias;
}

function currentUser(state: EvalState): string {
  return state.opts.user ?? state.values.get('user')?.args[0] ?? state.cfg.localUser;
}

/** Criteria dust cannot evaluate (localnetwork, tagged, ...) never match; they were warned about when parsed. */
function conditionHolds(cond: Condition, state: EvalState): boolean {
  if (cond.kind === 'always') return true;
  if (cond.kind === 'host') return matchPatternList(state.candidates, cond.patterns);
  if (cond.criteria.length === 0) return false;
  for (const c of cond.criteria) {
    let result: boolean;
    switch (c.name) {
      case 'all': result = true; break;
      case 'final': result = true; break; // we evaluate once, which is the final pass
      case 'canonical': result = false; break; // dust never canonicalizes host names
      case 'host': result = c.arg !== undefined && patternListMatches(currentHost(state), c.arg); break;
      case 'originalhost': result = c.arg !== undefined && state.candidates.some((v) => patternListMatches(v, c.arg!)); break;
      case 'user': result = c.arg !== undefined && patternListMatches(currentUser(state), c.arg); break;
      case 'localuser': result = c.arg !== undefined && patternListMatches(state.cfg.localUser, c.arg); break;
      case 'exec': {
        if (c.arg === undefined) return false;
        const command = expandTokens(c.arg, tokenValues(state.cfg, state, {
          h: currentHost(state),
          p: String(state.opts.port ?? intValue(state.values.get('port')?.args[0], 1, 65535) ?? 22),
          r: currentUser(state),
        }));
        const known = state.cfg.matchExec.known(command);
        if (known === undefined) {
          // Not run yet: the block does not apply in this pass; resolveHostConfig runs it and evaluates again.
          state.pendingExec.push(command);
          return false;
        }
        result = known;
        break;
      }
      default: return false;
    }
    if (c.negate) result = !result;
    if (!result) return false;
  }
  return true;
}

function apply(d: Directive, state: EvalState): void {
  if (d.args.length === 0) return;
  if (d.keyword === 'identityfile') {
    state.identityFiles.push(d.args[0]!);
    return;
  }
  if (state.values.has(d.keyword) || shadowedProxy(d, state)) return;
  state.values.set(d.keyword, d);
  const reason = unsupportedReason(d.keyword, d.args);
  if (reason !== undefined) {
    sinks.get(state.cfg)?.add(`${d.file}:${d.line}: ${d.name} ${d.args.join(' ')} applies to ${state.alias}, but ${reason}`, `${d.file}:${d.line}`);
  }
}

/**
 * OpenSSH uses one proxy: whichever of ProxyJump and ProxyCommand is obtained first. `ProxyCommand none`
 * also ends the search for a ProxyJump; `ProxyJump none` does not stop a later ProxyCommand (as `ssh -G`
 * of OpenSSH 9 shows).
 */
function shadowedProxy(d: Directive, state: EvalState): boolean {
  if (d.keyword === 'proxyjump') return state.values.has('proxycommand');
  if (d.keyword === 'proxycommand') {
    const jump = state.values.get('proxyjump');
    return jump !== undefined && jump.args[0]!.toLowerCase() !== 'none';
  }
  return false;
}

function finish(cfg: SshConfigFile, state: EvalState, opts: LookupOptions): SshHostConfig {
  const get = (k: string): string | undefined => state.values.get(k)?.args[0];
  const out: SshHostConfig = { identityFiles: [] };
  const hn = get('hostname');
  if (hn !== undefined) out.hostName = expandHostName(hn, state.alias);
  const user = get('user');
  if (user !== undefined) out.user = user;
  const port = intValue(get('port'), 1, 65535);
  if (port !== undefined) out.port = port;
  const pc = state.values.get('proxycommand');
  const pj = state.values.get('proxyjump');
  if (pc !== undefined && pc.args[0]!.toLowerCase() !== 'none') out.proxyCommand = pc.raw;
  else if (pc === undefined && pj !== undefined && pj.args[0]!.toLowerCase() !== 'none') out.proxyJump = pj.args.join(',').replace(/,+/g, ',');
  const io = boolValue(get('identitiesonly'));
  if (io !== undefined) out.identitiesOnly = io;
  const shk = get('stricthostkeychecking');
  if (shk !== undefined) out.strictHostKeyChecking = shk.toLowerCase();
  const hkh = boolValue(get('hashknownhosts'));
  if (hkh !== undefined) out.hashKnownHosts = hkh;
  const hka = get('hostkeyalias');
  if (hka !== undefined) out.hostKeyAlias = hka;
  const ct = timeValue(get('connecttimeout'));
  if (ct !== undefined) out.connectTimeout = ct;
  const sai = timeValue(get('serveraliveinterval'));
  if (sai !== undefined) out.serverAliveInterval = sai;

  const tokens = tokenValues(cfg, state, {
    h: opts.hostName ?? out.hostName ?? state.alias,
    p: String(opts.port ?? out.port ?? 22),
    r: opts.user ?? out.user ?? cfg.localUser,
  });
  const expandPath = (f: string): string => expandTilde(expandTokens(f, tokens), cfg.home);
  const files = state.identityFiles.filter((f) => f.toLowerCase() !== 'none');
  out.identityFiles = [...new Set(files.map(expandPath))];
  const fileList = (k: string): string[] | undefined => {
    const d = state.values.get(k);
    if (d === undefined) return undefined;
    return d.args[0]!.toLowerCase() === 'none' ? [] : d.args.map(expandPath);
  };
  const ukh = fileList('userknownhostsfile');
  if (ukh !== undefined) out.userKnownHostsFiles = ukh;
  const gkh = fileList('globalknownhostsfile');
  if (gkh !== undefined) out.globalKnownHostsFiles = gkh;
  const agent = get('identityagent');
  if (agent !== undefined) {
    out.identityAgent = agent === 'none' || agent === 'SSH_AUTH_SOCK' || agent.startsWith('$') ? agent : expandPath(agent);
  }
  return out;
}

type TokenValues = Record<string, string>;

/** ssh_config(5) TOKENS, given the host, port and remote user known at this point. */
function tokenValues(cfg: SshConfigFile, state: EvalState, hpr: { h: string; p: string; r: string }): TokenValues {
  const l = safeHostName();
  return {
    ...hpr,
    u: cfg.localUser,
    d: cfg.home,
    n: state.alias,
    i: String(typeof process.getuid === 'function' ? process.getuid() : 0),
    l,
    L: l.split('.')[0] ?? '',
    k: state.values.get('hostkeyalias')?.args[0] ?? hpr.h,
    C: crypto.createHash('sha1').update(`${l}${hpr.h}${hpr.p}${hpr.r}`).digest('hex'),
  };
}

/** Expands `%x` tokens; unknown tokens are left as they are (OpenSSH would refuse the file). */
export function expandTokens(text: string, values: TokenValues): string {
  return text.replace(/%(.)/g, (whole, ch: string) => (ch === '%' ? '%' : values[ch] ?? whole));
}

/** HostName only accepts %h and %% (ssh_config(5)). */
function expandHostName(value: string, alias: string): string {
  return value.replace(/%([h%])/g, (_w, ch: string) => (ch === '%' ? '%' : alias));
}

/** `~` and `~/x` mean the home directory (`~user` is left alone). */
export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function intValue(v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
}

function timeValue(v: string | undefined): number | undefined {
  return v === undefined ? undefined : parseTimeSpec(v);
}

function boolValue(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const l = v.toLowerCase();
  if (l === 'yes' || l === 'true') return true;
  if (l === 'no' || l === 'false') return false;
  return undefined;
}

/** The local login name (`%u`, and the default remote user). */
export function localUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'root';
  }
}

function safeHostName(): string {
  try { return os.hostname(); } catch { return 'localhost'; }
}
