/**
 * Checks what a plugin hands to `registerCommand` and `on` at the moment it does so, so a typo
 * (`mode: 'optinal'`, `type: 'int'`, `on('node:lsot')`) fails the plugin's load with the key that is wrong
 * instead of being accepted silently and surfacing later as the user's problem.
 */
import type { CommandSpec, DustEvents, FlagType, TargetMode } from './api.js';
import { closestWord } from '../text/closest-word.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { locationInFile } from './source-location.js';

/** A problem with a spec: `key` is the path of the offending key (`flags.disk.type`), `hint` what to write. */
export class SpecProblem extends Error {
  constructor(readonly problem: string, readonly hint: string) {
    super(problem);
  }
}

// The keys each part of a spec may have. `satisfies` keeps them in step with api.ts: a key added there
// without being added here is a compile error, and the runtime check below rejects anything else.
const COMMAND_KEYS = {
  name: true, aliases: true, prefix: true, fallback: true, remoteCommand: true, usage: true, summary: true, help: true,
  examples: true, target: true, flags: true, complete: true, run: true,
} as const satisfies Record<keyof CommandSpec, true>;
const TARGET_KEYS = { mode: true, states: true, position: true, emptyOk: true } as const satisfies Record<keyof NonNullable<CommandSpec['target']>, true>;
const FLAG_KEYS = { type: true, short: true, description: true, multiple: true, path: true } as const satisfies Record<keyof NonNullable<CommandSpec['flags']>[string], true>;
const TARGET_MODES = { none: true, optional: true, required: true } as const satisfies Record<TargetMode, true>;
const FLAG_TYPES = { boolean: true, string: true, number: true } as const satisfies Record<FlagType, true>;
const PATH_KINDS = ['file', 'directory'];

/** Every event a plugin can subscribe to (kept complete by the `satisfies`). */
const EVENTS = {
  'command:before': true, 'command:after': true, 'node:finished': true, 'node:connected': true, 'node:lost': true, 'inventory:refreshed': true,
  'pod:spec': true,
} as const satisfies Record<keyof DustEvents, true>;
export const EVENT_NAMES: readonly (keyof DustEvents)[] = Object.keys(EVENTS) as (keyof DustEvents)[];

const COMMAND_WORD = /^[A-Za-z][\w-]*$/;
const FLAG_NAME = /^[A-Za-z0-9][\w-]*$/;
const DOCS = 'see docs/plugins.md#commandspec';

/**
 * The one line a plugin author sees: plugin, file (with the line of the offending call when the stack
 * shows it), the key and what to write instead.
 */
export function specError(problem: SpecProblem, plugin: string, source: string): DustError {
  return new DustError(ErrorCodes.PluginInvalid, `plugin '${plugin}' (${locationInFile(problem, source) ?? source}): ${problem.problem}`, { hint: problem.hint });
}

