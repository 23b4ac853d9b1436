/**
 * Label and field selectors, with the API server's grammar: `app=web,tier!=db,env in (a,b),zone notin (x),gpu,!spot`
 * for labels; `metadata.name=x,status.phase!=Running` for fields. A bad selector is a 400 with the server's wording.
 */
import { KubeErrors } from './status.js';

export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = readonly LabelRequirement[];

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Whether `key` is a valid label key (optional DNS-subdomain prefix, name up to 63 characters). */
export function isLabelKey(key: string): boolean {
  if (!QUALIFIED_NAME.test(key)) return false;
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  return name.length <= 63 && (slash < 0 || slash <= 253);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

function parseError(selector: string, why: string): Error {
  return KubeErrors.badRequest(`unable to parse requirement: ${why} (selector "${selector}")`);
}

/** Splits at top-level commas (commas inside `( )` belong to a set). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

export function parseLabelSelector(selector: string | undefined | null): LabelSelector {
  if (selector === undefined || selector === null || selector.trim() === '') return [];
  const out: LabelRequirement[] = [];
  for (const part of splitTopLevel(selector)) {
    if (part === '') throw parseError(selector, 'found \'\', expected: identifier');
    const checkKey = (key: string): string => {
      if (!isLabelKey(key)) throw parseError(selector, `invalid label key "${key}"`);
      return key;
    };
    const checkValue = (value: string): string => {
      if (!isLabelValue(value)) throw parseError(selector, `invalid label value: "${value}"`);
      return value;
    };
    let m: RegExpMatchArray | null;
    if ((m = /^!\s*(\S+)$/.exec(part))) {
      out.push({ op: 'notexists', key: checkKey(m[1] ?? '') });
    } else if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim()));
      if (values.length === 0 || (values.length === 1 && values[0] === '')) throw parseError(selector, `for 'in', 'notin' operators, values set can't be empty`);
      out.push({ op: m[2] === 'in' ? 'in' : 'notin', key: checkKey(m[1] ?? ''), values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part))) {
      out.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1] ?? ''), value: checkValue((m[3] ?? '').trim()) });
    } else if (/^\S+$/.test(part)) {
      out.push({ op: 'exists', key: checkKey(part) });
    } else {
      throw parseError(selector, `found '${part}', expected: in, notin, =, ==, !=`);
    }
  }
  return out;
}

export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.op) {
      case 'eq': return has && value === r.value;
      case 'neq': return !has || value !== r.value;
      case 'in': return has && r.values.includes(value ?? '');
      case 'notin': return !has || !r.values.includes(value ?? '');
      case 'exists': return has;
      case 'notexists': return !has;
      default: return false;
    }
  });
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

export type FieldSelector = readonly FieldRequirement[];

/** The pod fields the API server lets a field selector name. */
export const POD_FIELDS = [
  'metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName',
  'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName',
] as const;

export function parseFieldSelector(selector: string | undefined | null, allowed: readonly string[] = POD_FIELDS): FieldSelector {
  if (selector === undefined || selector === null || selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw KubeErrors.badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = (m[1] ?? '').trim();
    if (!allowed.includes(field)) throw KubeErrors.badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: (m[3] ?? '').trim() };
  });
}

export function matchesFields(selector: FieldSelector, fields: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => ((fields[r.field] ?? '') === r.value) === (r.op === 'eq'));
}
