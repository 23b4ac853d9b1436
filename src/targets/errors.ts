import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { printable } from '../errors/printable.js';

/**
 * Builds the one-line syntax error every target problem uses:
 * `target: <problem> at column <N> in '<expr>'` (N is 1-based, counted in the expression as typed).
 */
export function targetSyntaxError(expr: string, problem: string, column: number, hint?: string): DustError {
  const message = printable(`target: ${problem} at column ${column} in '${expr}'`);
  return new DustError(ErrorCodes.TargetSyntax, message, hint === undefined ? {} : { hint: printable(hint) });
}

/**
 * The error a caller reports when a target selected nothing. resolveTarget itself returns [] instead of
 * throwing, because some callers (completion, `show`) treat an empty selection as a normal answer.
 */
export function describeNoMatch(expr: string, lastResult?: string): DustError {
  const shown = expr.trim() === '' ? '*' : expr;
  // `last=`/`rc=` describe one earlier command: say which outcomes it had rather than pointing at `show`.
  const aboutLast = /(^|[,&!(\s])(last|rc)=/i.test(expr);
  return new DustError(ErrorCodes.TargetNoMatch, printable(`target: no node matches '${shown}'`), {
    hint: aboutLast
      ? `last= and rc= refer to the most recent command that ran on nodes: ${lastResult ?? 'none has run yet in this session'}`
      : '`show` lists the nodes; `use *` widens the working set',
  });
}
