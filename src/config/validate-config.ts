import { ConfigSchema, type DustConfig } from './schema.js';
import { describeIssue, formatPath } from './issue-text.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { expandNodeRange } from '../targets/index.js';
import { printable } from '../errors/printable.js';

/** A config as read from a file: the schema's defaults filled in, or one ConfigInvalid line naming the key. */
export function validateConfig(raw: unknown, file: string): DustConfig {
  const parsed = ConfigSchema.safeParse(raw ?? {});
  if (parsed.success) {
    checkNodeRanges(parsed.data, file);
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
  // Keys and values quoted from the file may hold newlines or escapes: the message stays one line.
  throw new DustError(ErrorCodes.ConfigInvalid, printable(`config: ${file}: ${formatPath(issue.path)}: ${describeIssue(issue, raw)}${more}`), {
    hint: 'see docs/config.md for every key',
  });
}

/**
 * A range entry must expand, and its host range must give one host or one per name: caught here, at
 * start-up, rather than as an inventory warning while the nodes silently go missing.
 */
function checkNodeRanges(config: DustConfig, file: string): void {
  config.nodes.forEach((entry, i) => {
    const expand = (key: 'name' | 'host'): string[] => {
      try {
        return expandNodeRange(entry[key]);
      } catch (err) {
        throw new DustError(ErrorCodes.ConfigInvalid, `config: ${file}: nodes[${i}].${key}: ${firstLine(err).replace(/^target: /, '')}`, {
          hint: 'a name or host is plain text or a numeric range such as worker[01-12] or 10.0.0.[10-21]',
        });
      }
    };
    const names = expand('name');
    const hosts = expand('host');
    if (hosts.length !== 1 && hosts.length !== names.length) {
      throw new DustError(ErrorCodes.ConfigInvalid,
        `config: ${file}: nodes[${i}]: name '${entry.name}' gives ${names.length} node${names.length === 1 ? '' : 's'} but host '${entry.host}' gives ${hosts.length}`,
        { hint: 'use one host for all, or a host range with as many members as the name range' });
    }
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
