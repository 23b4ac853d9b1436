import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';

/**
 * Splits a command line into words the way a POSIX shell would for simple cases: whitespace separates,
 * single quotes are literal, double quotes allow `\"` and `\\`, a backslash escapes the next character.
 * dust never expands variables or globs here: remote commands are passed on raw (see CommandContext.raw).
 */
export function tokenize(input: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (input[i + 1] === '"' || input[i + 1] === '\\')) word += input[++i];
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < input.length) {
      word += input[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UnclosedQuoteError(quote);
  if (inWord) words.push(word);
  return words;
}

/** A DustError like every other input problem; the command runner adds the command's name and usage. */
export class UnclosedQuoteError extends DustError {
  constructor(readonly quote: string) {
    super(ErrorCodes.Usage, `unclosed ${quote === '"' ? 'double' : 'single'} quote`, { hint: `end the quoted text with another ${quote}` });
  }
}

/**
 * Quotes a word so that `tokenize` gives it back exactly: plain words stay as they are, anything else
 * goes in single quotes (a `'` inside becomes `'\''`, as in a POSIX shell).
 */
export function quoteWord(word: string): string {
  return /^[\w.:/=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Splits off the first whitespace-delimited word, returning it and the untouched remainder (trimmed at the start). */
export function splitFirstWord(line: string): [string, string] {
  const trimmed = line.trimStart();
  const m = /^(\S*)\s*([\s\S]*)$/.exec(trimmed);
  return [m?.[1] ?? '', m?.[2] ?? ''];
}
