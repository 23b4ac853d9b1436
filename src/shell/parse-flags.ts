import { parseArgs } from 'node:util';
import type { CommandSpec } from '../plugins/api.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses a command's declared flags; an unknown flag is a usage error that repeats the usage line. */
export function parseFlags(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(spec.flags ?? {})) {
    options[name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    const flags: ParsedArgs['flags'] = {};
    for (const [k, v] of Object.entries(values)) {
      // `-vv` arrives as [true, true]: a count is more useful to commands than a list of trues.
      flags[k] = Array.isArray(v) && v.every((x) => x === true) ? String(v.length) : (v as ParsedArgs['flags'][string]);
    }
    return { flags, positionals };
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
}
