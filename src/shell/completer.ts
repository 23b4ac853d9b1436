import type { ClusterState, CommandSpec, FlagSpec, RegisteredCommand } from '../plugins/api.js';
import type { CommandRegistry } from '../plugins/registry.js';
import type { DustNode } from '../inventory/node.js';
import { nodeProperty } from '../inventory/node.js';
import { describeTargetKeys } from '../targets/index.js';
import { requote, splitForCompletion, type PartialWord } from './tokenize.js';
import { completeLocalPath } from './local-paths.js';
import { LAST_RESULT_KEYS } from './last-results.js';

/**
 * Tab completion: command names at the start, `--flags` of the command, target words where a command takes a
 * target (node names, cluster names, `key=` and their values), local paths where a command says an argument
 * or a flag's value is one (put's file, `!cmd` arguments), and whatever a command's own complete() offers.
 * Returns readline's [candidates, the text at the end of the line they replace]; candidates are written as
 * the word began (inside its open quote, or with backslashes).
 */
/** What plugins provided (`api.provide`), for completions that need an integration (`ctx.use('ec2')`). */
export type ProvidedLookup = (name: string) => unknown;

export async function complete(line: string, registry: CommandRegistry, state: ClusterState, use: ProvidedLookup = () => undefined): Promise<[string[], string]> {
  const text = line.trimStart();
  const prefixCmd = text.length > 0 ? registry.lookupPrefix(text[0]!) : undefined;
  if (prefixCmd) return completePrefixed(prefixCmd, text, state, use);
  const { words, last } = splitForCompletion(line);
  if (words.length === 0) {
    const names = registry.words().filter((n) => n.startsWith(last.value.toLowerCase()) && n !== '?');
    return [names.map((n) => `${n} `), last.raw];
  }
  const cmd = registry.lookup(words[0]!);
  // A line that is no command goes to the fallback (a local program): its arguments are local paths.
  const args = words.slice(1);
  if (!cmd) return registry.fallback ? [await fromSpec(registry.fallback, args, last, state, use), last.raw] : [[], last.raw];
  return [await completeArgs(cmd, args, last, state, use), last.raw];
}

/** `@target cmd`, `!cmd args`: the word glued to the prefix is the target, or the first argument. */
async function completePrefixed(cmd: RegisteredCommand, text: string, state: ClusterState, use: ProvidedLookup): Promise<[string[], string]> {
  const after = text.slice(1);
  const { words, last } = splitForCompletion(after);
  const takesTarget = cmd.spec.target !== undefined && cmd.spec.target.mode !== 'none';
  if (takesTarget) {
    // Only the glued target is dust's to complete; what follows is a command line for the nodes.
    if (words.length > 0 || /^\s/.test(after)) return [[], last.raw];
    const hits = await completeTarget(last.value, state);
    return [hits.map((h) => `${text[0]}${h}`), text];
  }
  return [await fromSpec(cmd, words, last, state, use), last.raw];
}

async function completeArgs(cmd: RegisteredCommand, args: readonly string[], last: PartialWord, state: ClusterState, use: ProvidedLookup): Promise<string[]> {
  const { spec } = cmd;
  const word = last.value;
  const flags = Object.entries(spec.flags ?? {});
  const positionals = positionalArgs(spec, args);
  // remoteCommand: once the target is typed, the rest is a command line for the nodes, not dust's.
  if (spec.remoteCommand && positionals.length > 0) return [];
  const valueOf = flagAwaitingValue(spec, args);
  if (valueOf) return valueOf.path ? completeLocalPath(word, { kind: valueOf.path }).map((c) => requote(c, last)) : fromSpec(cmd, args, last, state, use);
  const eq = /^--([^=]+)=(.*)$/.exec(word);
  if (eq) {
    const f = spec.flags?.[eq[1]!];
    return f?.path ? completeLocalPath(eq[2]!, { kind: f.path }).map((c) => requote(`--${eq[1]!}=${c}`, last)) : [];
  }
  if (word.startsWith('-')) {
    return flags.map(([name]) => `--${name}`).filter((f) => f.startsWith(word)).sort().map((f) => `${f} `);
  }
  const target = spec.target;
  const wantsTarget = (target && target.mode !== 'none' && (target.position ?? 0) === positionals.length) || spec.name === 'show';
  const fromCommand = await fromSpec(cmd, args, last, state, use);
  const fromTarget = wantsTarget ? await completeTarget(word, state) : [];
  return [...new Set([...fromCommand, ...fromTarget])];
}