/** Throws a SpecProblem for the first thing wrong with `spec`. */
export function validateCommandSpec(spec: unknown): asserts spec is CommandSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new SpecProblem(`registerCommand() got ${describe(spec)}, not a command definition`, 'pass { name, usage, summary, run(ctx) { ... } }');
  }
  const s = spec as Record<string, unknown>;
  const name = s['name'];
  if (typeof name !== 'string' || !COMMAND_WORD.test(name)) {
    throw new SpecProblem(`a command with an invalid name ${describe(name)}`, 'name is one word: a letter, then letters, digits, - or _ (e.g. name: \'deploy\')');
  }
  const at = (key: string, problem: string, hint: string): never => {
    throw new SpecProblem(`command '${name}': ${key} ${problem}`, hint);
  };
  unknownKeys(s, COMMAND_KEYS, (key, guess) => at(key, 'is not a command spec key', `${guess ? `did you mean '${guess}'? ` : ''}known keys: ${Object.keys(COMMAND_KEYS).join(', ')}`));
  for (const key of ['usage', 'summary'] as const) {
    if (typeof s[key] !== 'string' || s[key] === '') at(key, `is ${s[key] === undefined ? 'missing' : describe(s[key])}`, `a command needs name, usage, summary and run(ctx); ${DOCS}`);
  }
  if (typeof s['run'] !== 'function') at('run', `is ${s['run'] === undefined ? 'missing' : describe(s['run'])}`, `a command needs run(ctx), the function that does its work; ${DOCS}`);
  if (s['help'] !== undefined && typeof s['help'] !== 'string') at('help', `is ${describe(s['help'])}`, 'help is a string (several lines are fine)');
  if (s['complete'] !== undefined && typeof s['complete'] !== 'function') at('complete', `is ${describe(s['complete'])}`, 'complete(ctx) is a function returning the candidates');
  for (const key of ['fallback', 'remoteCommand'] as const) {
    if (s[key] !== undefined && typeof s[key] !== 'boolean') at(key, `is ${describe(s[key])}`, `${key} is true or false`);
  }
  stringList(s, 'examples', at);
  const aliases = stringList(s, 'aliases', at);
  const words = new Set([name.toLowerCase()]);
  for (const [i, alias] of aliases.entries()) {
    // Looser than names: `?` is help's alias. One word is all the line parser needs.
    if (!/^\S+$/.test(alias)) at(`aliases[${i}]`, `${describe(alias)} is not one word`, 'an alias is one word without spaces, like the name');
    if (words.has(alias.toLowerCase())) at(`aliases[${i}]`, `repeats '${alias}'`, 'each alias once, and not the command\'s own name (names are case-insensitive)');
    words.add(alias.toLowerCase());
  }
  const prefix = s['prefix'];
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length !== 1 || /[\w\s]/.test(prefix))) {
    at('prefix', `${describe(prefix)} is not one punctuation character`, 'a prefix is one character that is not a letter, digit, _ or space (like @ or !)');
  }
  validateTarget(s['target'], at);
  validateFlags(s['flags'], at);
}

/** Throws a SpecProblem when `event` is no event or `handler` no function. */
export function validateSubscription(event: unknown, handler: unknown): void {
  if (typeof event !== 'string' || !(event in EVENTS)) {
    const guess = typeof event === 'string' ? closestWord(event, EVENT_NAMES) : undefined;
    throw new SpecProblem(`on(${describe(event)}): no such event`, `${guess ? `did you mean '${guess}'? ` : ''}events: ${EVENT_NAMES.join(', ')}`);
  }
  if (typeof handler !== 'function') throw new SpecProblem(`on('${event}'): the handler is ${describe(handler)}`, 'pass a function: api.on(\'node:lost\', ({ node, reason }) => { ... })');
}

type At = (key: string, problem: string, hint: string) => never;

function validateTarget(target: unknown, at: At): void {
  if (target === undefined) return;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) at('target', `is ${describe(target)}`, "target is an object: { mode: 'optional', states: ['running'] }");
  const t = target as Record<string, unknown>;
  unknownKeys(t, TARGET_KEYS, (key, guess) => at(`target.${key}`, 'is not a target key', `${guess ? `did you mean '${guess}'? ` : ''}known keys: ${Object.keys(TARGET_KEYS).join(', ')}`));
  const mode = t['mode'];
  if (typeof mode !== 'string' || !(mode in TARGET_MODES)) {
    const guess = typeof mode === 'string' ? closestWord(mode, Object.keys(TARGET_MODES)) : undefined;
    at('target.mode', `is ${mode === undefined ? 'missing' : describe(mode)}`, `${guess ? `did you mean '${guess}'? ` : ''}mode is one of ${Object.keys(TARGET_MODES).map((m) => `'${m}'`).join(', ')}`);
  }
  const states = t['states'];
  if (states !== undefined) {
    if (typeof states === 'string') at('target.states', `is the string '${states}'`, `states is a list: states: ['${states}']`);
    if (!Array.isArray(states) || states.length === 0 || states.some((x) => typeof x !== 'string' || x === '')) {
      at('target.states', `is ${describe(states)}`, "states is a non-empty list of node states, e.g. ['running']; leave it out for any state");
    }
  }
  const position = t['position'];
  if (position !== undefined && (typeof position !== 'number' || !Number.isInteger(position) || position < 0)) {
    at('target.position', `is ${describe(position)}`, 'position is the index of the positional argument that is the target: 0, 1, ...');
  }
  if (t['emptyOk'] !== undefined && typeof t['emptyOk'] !== 'boolean') at('target.emptyOk', `is ${describe(t['emptyOk'])}`, 'emptyOk is true or false');
}

