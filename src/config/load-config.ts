import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cosmiconfig } from 'cosmiconfig';
import { importTypeScript } from '../modules/import-typescript.js';
import type { DustConfig } from './schema.js';
import { defaultConfig } from './defaults.js';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { describeParseError } from './parse-error.js';

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
    return { config: defaultConfig(), file: found?.filepath };
  }
  // The schema brings zod (a few hundred modules, ~60 ms): only a config file needs it.
  const { validateConfig } = await import('./validate-config.js');
  return { config: validateConfig(found.config, found.filepath), file: found.filepath };
}
