/**
 * A config or state file that does not parse, described in one line: `line L, column C: reason` (1-based,
 * as editors count) for YAML, the parser's own reason for JSON and code, never the code excerpt the parsers
 * append to their messages.
 */
export function describeParseError(err: unknown): string {
  const e = err as { reason?: unknown; mark?: { line?: unknown; column?: unknown } } | null;
  if (typeof e?.reason === 'string' && e.reason !== '' && typeof e.mark?.line === 'number') {
    const column = typeof e.mark.column === 'number' ? `, column ${e.mark.column + 1}` : '';
    return `line ${e.mark.line + 1}${column}: ${e.reason}`;
  }
  return reasonOf(err);
}

function reasonOf(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  // cosmiconfig puts `YAML Error in FILE:` / `JSON Error in FILE:` on a line of its own; the file is named by the caller.
  const first = (/^(?:YAML|JSON) Error in .*:$/.test(lines[0] ?? '') ? lines[1] : lines[0]) ?? '';
  const text = first
    .replace(/ while parsing .*$/, '')
    .replace(/, ".*" is not valid JSON$/, ' (not valid JSON)');
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
