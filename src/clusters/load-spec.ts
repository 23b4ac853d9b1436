import { editDistance } from '../text/closest-word.js';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { DustError } from '../errors/dust-error.js';
import { ErrorCodes } from '../errors/codes.js';
import { expandHome } from '../config/paths.js';
import { describeIssue, describeValue, formatPath } from '../config/issue-text.js';
import { CLUSTER_PROVIDERS, type ClusterProviderName, type ClusterSpec, specSchemaFor } from './spec.js';
import { allKeys, specFields } from './spec-fields.js';

const INIT_HINT = '`cluster init NAME` writes a commented spec with every key to start from';

/** A spec as loaded: the validated spec and where it came from (relative paths in it are relative to `dir`). */
export interface LoadedClusterSpec {
  spec: ClusterSpec;
  file: string;
  dir: string;
}

/** Reads, parses and validates a cluster spec file. Every problem is one DustError line naming the file. */
export function loadClusterSpec(file: string): LoadedClusterSpec {
  const full = path.resolve(expandHome(file));
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(err);
    throw new DustError(ErrorCodes.ClusterSpecUnreadable, `cluster spec: cannot read ${file} (${reason})`, {
      hint: `check the path; ${INIT_HINT}`, cause: err,
    });
  }
  return { spec: parseClusterSpec(text, file), file: full, dir: path.dirname(full) };
}

/** Parses YAML (or JSON) text and validates it; `file` is only used in messages. */
export function parseClusterSpec(text: string, file: string): ClusterSpec {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file });
  } catch (err) {
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    const where = e.mark ? `${file}:${e.mark.line + 1}:${e.mark.column + 1}` : file;
    throw new DustError(ErrorCodes.ClusterSpecUnreadable, `cluster spec: ${where}: ${e.reason ?? firstLine(err)}`, {
      hint: 'fix the YAML syntax there (indentation, a missing colon or quote); JSON works too', cause: err,
    });
  }
  return validateClusterSpec(raw, file);
}

/**
 * Validates a parsed document. `provider` picks the schema first (default ec2), so the errors speak
 * of that provider's keys only: `spark1.yaml: workers.count: expected number, got 'three'`.
 */
export function validateClusterSpec(raw: unknown, file: string): ClusterSpec {
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === undefined || raw === null ? 'an empty file' : describeValue(raw);
    throw invalid(file, `(top level): expected a mapping with at least name:, got ${got}`);
  }
  const providerRaw = (raw as Record<string, unknown>)['provider'];
  if (providerRaw !== undefined && !(CLUSTER_PROVIDERS as readonly unknown[]).includes(providerRaw)) {
    throw invalid(file, `provider: expected one of ${CLUSTER_PROVIDERS.map((p) => JSON.stringify(p)).join(', ')}, got ${describeValue(providerRaw)}`);
  }
  const provider = (providerRaw ?? 'ec2') as ClusterProviderName;
  const schema = specSchemaFor(provider);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const first = issues[0] as z.core.$ZodIssue;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw invalid(file, `${formatPath(first.path)}: ${explain(first, raw, provider)}${more}`);
}

function invalid(file: string, what: string): DustError {
  return new DustError(ErrorCodes.ClusterSpecInvalid, `cluster spec: ${file}: ${what}`, {
    hint: 'fix that key (docs/clusters.md lists them all); `cluster init NAME` writes a commented spec to compare with',
  });
}

/** describeIssue, plus what zod leaves vague: which alternative of a union failed, and "did you mean". */
function explain(issue: z.core.$ZodIssue, raw: unknown, provider: ClusterProviderName): string {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The alternative whose type matched says what is wrong with the value; if none matched, list the types.
    const matched = issue.errors.find((branch) => branch[0] !== undefined && branch[0].code !== 'invalid_type');
    if (matched?.[0]) return describeIssue({ ...matched[0], path: [...issue.path, ...matched[0].path] } as z.core.$ZodIssue, raw);
    const expected = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? b[0].expected : undefined)).filter(Boolean);
    return `expected ${expected.join(' or ')}, got ${describeValue(valueAt(raw, issue.path))}`;
  }
  const text = describeIssue(issue, raw);
  if (issue.code !== 'unrecognized_keys') return text;
  const known = allKeys(specFields(specSchemaFor(provider)));
  const siblings = [...known.values()].filter((p) => p.length === issue.path.length + 1 && issue.path.every((k, i) => p[i] === k)).map((p) => p[p.length - 1] as string);
  const elsewhere = [...known.keys()];
  const hints = issue.keys.map((k) => {
    const near = closest(k, siblings);
    if (near) return `did you mean '${near}'?`;
    const moved = elsewhere.find((full) => full.endsWith(`.${k}`) || full === k);
    return moved ? `'${k}' belongs under ${moved.split('.').slice(0, -1).join('.') || 'the top level'}` : undefined;
  }).filter(Boolean);
  const allowed = siblings.length > 0 ? ` (keys here: ${siblings.join(', ')})` : '';
  return `${text}${hints.length > 0 ? `: ${hints.join(' ')}` : allowed}`;
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The candidate within edit distance 2 (case-insensitive), if one is clearly closest. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/** A path from the spec (`key`, `podSpec`): `~` expanded, relative paths taken from the spec's directory. */
export function specPath(loaded: Pick<LoadedClusterSpec, 'dir'>, value: string): string {
  return path.resolve(loaded.dir, expandHome(value));
}
