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

/** The word under the cursor at the end of a line, as typed and as the shell would read it. */
export interface PartialWord {
  /** The text as typed, quotes and backslashes included (what a completion replaces). */
  raw: string;
  /** Its value: quotes removed, escapes resolved. */
  value: string;
  /** The quote still open at the end of the line, if any. */
  openQuote: '"' | "'" | undefined;
}

/**
 * Splits a line that is being typed (for completion): like tokenize, but an unclosed quote is fine, and the
 * last word comes back separately with its raw text. `last.raw` is '' when the line ends in whitespace.
 */
export function splitForCompletion(input: string): { words: string[]; last: PartialWord } {
  const words: string[] = [];
  let word = '';
  let start = -1;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (start < 0 && !/\s/.test(ch)) start = i;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (input[i + 1] === '"' || input[i + 1] === '\\')) word += input[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '\\' && i + 1 < input.length) {
      word += input[++i];
    } else if (/\s/.test(ch)) {
      if (start >= 0) words.push(word);
      word = '';
      start = -1;
    } else {
      word += ch;
    }
  }
  return { words, last: { raw: start < 0 ? '' : input.slice(start), value: word, openQuote: quote } };
}

/**
 * `value` written the way `typed` began: inside the quote it opened (left open, so typing can go on),
 * else with backslashes before what tokenize would split at or unquote (dust expands nothing else).
 */
export function requote(value: string, typed: PartialWord): string {
  const q = typed.openQuote ?? (typed.raw.startsWith("'") || typed.raw.startsWith('"') ? typed.raw[0] as '"' | "'" : undefined);
  if (q === "'") return `'${value.replace(/'/g, `'\\''`)}`;
  if (q === '"') return `"${value.replace(/(["\\])/g, '\\$1')}`;
  return value.replace(/([\s'"\\])/g, '\\$1');
}
