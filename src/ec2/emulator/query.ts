import { Ec2Errors } from './errors.js';

/** A `{Name, Values}` filter as the SDK sends it (`Filter.N.Name`, `Filter.N.Value.M`). */
export interface QueryFilter {
  name: string;
  values: string[];
}

/** A `{Key, Value}` tag; `value` is undefined when the request left `Tag.N.Value` out (DeleteTags cares). */
export interface QueryTag {
  key: string;
  value: string | undefined;
}

/**
 * A read-only view of an EC2 Query request body. EC2 flattens lists 1-based without `.member.`
 * (`InstanceId.1`, `Filter.2.Value.1`) and nests structures with dots; `sub('Filter.1')` gives a
 * view whose keys are relative to that prefix, so nested lists read the same way at every depth.
 */
export class QueryParams {
  private constructor(
    private readonly entries: ReadonlyMap<string, string>,
    private readonly prefix: string,
  ) {}

  /** Parses an `application/x-www-form-urlencoded` body (or a URL query string). */
  static parse(body: string): QueryParams {
    const map = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body)) map.set(k, v);
    return new QueryParams(map, '');
  }

  /** Builds a view from already-decoded pairs (seeding and tests). */
  static fromRecord(record: Readonly<Record<string, string>>): QueryParams {
    return new QueryParams(new Map(Object.entries(record)), '');
  }

  private key(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}.${name}`;
  }

  /** Every decoded pair at and below this view, with full keys (for the request log). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries) if (this.prefix === '' || k.startsWith(`${this.prefix}.`)) out[k] = v;
    return out;
  }

  has(name: string): boolean {
    return this.entries.has(this.key(name));
  }

  str(name: string): string | undefined {
    return this.entries.get(this.key(name));
  }

  /** Like `str` but raises EC2's MissingParameter when absent or empty. */
  required(name: string, wireName: string = name): string {
    const value = this.str(name);
    if (value === undefined || value === '') throw Ec2Errors.missingParameter(wireName);
    return value;
  }

  /** `true`/`false` (case-insensitive, as EC2 accepts); anything else is InvalidParameterValue. */
  bool(name: string): boolean | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    const lower = raw.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw Ec2Errors.invalidParameterValue(`Invalid value '${raw}' for ${name}. Expected a boolean`);
  }

  /** An integer parameter; non-integers are InvalidParameterValue. */
  int(name: string): number | undefined {
    const raw = this.str(name);
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw.trim())) throw Ec2Errors.invalidParameterValue(`Invalid value '${raw}' for ${name}`);
    return Number.parseInt(raw, 10);
  }

  /** The 1-based indices present under `name.N…`, in numeric order (EC2 accepts gaps). */
  private indices(name: string): number[] {
    const base = `${this.key(name)}.`;
    const found = new Set<number>();
    for (const k of this.entries.keys()) {
      if (!k.startsWith(base)) continue;
      const m = /^(\d+)(?:\.|$)/.exec(k.slice(base.length));
      if (m?.[1] !== undefined) found.add(Number(m[1]));
    }
    return [...found].sort((a, b) => a - b);
  }

  /** A flat list: `InstanceId.1=a&InstanceId.2=b` → `['a','b']`. */
  list(name: string): string[] {
    const out: string[] = [];
    for (const i of this.indices(name)) {
      const v = this.str(`${name}.${i}`);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** A list of structures: `Filter.1.Name…&Filter.2.Name…` → one view per entry. */
  structs(name: string): QueryParams[] {
    return this.indices(name).map((i) => this.sub(`${name}.${i}`));
  }

  /** A view of one nested structure (`Placement`, `Filter.1`). */
  sub(name: string): QueryParams {
    return new QueryParams(this.entries, this.key(name));
  }

  filters(): QueryFilter[] {
    return this.structs('Filter').map((f) => ({ name: f.str('Name') ?? '', values: f.list('Value') }));
  }

  /** `Tag.N.Key/Value` (or another list name with the same shape). */
  tags(name = 'Tag'): QueryTag[] {
    return this.structs(name).map((t) => ({ key: t.str('Key') ?? '', value: t.str('Value') }));
  }

  /** Tags from `TagSpecification.N` entries whose ResourceType is `resourceType`. */
  tagSpecifications(resourceType: string): QueryTag[] {
    return this.structs('TagSpecification')
      .filter((s) => s.str('ResourceType') === resourceType)
      .flatMap((s) => s.tags('Tag'));
  }
}
