import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { importTypeScript } from '../modules/import-typescript.js';
import { ConfigSchema, type DustConfig } from './schema.js';
import { describeIssue, formatPath } from './issue-text.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { expandNodeRange } from '../targets/index.js';
import { describeParseError } from './parse-error.js';
import { printable } from '../errors/printable.js';

export interface LoadedConfig {
  config: DustConfig;
  /** File it came from, or undefined when no config exists (defaults). */
  file: string | undefined;
}


/**
 * Finds and validates the config: `--config FILE` if given; else `.dustrc*` / `dust.config.*` found upward
 * from cwd (stopping at the home directory); else `$DUST_HOME/config.yaml`; else defaults.
 * The first file found is used whole (no merging), so what `dust --config-path` shows is all there is.
 */
export async function loadConfig(opts: { explicitFile?: string | undefined; cwd?: string; dustHome: string }): Promise<LoadedConfig> {
  const explorer = cosmiconfig('dust', {
    searchStrategy: 'global',
    stopDir: os.homedir(),
    // Only dust's own names: package.json `dust` keys would surprise people in unrelated projects.
    searchPlaces: [
      '.dustrc', '.dustrc.json', '.dustrc.yaml', '.dustrc.yml', '.dustrc.js', '.dustrc.mjs', '.dustrc.cjs', '.dustrc.ts',
      'dust.config.json', 'dust.config.yaml', 'dust.config.yml', 'dust.config.js', 'dust.config.mjs', 'dust.config.cjs', 'dust.config.ts',
    ],
    loaders: { '.ts': (file: string) => importTypeScript(file, { default: true }) },
    cache: false,
  });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null = null;
  try {
    if (opts.explicitFile) {
      const file = path.resolve(opts.explicitFile);
      if (!fs.existsSync(file)) {
        throw new DustError(ErrorCodes.ConfigUnreadable, `config: ${file} does not exist`, { hint: 'check the path given to --config' });
      }
      found = await explorer.load(file);
    } else {
      found = await explorer.search(opts.cwd ?? process.cwd());
      if (!found) {
        const homeFile = path.join(opts.dustHome, 'config.yaml');
        if (fs.existsSync(homeFile)) found = await explorer.load(homeFile);
      }
    }
  } catch (err) {
    if (err instanceof DustError) throw err;
    // cosmiconfig names the file it was reading (a search may have found it anywhere up the tree).
    const named = (err as { filepath?: unknown } | null)?.filepath;
    const file = typeof named === 'string' ? named : opts.explicitFile ? path.resolve(opts.explicitFile) : 'config';
    throw new DustError(ErrorCodes.ConfigUnreadable, `config: ${file}: ${describeParseError(err)}`, {
      hint: 'fix that and start dust again (docs/config.md)',
      cause: err,
    });
  }
  if (!found || found.isEmpty) {
    return { config: ConfigSchema.parse({}), file: found?.filepath };
  }
  return { config: validateConfig(found.config, found.filepath), file: found.filepath };
}

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
