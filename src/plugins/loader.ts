import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { importTypeScript } from '../modules/import-typescript.js';
import { DUST_PLUGIN_API, type DustPlugin } from './api.js';
import { setupPlugin, type PluginHostDeps } from './plugin-host.js';
import type { NameClash } from './registry.js';
import type validRangeFn from 'semver/ranges/valid.js';
import type satisfiesFn from 'semver/functions/satisfies.js';
import { locationInFile } from './source-location.js';
import { locateSyntaxError, type SyntaxErrorAt } from './syntax-check.js';
import { closestWord } from '../text/closest-word.js';
import { DUST_PACKAGE } from '../package.js';
import { linkPackageForDropIns } from './package-link.js';
import { DustError, formatError, isDustError } from '../errors/dust-error.js';
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
/** A config `plugins:` entry: a path or package, optionally with options for the plugin. */
export type ConfiguredPlugin = string | { name: string; options?: Record<string, unknown> };

export async function loadUserPlugins(opts: { pluginDir: string; configured: readonly ConfiguredPlugin[]; dustHome: string; cwd: string; deps: PluginHostDeps }): Promise<PluginLoadReport> {
  const report: PluginLoadReport = { loaded: [], failed: [], clashes: [] };
  linkPackageForDropIns(opts.pluginDir, opts.deps.log.debug);
  const sources: { source: string; options: Readonly<Record<string, unknown>> }[] = [
    ...listDropIns(opts.pluginDir).map((source) => ({ source, options: {} })),
    ...opts.configured.map((entry) => (typeof entry === 'string'
      ? { source: resolveConfigured(entry, opts), options: {} }
      : { source: resolveConfigured(entry.name, opts), options: entry.options ?? {} })),
  ];
  for (const { source, options } of sources) {
    const before = opts.deps.registry.clashes.length;
    const commandsBefore = new Set(opts.deps.registry.list());
    try {
      const plugin = await importPlugin(source);
      validatePlugin(plugin, source, opts.deps.dustVersion);
      if (report.loaded.some((p) => p.name === plugin.name)) {
        throw new DustError(ErrorCodes.PluginInvalid, `plugin '${plugin.name}' from ${source}: another plugin already uses this name`, { hint: 'rename one of them (the name field)' });
      }
      await runSetup(plugin, source, opts.deps, options);
      const commands = opts.deps.registry.list().filter((c) => !commandsBefore.has(c) && c.plugin === plugin.name).map((c) => c.spec.name);
      report.loaded.push({ name: plugin.name, source, description: plugin.description, commands });
    } catch (err) {
      report.failed.push({ source, error: await toLoadError(err, source) });
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

async function runSetup(plugin: DustPlugin, source: string, deps: PluginHostDeps, options: Readonly<Record<string, unknown>>): Promise<void> {
  try {
    await setupPlugin(plugin, source, deps, undefined, options);
  } catch (err) {
    deps.registry.unregisterPlugin(plugin.name);
    deps.events.removePlugin(plugin.name);
    // registerCommand/on already said exactly what is wrong, with the file and line of the call.
    if (isDustError(err) && err.code === ErrorCodes.PluginInvalid) throw err;
    throw new DustError(ErrorCodes.PluginLoadFailed, `plugin '${plugin.name}' (${locationInFile(err, source) ?? source}) failed in setup(): ${firstLine(err)}`, {
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

// The keys a plugin object may have; `satisfies` keeps the list in step with api.ts.
const PLUGIN_KEYS = { name: true, apiVersion: true, dust: true, description: true, setup: true } as const satisfies Record<keyof DustPlugin, true>;

function validatePlugin(p: unknown, source: string, dustVersion: string): asserts p is DustPlugin {
  const base = path.basename(source).replace(/\.[^.]+$/, '').replace(/[^\w-]/g, '-') || 'my-plugin';
  const skeleton = `export default { name: '${base}', apiVersion: ${DUST_PLUGIN_API}, setup(api) { ... } } (a plain object: no import needed; see docs/plugins.md)`;
  if (typeof p === 'function') {
    throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: the default export is a function, not a plugin object`, { hint: `make the function the setup of an object: ${skeleton}` });
  }
  if (!p || typeof p !== 'object') throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: exports no plugin object (the default export is ${p === undefined ? 'missing' : String(p)})`, { hint: skeleton });
  const obj = p as Record<string, unknown>;
  if (!('name' in obj) && !('setup' in obj) && !('apiVersion' in obj)) {
    const names = Object.keys(obj).filter((k) => k !== 'default');
    throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: no default export with a plugin${names.length ? ` (it exports ${names.slice(0, 5).join(', ')})` : ''}`, { hint: skeleton });
  }
  if (typeof obj['name'] !== 'string' || obj['name'] === '') {
    throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: missing name`, { hint: `add name: '${base}' (unique; shown by plugins and in errors): ${skeleton}` });
  }
  const who = `plugin '${obj['name']}' (${source})`;
  if (obj['name'].startsWith('builtin')) throw new DustError(ErrorCodes.PluginInvalid, `plugin ${source}: the name '${obj['name']}' is reserved for dust's own plugins`, { hint: 'pick another name' });
  for (const key of Object.keys(obj)) {
    if (!(key in PLUGIN_KEYS)) {
      const guess = closestWord(key, Object.keys(PLUGIN_KEYS));
      throw new DustError(ErrorCodes.PluginInvalid, `${who}: '${key}' is not a plugin key`, { hint: `${guess ? `did you mean '${guess}'? ` : ''}a plugin has ${Object.keys(PLUGIN_KEYS).join(', ')}` });
    }
  }
  if (typeof obj['setup'] !== 'function') throw new DustError(ErrorCodes.PluginInvalid, `${who}: missing setup(api) function`, { hint: `add setup(api) { api.registerCommand({ ... }) }: ${skeleton}` });
  if (obj['apiVersion'] === undefined) {
    throw new DustError(ErrorCodes.PluginInvalid, `${who}: missing apiVersion`, { hint: `add apiVersion: ${DUST_PLUGIN_API} (the plugin API this dust provides)` });
  }
  if (typeof obj['apiVersion'] !== 'number') {
    throw new DustError(ErrorCodes.PluginInvalid, `${who}: apiVersion is ${JSON.stringify(obj['apiVersion'])}, not a number`, { hint: `write apiVersion: ${DUST_PLUGIN_API}` });
  }
  if (obj['apiVersion'] !== DUST_PLUGIN_API) {
    throw new DustError(ErrorCodes.PluginApiMismatch, `${who} is written for plugin API ${String(obj['apiVersion'])}, this dust provides API ${DUST_PLUGIN_API}`, {
      hint: obj['apiVersion'] === 1
        ? 'API 2 replaced sessions.sftp with sessions.files and made result.error an object; see "Migrating from plugin API 1" in docs/plugins.md (often only apiVersion changes)'
        : 'update the plugin, or use a dust version that provides its API',
    });
  }
  if (obj['description'] !== undefined && typeof obj['description'] !== 'string') {
    throw new DustError(ErrorCodes.PluginInvalid, `${who}: description is not a string`, { hint: 'description is one line about the plugin' });
  }
  const range = obj['dust'];
  if (range !== undefined) {
    // npm's own semver (CommonJS, required here: only plugins that name a dust range load it): `>= 0.1`,
    // `0.1.0 - 1.0`, `^0.1 || ^1`, `1.x` mean what they mean in package.json.
    // A prerelease dust (0.2.0-rc.1) counts as the release it leads to: `>=0.2`, `0.2.x` and `*` accept it,
    // `^0.1` and `>=0.2.0` (exactly that release) do not. semver's default would match it with no range at all.
    // Two of its functions, not the whole package: half the load time, and this runs before the first prompt.
    const validRange = requireFromHere('semver/ranges/valid') as typeof validRangeFn;
    const satisfies = requireFromHere('semver/functions/satisfies') as typeof satisfiesFn;
    if (typeof range !== 'string' || validRange(range) === null) {
      throw new DustError(ErrorCodes.PluginInvalid, `${who}: invalid version range '${String(range)}' in its dust field`, {
        hint: 'the dust field takes a semver range such as ^0.1 or >=0.2 <2',
      });
    }
    if (!satisfies(dustVersion, range, { includePrerelease: true })) {
      throw new DustError(ErrorCodes.PluginApiMismatch, `${who} needs dust ${String(range)}, this is dust ${dustVersion}`, {
        hint: 'update dust or the plugin',
      });
    }
  }
}

/** Anything a plugin file does wrong while being imported, as one line with `file:line:col` when it can be found. */
async function toLoadError(err: unknown, source: string): Promise<DustError> {
  if (err instanceof DustError) return err;
  const hint = 'fix the file or move it out of the plugins folder; --verbose shows the stack';
  const syntax = await describeSyntaxError(err, source);
  if (syntax) return new DustError(ErrorCodes.PluginLoadFailed, `plugin ${syntax.where}: syntax error: ${syntax.message}`, { hint, cause: err });
  return new DustError(ErrorCodes.PluginLoadFailed, `plugin ${locationInFile(err, source) ?? source}: throws on import: ${firstLine(err)}`, { hint: missingPackageHint(err) ?? hint, cause: err });
}

/** A drop-in importing a package that does not resolve from its folder: say what resolves there. */
function missingPackageHint(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  const pkg = err instanceof Error && (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
    ? /Cannot find (?:package|module) '([^']+)'/.exec(err.message)?.[1] : undefined;
  if (pkg === undefined) return undefined;
  if (pkg === 'dust' || pkg.startsWith('dust/')) {
    return `dust's package is named '${DUST_PACKAGE}': import from '${DUST_PACKAGE}/plugin', or import nothing (export default { name, apiVersion: ${DUST_PLUGIN_API}, setup(api) { ... } } needs no import)`;
  }
  return `a drop-in resolves packages from its own folder: install ${pkg} there (cd to the plugins folder; npm i ${pkg}), or take it from dust (ctx.use('ec2').sdk() for the AWS SDK)`;
}

/**
 * A syntax error in the file itself (not a SyntaxError its code threw at run time, like JSON.parse's):
 * jiti names `file:line:col` in its message; Node's ES-module loader names nothing, so ask `node --check`.
 */
async function describeSyntaxError(err: unknown, source: string): Promise<SyntaxErrorAt | undefined> {
  if (!(err instanceof Error)) return undefined;
  const jiti = /^(?:ParseError|SyntaxError): ([^\n]*)/.exec(err.message);
  if (jiti && /\.(m?ts|cts)$/.test(source)) {
    const at = new RegExp(`${source.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(err.message);
    return { where: at ? `${source}:${at[1]}:${at[2]}` : source, message: jiti[1]!.trim() };
  }
  if (!(err instanceof SyntaxError) || locationInFile(err, source) !== undefined || /\.(m?ts|cts)$/.test(source)) return undefined;
  return (await locateSyntaxError(source)) ?? { where: source, message: firstLine(err) };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
