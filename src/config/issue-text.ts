import type { z } from 'zod';

/**
 * One-line descriptions of zod issues for files people edit (the config, cluster specs):
 * `file: nodes[0].port: expected number, got '22'`. Shared so every file dust reads says it the same way.
 */

/** A zod issue path as the user wrote it: `nodes[0].port`, `(top level)` for the root. */
export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i === 0 ? '' : '.'}${String(k)}`)).join('');
}

/** What was wrong, in words: `expected number, got '22'`, `unknown key 'x'`, `missing, expected string`. */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return got === undefined ? `missing, expected ${issue.expected}` : `expected ${issue.expected}, got ${describeValue(got)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(got)}`;
    case 'invalid_format':
      return `${issue.message}, got ${describeValue(got)}`;
    case 'too_small':
    case 'too_big':
      return `${issue.message.replace(/^Too/, 'too')}, got ${describeValue(got)}`;
    default:
      return issue.message;
  }
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** A value shown in an error: quoted (and shortened) strings, `a list`, `a mapping`, `number 3`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  return `${typeof v} ${String(v)}`;
}
