import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { importTypeScript } from '../modules/import-typescript.js';
import { DUST_PLUGIN_API, type DustPlugin } from './api.js';
import { setupPlugin, type PluginHostDeps } from './plugin-host.js';
import type { NameClash } from './registry.js';
import semver from 'semver';
import { DustError, formatError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

export interface LoadedPlugin {
  name: string;
  source: string;
  description: string | undefined;
  commands: string[];
}

export interface PluginLoadReport {
  loaded: LoadedPlugin[];
  failed: { source: string; error: DustError }[];
  /** One line per command a later plugin took over. */
  clashes: string[];
}

const DROP_IN = /\.(m?js|cjs|m?ts|cts)$/;

/**
 * Finds and loads user plugins: drop-in files in `$DUST_HOME/plugins` (sorted by file name, so the order
 * is defined and a user can force it with numeric prefixes), then packages or paths named in config.
 * Each plugin is isolated: whatever one does wrong is reported in one line and the rest still load.
 */
export async function loadUserPlugins(opts: { pluginDir: string; configured: readonly string[]; dustHome: string; cwd: string; deps: PluginHostDeps }): Promise<PluginLoadReport> {
  const report: PluginLoadReport = { loaded: [], failed: [], clashes: [] };
  const sources = [...listDropIns(opts.pluginDir), ...opts.configured.map((spec) => resolveConfigured(spec, opts))];
  for (const source of sources) {
    const before = opts.deps.registry.clashes.length;
    const commandsBefore = new Set(opts.deps.registry.list());
    try {
      const plugin = await importPlugin(source);
      validatePlugin(plugin, source, opts.deps.dustVersion);
      if (report.loaded.some((p) => p.name === plugin.name)) {
        throw new DustError(ErrorCodes.PluginInvalid, `plugin '${plugin.name}' from ${source}: another plugin already uses this name`, { hint: 'rename one of them (the name field)' });
      }
      await runSetup(plugin, source, opts.deps);
      const commands = opts.deps.registry.list().filter((c) => !commandsBefore.has(c) && c.plugin === plugin.name).map((c) => c.spec.name);
      report.loaded.push({ name: plugin.name, source, description: plugin.description, commands });
    } catch (err) {
      report.failed.push({ source, error: toLoadError(err, source) });
    }
    for (const clash of opts.deps.registry.clashes.slice(before)) report.clashes.push(describeClash(clash));
  }
  return report;
}

/**
 * One line (with DUST_PLUGIN_NAME_CLASH) saying which registration won and how to pick the other:
 * registration order decides (built-ins, then drop-ins by file name, then config `plugins:`; last wins).
 */
function describeClash(clash: NameClash): string {
  const { name, winner, loser } = clash;
  const who = (c: NameClash['winner']) => (c.plugin.startsWith('builtin') ? `the built-in (${c.plugin})` : `plugin '${c.plugin}' (${c.source})`);
  return formatError(new DustError(ErrorCodes.PluginNameClash, `command '${name}': ${who(winner)} replaces ${who(loser)}`, {
    hint: loser.plugin.startsWith('builtin')
      ? `rename the plugin's command to keep the built-in '${name}'`
      : 'the plugin loaded last wins (drop-ins load in file-name order, then config plugins:); rename a file or a command to choose',
  }));
}

async function runSetup(plugin: DustPlugin, source: string, deps: PluginHostDeps): Promise<void> {
  try {
    await setupPlugin(plugin, source, deps);
  } catch (err) {
    deps.registry.unregisterPlugin(plugin.name);
    deps.events.removePlugin(plugin.name);
    throw new DustError(ErrorCodes.PluginLoadFailed, `plugin '${plugin.name}' (${source}) failed in setup(): ${firstLine(err)}`, {
      hint: 'fix the plugin or move it out of the plugins folder; --verbose shows the stack',
      cause: err,
    });
  }
}

function listDropIns(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => DROP_IN.test(n) && !n.endsWith('.d.ts') && !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n));
}

/** A configured entry is a path (absolute, ~, or relative to the cwd or $DUST_HOME) or a package name (resolved from the cwd, then $DUST_HOME). */
function resolveConfigured(spec: string, opts: { dustHome: string; cwd: string }): string {
  if (spec.startsWith('~')) return path.resolve(spec.replace(/^~(?=\/)/, process.env['HOME'] ?? '~'));
  if (path.isAbsolute(spec)) return spec;
  if (spec.startsWith('.')) {
    // Relative to where dust runs, else to $DUST_HOME (where the default config.yaml lives).
    const candidates = [path.resolve(opts.cwd, spec), path.resolve(opts.dustHome, spec)];
    return candidates.find((c) => fs.existsSync(c)) ?? candidates[0]!;
  }
  for (const base of [opts.cwd, opts.dustHome]) {
    try {
      return createRequire(path.join(base, 'noop.js')).resolve(spec);
    } catch {
      // try the next base
    }
  }
  return spec; // importPlugin reports it as not found, with the name
}

