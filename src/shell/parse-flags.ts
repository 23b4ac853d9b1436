import { parseArgs } from 'node:util';
import type { CommandSpec } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export type FlagValueAny = string | boolean | number | readonly string[] | readonly number[] | undefined;

export interface ParsedArgs {
  flags: Record<string, FlagValueAny>;
  positionals: string[];
}

/**
 * Parses a command's declared flags; an unknown flag or a `number` flag given something else is a usage
 * error that repeats the usage line. node:util parseArgs knows only booleans and strings, so a number
 * flag is read as a string and converted here.
 */
export function parseFlags(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(spec.flags ?? {})) {
    options[name] = { type: f.type === 'boolean' ? 'boolean' : 'string', ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    // node's messages run over several lines ("… is ambiguous.\nDid you forget …"): dust's errors are one.
    const full = err instanceof Error ? err.message : String(err);
    const ambiguous = /^Option '([^']+)' argument is ambiguous/.exec(full);
    const msg = ambiguous
      ? `option '${ambiguous[1] ?? ''}' needs a value`
      : (full.replace(/\. To specify a positional.*$/s, '').split('\n')[0] ?? '').replace(/\.$/, '');
    const hint = ambiguous ? `a value starting with '-' goes after '=': ${ambiguous[1] ?? ''}=-x; usage: ${spec.usage}` : `usage: ${spec.usage}`;
    throw new DustError(ErrorCodes.Usage, `${spec.name}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`, { hint });
  }
  const flags: ParsedArgs['flags'] = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (spec.flags?.[k]?.type === 'number') {
      const texts = Array.isArray(v) ? (v as string[]) : [v as string];
      const numbers = texts.map((t) => toNumber(t, k, spec));
      flags[k] = Array.isArray(v) ? numbers : numbers[0];
      continue;
    }
    // `-vv` arrives as [true, true]: a count is more useful to commands than a list of trues.
    flags[k] = Array.isArray(v) && v.every((x) => x === true) ? String(v.length) : (v as ParsedArgs['flags'][string]);
  }
  return { flags, positionals: parsed.positionals };
}

/** Decimal numbers as people type them (`80`, `-1`, `2.5`, `.5`, `1e3`); not `0x10`, not `''`, not `Infinity`. */
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function toNumber(text: string, flag: string, spec: CommandSpec): number {
  const n = Number(text.trim());
  if (!NUMBER.test(text.trim()) || !Number.isFinite(n)) {
    throw new DustError(ErrorCodes.Usage, `${spec.name}: --${flag} takes a number, not '${text}'`, { hint: `usage: ${spec.usage}` });
  }
  return n;
}
