import type { DustErrorCode } from './codes.js';

const BRAND = Symbol.for('dust.error');

/**
 * Every error a user can see. `code` is stable (never reassigned; see codes.ts), `hint` says what to do,
 * and `cause` keeps the original error for `--verbose`. Rendered as one line by `formatError`.
 */
export class DustError extends Error {
  override readonly name = 'DustError';
  readonly code: DustErrorCode;
  readonly hint: string | undefined;
  readonly [BRAND] = true;

  constructor(code: DustErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** Works across duplicate copies of dust's modules (a plugin bundling its own copy): checks the brand, not the class. */
export function isDustError(err: unknown): err is DustError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** One line: `message (hint) [CODE]`. Never includes a stack; `--verbose` prints that separately. */
export function formatError(err: unknown): string {
  if (isDustError(err)) return `${err.message}${err.hint ? ` — ${err.hint}` : ''} [${err.code}]`;
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  return String(err);
}