const requireFromHere = createRequire(import.meta.url);

async function importPlugin(source: string): Promise<DustPlugin> {
  let mod: unknown;
  if (!fs.existsSync(source)) {
    throw new DustError(ErrorCodes.PluginLoadFailed, `plugin ${source}: not found`, { hint: 'install the package (npm i -g or in $DUST_HOME) or fix the path in config plugins:' });
  }
  if (/\.(m?ts|cts)$/.test(source)) {
    mod = await importTypeScript(source);
  } else {
    // The query string defeats Node's module cache, so `plugins reload` sees edits.
    const stamp = fs.statSync(source).mtimeMs;
    // CommonJS files go through require's cache, which ignores the query: forget them explicitly.
    delete requireFromHere.cache[source];
    mod = await import(`${pathToFileURL(source).href}?v=${stamp}`);
  }
  return unwrapDefault(mod) as DustPlugin;
}

/** ESM default, CommonJS module.exports, and transpiled `default.default` all end up as the plugin object. */
function unwrapDefault(mod: unknown): unknown {
  let cur = mod;
  for (let i = 0; i < 3; i++) {
    if (cur && typeof cur === 'object' && 'default' in cur && !('setup' in cur)) cur = (cur as { default: unknown }).default;
    else break;
  }
  if (cur && typeof cur === 'object' && !('setup' in cur) && 'plugin' in cur) cur = (cur as { plugin: unknown }).plugin;
  return cur;
}

function validatePlugin(p: unknown, source: string, dustVersion: string): asserts p is DustPlugin {
  const hint = 'export default definePlugin({ name, apiVersion: 2, setup(api) { ... } }) — see docs/plugins.md';
  if (!p || typeof p !== 'object') throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: exports no plugin object`, { hint });
  const obj = p as Record<string, unknown>;
  if (typeof obj['name'] !== 'string' || obj['name'] === '') throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: missing name`, { hint });
  if (obj['name'].startsWith('builtin')) throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: the name '${obj['name']}' is reserved for dust's own plugins`, { hint: 'pick another name' });
  if (typeof obj['setup'] !== 'function') throw new DustError(ErrorCodes.PluginInvalid, `plugin '${obj['name']}' (${source}): missing setup(api) function`, { hint });
  if (obj['apiVersion'] !== DUST_PLUGIN_API) {
    throw new DustError(ErrorCodes.PluginApiMismatch, `plugin '${obj['name']}' (${source}) is written for plugin API ${String(obj['apiVersion'])}, this dust provides API ${DUST_PLUGIN_API}`, {
      hint: obj['apiVersion'] === 1
        ? 'API 2 replaced sessions.sftp with sessions.files and made result.error an object; see "Migrating from plugin API 1" in docs/plugins.md (often only apiVersion changes)'
        : 'update the plugin, or use a dust version that provides its API',
    });
  }
  const range = obj['dust'];
  if (range !== undefined) {
    // npm's own semver: `>= 0.1`, `0.1.0 - 1.0`, `^0.1 || ^1`, `1.x` mean what they mean in package.json.
    // A prerelease dust (0.2.0-rc.1) counts as the release it leads to: `>=0.2`, `0.2.x` and `*` accept it,
    // `^0.1` and `>=0.2.0` (exactly that release) do not. semver's default would match it with no range at all.
    if (typeof range !== 'string' || semver.validRange(range) === null) {
      throw new DustError(ErrorCodes.PluginInvalid, `plugin '${obj['name']}' (${source}): invalid version range '${String(range)}' in its dust field`, {
        hint: 'the dust field takes a semver range such as ^0.1 or >=0.2 <2',
      });
    }
    if (!semver.satisfies(dustVersion, range, { includePrerelease: true })) {
      throw new DustError(ErrorCodes.PluginApiMismatch, `plugin '${obj['name']}' (${source}) needs dust ${String(range)}, this is dust ${dustVersion}`, {
        hint: 'update dust or the plugin',
      });
    }
  }
}

function toLoadError(err: unknown, source: string): DustError {
  if (err instanceof DustError) return err;
  const syntax = err instanceof SyntaxError;
  return new DustError(ErrorCodes.PluginLoadFailed, `plugin ${source}: ${syntax ? 'syntax error: ' : 'throws on import: '}${firstLine(err)}`, {
    hint: 'fix the file or move it out of the plugins folder; --verbose shows the stack',
    cause: err,
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
