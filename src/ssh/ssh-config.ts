/**
 * OpenSSH client config (`~/.ssh/config`) reader: enough of ssh_config(5) for real users' files —
 * Host patterns, a safe subset of Match, first-obtained-value-wins, Include, tokens and `~`.
 *
 * The file is parsed once into a tree of blocks (an Include becomes a nested list of blocks, so
 * OpenSSH's "an Include inside an inactive block includes nothing" rule falls out of evaluation).
 * Lookups evaluate the tree in file order, like `ssh -G`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';

/** The settings dust uses for one host, after first-wins resolution and token expansion. */
export interface SshHostConfig {
  hostName?: string;
  user?: string;
  port?: number;
  /** In file order, `~` and tokens expanded. Empty when none was configured (callers add defaults). */
  identityFiles: string[];
  /** Raw ProxyJump value (`user@host:port[,next...]`); absent when unset or `none`. */
  proxyJump?: string;
  identitiesOnly?: boolean;
  strictHostKeyChecking?: string;
  userKnownHostsFiles?: string[];
  connectTimeout?: number;
  serverAliveInterval?: number;
}

/** A `Host`/`Match` condition; `always` is the implicit block at the top of a file. */
type Condition =
  | { kind: 'always' }
  | { kind: 'host'; patterns: string[] }
  | { kind: 'match'; criteria: MatchCriterion[] };

interface MatchCriterion { negate: boolean; name: string; arg: string | undefined }

interface Directive { kind: 'directive'; keyword: string; args: string[]; file: string; line: number }
interface Include { kind: 'include'; blocks: Block[] }

interface Block { condition: Condition; file: string; line: number; items: Array<Directive | Include> }

/** A parsed config file with its Includes already read. Opaque to callers: use the functions below. */
export interface SshConfigFile {
  readonly path: string;
  readonly blocks: readonly Block[];
  /** Problems that did not stop parsing (bad numbers, unreadable includes), `file:line: text`. */
  readonly warnings: string[];
  /** Home directory and local user for `~`, `%d` and `%u`. */
  readonly home: string;
  readonly localUser: string;
}

/** Options for tests and for system-wide files. */
export interface SshConfigParseOptions {
  home?: string;
  localUser?: string;
  /** Where relative Include paths live; OpenSSH uses ~/.ssh for user files. */
  sshDir?: string;
}

/** OpenSSH's READCONF_MAX_DEPTH: stops Include cycles. */
const MAX_INCLUDE_DEPTH = 16;

/** Parses config text. `file` names it in warnings; Includes are read from disk. */
export function parseSshConfig(text: string, file: string, opts: SshConfigParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const localUser = opts.localUser ?? localUserName();
  const ctx: ParseContext = { home, sshDir: opts.sshDir ?? path.join(home, '.ssh'), warnings: [] };
  const blocks = parseText(text, file, ctx, 0);
  return { path: file, blocks, warnings: ctx.warnings, home, localUser };
}

