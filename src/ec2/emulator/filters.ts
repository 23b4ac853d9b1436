import { Ec2Errors } from './errors.js';
import type { QueryFilter } from './query.js';

/**
 * How `?` matches in filter values. The current EC2 User Guide says "zero or one character"
 * (`database????` = database followed by up to four characters); older docs and moto say exactly one.
 */
export type QuestionMarkMode = 'zero-or-one' | 'exactly-one';

/**
 * Compiles an EC2 filter value to an anchored, case-sensitive RegExp: `*` = any run of characters,
 * `?` = per `mode`, and `\*`, `\?`, `\\` stand for the literal characters.
 */
export function compileWildcard(pattern: string, mode: QuestionMarkMode = 'zero-or-one'): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length && '*?\\'.includes(pattern[i + 1] as string)) {
      source += escapeRegExp(pattern[i + 1] as string);
      i++;
    } else if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += mode === 'zero-or-one' ? '[\\s\\S]?' : '[\\s\\S]';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 'u');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One value or several (a resource can have many group ids), or nothing. */
export type FilterFieldValue = string | number | boolean | undefined | readonly (string | undefined)[];

/** Per-resource table: filter name → the resource's value(s) for it. */
export type FilterTable<T> = Readonly<Record<string, (item: T) => FilterFieldValue>>;

/** Tags of a resource as key → value. */
export type TagsOf<T> = (item: T) => ReadonlyMap<string, string>;

function valuesOf(v: FilterFieldValue): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return (v as readonly (string | undefined)[]).filter((x): x is string => x !== undefined);
  return [String(v)];
}

/** Hard limits EC2 documents for one request. */
const MAX_FILTERS = 50;
const MAX_VALUES = 200;

/**
 * Builds a predicate for EC2 filter semantics: filters AND together, values of one filter OR together,
 * `tag:<Key>` / `tag-key` / `tag-value` work on any resource that has tags. Unknown names raise
 * InvalidParameterValue up front (before anything is matched), as EC2 does.
 */
export function compileFilters<T>(
  filters: readonly QueryFilter[],
  table: FilterTable<T>,
  tagsOf: TagsOf<T> | undefined,
  mode: QuestionMarkMode,
): (item: T) => boolean {
  if (filters.length > MAX_FILTERS) {
    throw Ec2Errors.invalidParameterValue(`The maximum number of filters is ${MAX_FILTERS}`);
  }
  const predicates = filters.map((f) => {
    if (f.name === '') throw Ec2Errors.missingParameter('Filter.Name');
    if (f.values.length > MAX_VALUES) {
      throw Ec2Errors.invalidParameterValue(`The maximum number of filter values for '${f.name}' is ${MAX_VALUES}`);
    }
    const patterns = f.values.map((v) => compileWildcard(v, mode));
    const anyMatches = (candidates: readonly string[]): boolean =>
      candidates.some((c) => patterns.some((p) => p.test(c)));

    if (tagsOf && f.name.startsWith('tag:')) {
      const key = f.name.slice(4);
      return (item: T) => {
        const value = tagsOf(item).get(key);
        return value !== undefined && anyMatches([value]);
      };
    }
    if (tagsOf && f.name === 'tag-key') return (item: T) => anyMatches([...tagsOf(item).keys()]);
    if (tagsOf && f.name === 'tag-value') return (item: T) => anyMatches([...tagsOf(item).values()]);
    const getter = Object.hasOwn(table, f.name) ? table[f.name] : undefined;
    if (!getter) throw Ec2Errors.invalidFilter(f.name);
    return (item: T) => anyMatches(valuesOf(getter(item)));
  });
  return (item: T) => predicates.every((p) => p(item));
}
