/**
 * Why a node did not run a command, as it travels from a transport to the per-node line, the `--json` record and
 * plugins: a stable code, one line of message, and what to do (execa keeps its error facets apart in the same way;
 * a string sentinel compared by value was the old way and lost the hint on the way).
 */
import { isDustError } from '../errors/dust-error.js';
import { ErrorCodes, type DustErrorCode } from '../errors/codes.js';

export interface NodeFailure {
  /** A `DUST_*` code (docs/errors.md), or a plugin transport's own. */
  code: DustErrorCode | (string & {});
  /** One line, without the node's name (the caller prefixes it). */
  message: string;
  hint?: string;
}

/** Any error a transport or the session layer threw, as a NodeFailure (a DustError keeps its code and hint). */
export function toNodeFailure(err: unknown, fallback: DustErrorCode = ErrorCodes.SshConnect): NodeFailure {
  if (isDustError(err)) return err.hint ? { code: err.code, message: err.message, hint: err.hint } : { code: err.code, message: err.message };
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? String(err)) : String(err);
  return { code: fallback, message };
}

/** `message — hint` for the per-node line (the code goes to --json and --verbose). */
export function describeFailure(f: NodeFailure): string {
  return f.hint ? `${f.message} — ${f.hint}` : f.message;
}

/** A duration in a failure message: `3 s`, `0.5 s`. */
export function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
