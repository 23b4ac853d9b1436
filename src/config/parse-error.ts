import { stripVTControlCharacters } from 'node:util';

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
  // The excerpt is coloured when the environment asks for colour (CI=true, FORCE_COLOR): strip that first.
  const lines = stripVTControlCharacters(err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim())
    // cosmiconfig puts `YAML Error in FILE:` / `JSON Error in FILE:` on a line of its own (the file is named by the
    // caller), and parse-json frames the reason with an excerpt of the file (`> 1 | --- 1`, `|  ^`): neither says why.
    .filter((l) => l !== '' && !/^(?:YAML|JSON) Error in .*:$/.test(l) && !/^(?:>\s*)?\d*\s*\|/.test(l));
  const first = lines[0] ?? 'not valid';
  const text = first
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/ while parsing .*$/, '')
    .replace(/, ".*" is not valid JSON$/, ' (not valid JSON)');
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}
