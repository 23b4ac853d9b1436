/**
 * A js-yaml parse error as `line L, column C: reason` (1-based, as editors count), without the code
 * excerpt js-yaml appends to its message: one line that says where to look and what is wrong.
 */
export function describeYamlError(err: unknown): string {
  const e = err as { reason?: unknown; mark?: { line?: unknown; column?: unknown } } | null;
  const reason = typeof e?.reason === 'string' && e.reason !== '' ? e.reason : firstLine(err);
  const line = e?.mark?.line;
  const column = e?.mark?.column;
  if (typeof line !== 'number') return reason;
  return `line ${line + 1}${typeof column === 'number' ? `, column ${column + 1}` : ''}: ${reason}`;
}

function firstLine(err: unknown): string {
  return ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').trim();
}