function validateFlags(flags: unknown, at: At): void {
  if (flags === undefined) return;
  if (typeof flags !== 'object' || flags === null || Array.isArray(flags)) {
    at('flags', `is ${describe(flags)}`, "flags is an object keyed by flag name: { shout: { type: 'boolean', short: 's', description: '...' } }");
  }
  const shorts = new Map<string, string>();
  for (const [flag, f] of Object.entries(flags as Record<string, unknown>)) {
    const key = `flags.${flag}`;
    if (!FLAG_NAME.test(flag)) at(key, 'is not a flag name', "write the name without dashes: flags: { 'dry-run': { ... } } is typed as --dry-run");
    if (typeof f !== 'object' || f === null || Array.isArray(f)) at(key, `is ${describe(f)}`, "each flag is { type: 'boolean' | 'string' | 'number', description: '...' }");
    const spec = f as Record<string, unknown>;
    unknownKeys(spec, FLAG_KEYS, (k, guess) => at(`${key}.${k}`, 'is not a flag key', `${guess ? `did you mean '${guess}'? ` : ''}known keys: ${Object.keys(FLAG_KEYS).join(', ')}`));
    const type = spec['type'];
    if (typeof type !== 'string' || !(type in FLAG_TYPES)) {
      const guess = typeof type === 'string' ? closestWord(type, Object.keys(FLAG_TYPES)) : undefined;
      at(`${key}.type`, `is ${type === undefined ? 'missing' : describe(type)}`, `${guess ? `did you mean '${guess}'? ` : ''}type is 'boolean', 'string' or 'number'`);
    }
    const short = spec['short'];
    if (short !== undefined) {
      if (typeof short !== 'string' || !/^[A-Za-z0-9]$/.test(short)) at(`${key}.short`, `is ${describe(short)}`, "short is one letter or digit, without the dash: short: 'n' for -n");
      const other = shorts.get(short as string);
      if (other !== undefined) at(`${key}.short`, `'${String(short)}' is already -${String(short)} for --${other}`, 'give each flag its own short letter, or none');
      shorts.set(short as string, flag);
    }
    if (spec['description'] !== undefined && typeof spec['description'] !== 'string') at(`${key}.description`, `is ${describe(spec['description'])}`, 'description is one line of text for help');
    if (spec['multiple'] !== undefined && typeof spec['multiple'] !== 'boolean') at(`${key}.multiple`, `is ${describe(spec['multiple'])}`, 'multiple is true or false');
    const path = spec['path'];
    if (path !== undefined && (typeof path !== 'string' || !PATH_KINDS.includes(path))) at(`${key}.path`, `is ${describe(path)}`, "path is 'file' or 'directory'");
    if (path !== undefined && type !== 'string') at(`${key}.path`, `is set on a ${String(type)} flag`, "only a flag of type 'string' takes a path");
  }
}

function stringList(s: Record<string, unknown>, key: 'aliases' | 'examples', at: At): readonly string[] {
  const v = s[key];
  if (v === undefined) return [];
  if (typeof v === 'string') at(key, `is the string '${v}'`, `${key} is a list: ${key}: ['${v}']`);
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) at(key, `is ${describe(v)}`, `${key} is a list of strings`);
  return v as string[];
}

function unknownKeys(obj: Record<string, unknown>, known: Record<string, true>, report: (key: string, guess: string | undefined) => never): void {
  for (const key of Object.keys(obj)) {
    if (!(key in known)) report(key, closestWord(key, Object.keys(known)));
  }
}

/** A value as a message shows it: strings quoted, others by type. */
function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'undefined';
  return `${typeof v} ${String(v)}`;
}