/** Reads and parses a config file; a missing file is an empty config. Default `~/.ssh/config`. */
export function loadSshConfig(file?: string, opts: SshConfigParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const target = file ?? path.join(home, '.ssh', 'config');
  let text = '';
  try {
    text = fs.readFileSync(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return parseSshConfig(text, target, { ...opts, home });
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
 */
export function lookupHost(cfg: SshConfigFile, alias: string, opts: LookupOptions = {}): SshHostConfig {
  const candidates = [alias, ...(opts.alsoMatch ?? [])].map((c) => c.toLowerCase());
  const state: EvalState = { values: new Map(), identityFiles: [], alias, candidates, localUser: cfg.localUser };
  evaluate(cfg.blocks, true, state);
  return finish(cfg, state, opts);
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

interface ParseContext { home: string; sshDir: string; warnings: string[] }

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
    const args = splitArgs(m[2] ?? '');
    const where = `${file}:${lineNo}`;
    if (keyword === 'host') {
      current = { condition: { kind: 'host', patterns: args }, file, line: lineNo, items: [] };
      blocks.push(current);
    } else if (keyword === 'match') {
      current = { condition: { kind: 'match', criteria: parseMatch(args, where, ctx) }, file, line: lineNo, items: [] };
      blocks.push(current);
    } else if (keyword === 'include') {
      current.items.push({ kind: 'include', blocks: readIncludes(args, where, ctx, depth) });
    } else {
      current.items.push({ kind: 'directive', keyword, args, file, line: lineNo });
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
    if (takesArg && arg === undefined) ctx.warnings.push(`${where}: Match ${name} needs an argument; block ignored`);
    criteria.push({ negate, name, arg });
  }
  return criteria;
}

function readIncludes(args: string[], where: string, ctx: ParseContext, depth: number): Block[] {
  if (depth + 1 > MAX_INCLUDE_DEPTH) {
    ctx.warnings.push(`${where}: Include nested more than ${MAX_INCLUDE_DEPTH} deep; ignored`);
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
        ctx.warnings.push(`${where}: cannot read included ${file}: ${(err as Error).message}`);
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
  values: Map<string, string[]>;
  identityFiles: string[];
  alias: string;
  candidates: string[];
  localUser: string;
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

/** Match support is deliberately small: criteria we cannot evaluate safely (exec, localnetwork...) never match. */
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
      case 'host': {
        const hn = state.values.get('hostname')?.[0];
        const value = hn !== undefined ? expandHostName(hn, state.alias) : state.alias;
        result = c.arg !== undefined && patternListMatches(value, c.arg);
        break;
      }
      case 'originalhost': result = c.arg !== undefined && state.candidates.some((v) => patternListMatches(v, c.arg!)); break;
      case 'user': {
        const user = state.values.get('user')?.[0] ?? state.localUser;
        result = c.arg !== undefined && patternListMatches(user, c.arg);
        break;
      }
      case 'localuser': result = c.arg !== undefined && patternListMatches(state.localUser, c.arg); break;
      default: return false; // exec, localnetwork, tagged, unknown: not evaluated, so the block is skipped
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
  if (!state.values.has(d.keyword)) state.values.set(d.keyword, d.args);
}

function finish(cfg: SshConfigFile, state: EvalState, opts: LookupOptions): SshHostConfig {
  const get = (k: string): string | undefined => state.values.get(k)?.[0];
  const out: SshHostConfig = { identityFiles: [] };
  const hn = get('hostname');
  if (hn !== undefined) out.hostName = expandHostName(hn, state.alias);
  const user = get('user');
  if (user !== undefined) out.user = user;
  const port = intValue(get('port'), 1, 65535);
  if (port !== undefined) out.port = port;
  const pj = state.values.get('proxyjump');
  if (pj !== undefined && pj[0]!.toLowerCase() !== 'none') out.proxyJump = pj.join(',').replace(/,+/g, ',');
  const io = boolValue(get('identitiesonly'));
  if (io !== undefined) out.identitiesOnly = io;
  const shk = get('stricthostkeychecking');
  if (shk !== undefined) out.strictHostKeyChecking = shk.toLowerCase();
  const ct = intValue(get('connecttimeout'), 0, 2 ** 31);
  if (ct !== undefined) out.connectTimeout = ct;
  const sai = intValue(get('serveraliveinterval'), 0, 2 ** 31);
  if (sai !== undefined) out.serverAliveInterval = sai;

  const tokens: TokenValues = {
    h: opts.hostName ?? out.hostName ?? state.alias,
    p: String(opts.port ?? out.port ?? 22),
    r: opts.user ?? out.user ?? cfg.localUser,
    u: cfg.localUser,
    d: cfg.home,
    n: state.alias,
    i: String(typeof process.getuid === 'function' ? process.getuid() : 0),
    l: safeHostName(),
    L: safeHostName().split('.')[0] ?? '',
  };
  const files = state.identityFiles.filter((f) => f.toLowerCase() !== 'none');
  out.identityFiles = [...new Set(files.map((f) => expandTilde(expandTokens(f, tokens), cfg.home)))];
  const ukh = state.values.get('userknownhostsfile');
  if (ukh !== undefined && ukh[0]!.toLowerCase() !== 'none') {
    out.userKnownHostsFiles = ukh.map((f) => expandTilde(expandTokens(f, tokens), cfg.home));
  }
  return out;
}

type TokenValues = Record<string, string>;

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
