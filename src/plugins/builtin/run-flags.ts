/**
 * The flags every command that runs a line on nodes shares (`at`, `gather`): how long a node may take, and how
 * much of its output a result keeps. Defaults come from the config's `run:` section (and `dust --timeout`).
 */
import type { CommandContext, FlagSpec, RunOptions } from '../api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';

export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  timeout: { type: 'string', short: 't', description: 'interrupt nodes still running after SECONDS and report them as timeout (0: no limit)' },
  'max-output': { type: 'string', description: 'lines of output each node\'s result keeps (the last ones; default 10000)' },
};

interface RunDefaults {
  timeout?: number;
  maxOutputLines?: number;
}

function positiveNumber(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new DustError(ErrorCodes.Usage, `--${flag}: '${value}' is not a ${integer ? 'whole number' : 'number of seconds'}`, {
      hint: flag === 'timeout' ? 'e.g. --timeout 30, or --timeout 0 for no limit' : 'e.g. --max-output 50000',
    });
  }
  return n;
}

/** Run options from the command's flags, falling back to the config defaults; `noInput` when no one can answer. */
export function runOptionsFrom(ctx: CommandContext): RunOptions {
  const defaults = (ctx.state.config['run'] ?? {}) as RunDefaults;
  const opts: RunOptions = { signal: ctx.signal };
  const t = ctx.flags['timeout'];
  const timeout = typeof t === 'string' ? positiveNumber('timeout', t, false) : defaults.timeout;
  if (timeout !== undefined && timeout > 0) opts.timeoutMs = Math.round(timeout * 1000);
  const m = ctx.flags['max-output'];
  const max = typeof m === 'string' ? positiveNumber('max-output', m, true) : defaults.maxOutputLines;
  if (max !== undefined && max > 0) opts.maxOutputLines = max;
  if (!ctx.interactive) opts.noInput = true;
  return opts;
}
