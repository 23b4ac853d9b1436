import { z } from 'zod';

/**
 * The keys of a spec schema as a tree, read from the zod schema itself (descriptions, defaults,
 * examples, choices). The `cluster init` template and the loader's "did you mean" come from here, so
 * adding a key to the schema is all it takes for both to know it.
 */
export interface SpecField {
  key: string;
  /** From the top: `['spot', 'maxPrice']`. */
  path: readonly string[];
  description: string | undefined;
  /** No default and not optional: the file must set it (within its parent, if the parent is there). */
  required: boolean;
  /** Whether absence means a value (`default`), as opposed to "not set". */
  hasDefault: boolean;
  defaultValue: unknown;
  examples: readonly unknown[];
  /** The allowed values of an enum or literal. */
  choices: readonly string[] | undefined;
  /** Keys of a nested mapping. */
  children: readonly SpecField[] | undefined;
  /** Keys of each entry of a list of mappings (`ingress.ports[].port`). */
  itemFields: readonly SpecField[] | undefined;
}

type AnySchema = z.core.$ZodType;

interface Unwrapped {
  inner: AnySchema;
  optional: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  description: string | undefined;
  examples: readonly unknown[];
}

function metaOf(schema: AnySchema): { description?: string; examples?: unknown[] } {
  return (z.globalRegistry.get(schema) ?? {}) as { description?: string; examples?: unknown[] };
}

/** Peels default/optional/pipe/nullable wrappers, keeping the outermost description and examples. */
function unwrap(schema: AnySchema): Unwrapped {
  const out: Unwrapped = { inner: schema, optional: false, hasDefault: false, defaultValue: undefined, description: undefined, examples: [] };
  let cur: AnySchema = schema;
  for (;;) {
    const meta = metaOf(cur);
    out.description ??= meta.description;
    if (out.examples.length === 0 && meta.examples) out.examples = meta.examples;
    const def = cur._zod.def as unknown as { type: string; innerType?: AnySchema; in?: AnySchema; defaultValue?: unknown };
    if (def.type === 'default' && def.innerType) {
      if (!out.hasDefault) {
        out.hasDefault = true;
        out.defaultValue = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      }
      cur = def.innerType;
    } else if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) {
      out.optional = true;
      cur = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      cur = def.in;
    } else {
      out.inner = cur;
      return out;
    }
  }
}

function choicesOf(schema: AnySchema): string[] | undefined {
  const def = schema._zod.def as unknown as { type: string; entries?: Record<string, string>; values?: unknown[] };
  if (def.type === 'enum' && def.entries) return Object.values(def.entries).map(String);
  if (def.type === 'literal' && def.values) return def.values.map(String);
  return undefined;
}

function elementOf(schema: AnySchema): AnySchema | undefined {
  const def = schema._zod.def as unknown as { type: string; element?: AnySchema };
  return def.type === 'array' ? def.element : undefined;
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | undefined {
  const def = schema._zod.def as unknown as { type: string; shape?: Record<string, AnySchema> };
  return def.type === 'object' ? def.shape : undefined;
}

/** The keys of an object schema (a strictObject, possibly refined), in declaration order. */
export function specFields(schema: AnySchema, parent: readonly string[] = []): SpecField[] {
  const shape = shapeOf(unwrap(schema).inner);
  if (!shape) throw new TypeError('specFields: not an object schema');
  return Object.entries(shape).map(([key, child]) => {
    const u = unwrap(child);
    const path = [...parent, key];
    const nested = shapeOf(u.inner);
    const element = elementOf(u.inner);
    const elementIsMapping = element !== undefined && shapeOf(unwrap(element).inner) !== undefined;
    return {
      key,
      path,
      description: u.description,
      required: !u.optional && !u.hasDefault,
      hasDefault: u.hasDefault,
      defaultValue: u.defaultValue,
      examples: u.examples,
      choices: choicesOf(u.inner),
      children: nested ? specFields(u.inner, path) : undefined,
      itemFields: element && elementIsMapping ? specFields(element, [...parent, `${key}[]`]) : undefined,
    };
  });
}

/** Every key name that appears anywhere in the tree (for "did you mean"). */
export function allKeys(fields: readonly SpecField[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const walk = (list: readonly SpecField[]) => {
    for (const f of list) {
      out.set(f.path.join('.'), f.path);
      if (f.children) walk(f.children);
      if (f.itemFields) walk(f.itemFields);
    }
  };
  walk(fields);
  return out;
}
