import type { RegisteredCommand } from '../plugins/api.js';
import type { CommandRegistry } from '../plugins/registry.js';
import { splitFirstWord } from './tokenize.js';

export interface ParsedLine {
  command: RegisteredCommand;
  /** The word that invoked it (`show`, `@`, or the local program's name for the fallback). */
  word: string;
  /** For prefix commands: the glued target (undefined when the prefix stands alone: `@ uptime`). */
  gluedTarget: string | undefined;
  /** Text after the command word / glued target. */
  raw: string;
  /** True when no command matched and the fallback took the line. */
  viaFallback: boolean;
}

/**
 * Finds the command for a line using only the registry: prefix characters (`@`, `!`), then the first
 * word (names and aliases, case-insensitive), then the fallback. Returns undefined for a blank line or
 * when nothing (not even a fallback) can take it.
 */
export function parseLine(line: string, registry: CommandRegistry): ParsedLine | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  const prefixed = registry.lookupPrefix(text[0]!);
  if (prefixed) {
    const after = text.slice(1);
    if (prefixed.spec.target && prefixed.spec.target.mode !== 'none') {
      const [target, raw] = /^\s/.test(after) || after === '' ? ['', after.trim()] : splitFirstWord(after);
      return { command: prefixed, word: text[0]!, gluedTarget: target === '' ? undefined : target, raw, viaFallback: false };
    }
    return { command: prefixed, word: text[0]!, gluedTarget: undefined, raw: after.trim(), viaFallback: false };
  }
  const [word, raw] = splitFirstWord(text);
  const command = registry.lookup(word);
  if (command) return { command, word, gluedTarget: undefined, raw, viaFallback: false };
  const fallback = registry.fallback;
  if (fallback) return { command: fallback, word, gluedTarget: undefined, raw: text, viaFallback: true };
  return undefined;
}