/** What the command's own complete() offers, quoted as the word began; [] if it has none or fails. */
async function fromSpec(cmd: RegisteredCommand, args: readonly string[], last: PartialWord, state: ClusterState, use: ProvidedLookup): Promise<string[]> {
  if (!cmd.spec.complete) return [];
  try {
    const hits = await cmd.spec.complete({ args, word: last.value, state, use: <T>(name: string) => use(name) as T | undefined, localPaths: (w, kind) => completeLocalPath(w, kind ? { kind } : {}) });
    return hits.map((h) => requote(h, last));
  } catch {
    return []; // a plugin's completion failing must not break typing
  }
}

/** The flag (`--key`, `-k`) that the last argument left waiting for its value, if any. */
function flagAwaitingValue(spec: CommandSpec, args: readonly string[]): FlagSpec | undefined {
  const prev = args[args.length - 1];
  if (prev === undefined || !prev.startsWith('-') || prev.includes('=')) return undefined;
  const f = findFlag(spec, prev);
  return f && f.type !== 'boolean' ? f : undefined;
}

function findFlag(spec: CommandSpec, arg: string): FlagSpec | undefined {
  const entries = Object.entries(spec.flags ?? {});
  if (arg.startsWith('--')) return spec.flags?.[arg.slice(2)];
  return arg.length === 2 ? entries.find(([, f]) => f.short === arg[1])?.[1] : undefined;
}

/** Arguments that are not flags or flag values: what decides which positional the cursor is at. */
function positionalArgs(spec: CommandSpec, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i + 1)];
    if (!a.startsWith('-') || a === '-') {
      out.push(a);
      continue;
    }
    const f = findFlag(spec, a);
    if (f && f.type !== 'boolean' && !a.includes('=')) i++; // its value
  }
  return out;
}

/** Completes the last term of a target expression (after `,`, `&`, `!`, `^`, `(`). */
export async function completeTarget(word: string, state: ClusterState): Promise<string[]> {
  const cut = Math.max(...[',', '&', '!', '^', '('].map((op) => word.lastIndexOf(op)));
  const head = word.slice(0, cut + 1);
  const term = word.slice(cut + 1);
  if (/^file:/i.test(term)) return completeLocalPath(term.slice('file:'.length), { kind: 'file' }).map((p) => `${head}${term.slice(0, 5)}${p}`);
  let nodes: readonly DustNode[];
  try {
    nodes = await state.workingSet();
  } catch {
    return [];
  }
  const lower = term.toLowerCase();
  const eq = term.indexOf('=');
  let candidates: string[];
  if (eq >= 0) {
    const key = term.slice(0, eq);
    candidates = valuesFor(key, nodes, state).map((v) => `${key}=${v}`);
  } else {
    const keys = describeTargetKeys(nodes, LAST_RESULT_KEYS).map((k) => `${k}=`);
    candidates = [...nodes.map((n) => n.name), ...(await state.clusters()), ...keys, 'file:'];
  }
  return [...new Set(candidates.filter((c) => c.toLowerCase().startsWith(lower)))].sort().map((c) => head + c);
}

function valuesFor(key: string, nodes: readonly DustNode[], state: ClusterState): string[] {
  const k = key.toLowerCase();
  const values = new Set<string>();
  for (const n of nodes) {
    if (k === 'last' || k === 'rc') {
      const run = state.lastRun(n);
      const v = k === 'last' ? run?.status : run?.exitCode;
      if (v !== undefined && v !== null) values.add(String(v));
    } else if (k === 'tags' || k === 'tag') for (const [tk, tv] of Object.entries(n.tags)) values.add(`${tk}:${tv}`);
    else if (k === 'annotation' || k === 'annotations') for (const a of Object.keys(n.annotations)) values.add(a);
    else {
      const v = nodeProperty(n, k);
      if (v !== undefined && v !== null && v !== '') values.add(String(v));
    }
    if (values.size > 200) break;
  }
  return [...values];
}
