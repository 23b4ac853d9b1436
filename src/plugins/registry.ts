import type { CommandSpec, RegisteredCommand } from './api.js';
import { SpecProblem, specError, validateCommandSpec } from './spec-validation.js';

export interface NameClash {
  name: string;
  winner: RegisteredCommand;
  loser: RegisteredCommand;
}

/**
 * The single table of commands. Built-ins and drop-in plugins register here the same way; the shell
 * looks every line up here and special-cases no command name. On a clash the later registration
 * wins (so a user's drop-in can replace a built-in) and the clash is recorded for reporting.
 */
export class CommandRegistry {
  private readonly byName = new Map<string, RegisteredCommand>();
  private readonly byPrefix = new Map<string, RegisteredCommand>();
  private fallbackCommand: RegisteredCommand | undefined;
  readonly clashes: NameClash[] = [];

  /** Throws DUST_PLUGIN_INVALID, naming plugin, file and key, for a malformed spec (nothing is registered then). */
  register(spec: CommandSpec, plugin: string, source: string): void {
    try {
      validateCommandSpec(spec);
    } catch (err) {
      throw err instanceof SpecProblem ? specError(err, plugin, source) : err;
    }
    const entry: RegisteredCommand = { spec, plugin, source };
    for (const name of [spec.name, ...(spec.aliases ?? [])]) {
      const key = name.toLowerCase();
      const existing = this.byName.get(key);
      if (existing && existing.plugin !== plugin) this.clashes.push({ name, winner: entry, loser: existing });
      this.byName.set(key, entry);
    }
    if (spec.prefix) {
      const existing = this.byPrefix.get(spec.prefix);
      if (existing && existing.plugin !== plugin) this.clashes.push({ name: spec.prefix, winner: entry, loser: existing });
      this.byPrefix.set(spec.prefix, entry);
    }
    if (spec.fallback) this.fallbackCommand = entry;
  }

  /** Removes everything a plugin registered (used by `plugins reload`). */
  unregisterPlugin(plugin: string): void {
    for (const [k, v] of this.byName) if (v.plugin === plugin) this.byName.delete(k);
    for (const [k, v] of this.byPrefix) if (v.plugin === plugin) this.byPrefix.delete(k);
    if (this.fallbackCommand?.plugin === plugin) this.fallbackCommand = undefined;
  }

  lookup(name: string): RegisteredCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }

  lookupPrefix(ch: string): RegisteredCommand | undefined {
    return this.byPrefix.get(ch);
  }

  get fallback(): RegisteredCommand | undefined {
    return this.fallbackCommand;
  }

  /** Unique commands, sorted by name. */
  list(): RegisteredCommand[] {
    const seen = new Set<RegisteredCommand>([...this.byName.values(), ...this.byPrefix.values()]);
    if (this.fallbackCommand) seen.add(this.fallbackCommand);
    return [...seen].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  }

  /** Every word that invokes a command (names and aliases), for completion. */
  words(): string[] {
    return [...this.byName.keys()].sort();
  }
}
