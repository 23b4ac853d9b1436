import yaml from 'js-yaml';
import { type ClusterProviderName, specSchemaFor } from './spec.js';
import { type SpecField, specFields } from './spec-fields.js';

export interface SpecTemplateOptions {
  provider?: ClusterProviderName;
  /** The cluster name written into the file (default `my-cluster`). */
  name?: string;
  /** Values for top-level keys instead of their defaults (the demo's `key:`). */
  values?: Readonly<Record<string, unknown>>;
  /** Where editors find the JSON Schema (a URL or absolute path); adds the yaml-language-server modeline. */
  schemaUrl?: string;
}

const WIDTH = 100;

/** A value as YAML on one line (flow style): `[git, htop]`, `0.0.0.0/0`, `{ port: 8080 }`. */
function inline(value: unknown): string {
  return yaml.dump(value, { flowLevel: 0, lineWidth: -1 }).trim();
}

/** Wraps `text` into `# ` comment lines indented by `indent`. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && indent.length + 2 + line.length + 1 + word.length > WIDTH) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(`${indent}# ${line}`);
  return lines;
}

/** `(required)`, `(default: t3.micro)`, `(optional)`, plus the choices of an enum. */
function status(f: SpecField, parentOptional: boolean): string {
  const choices = f.choices && f.choices.length > 1 ? ` One of: ${f.choices.join(', ')}.` : '';
  if (f.required) return `${choices} (required${parentOptional ? ` when ${f.path.slice(0, -1).join('.')} is set` : ''})`;
  if (f.hasDefault && !f.children) return `${choices} (default: ${inline(f.defaultValue)})`;
  return `${choices} (optional)`;
}

function render(fields: readonly SpecField[], depth: number, commented: boolean, values: ReadonlyMap<string, unknown>, out: string[]): void {
  const indent = '  '.repeat(depth);
  for (const f of fields) {
    out.push('');
    out.push(...comment(`${f.description ?? f.key}${status(f, commented)}`.trim(), indent));
    // A key whose absence means something (optional, no default) is shown commented out, with an example.
    const off = commented || (!f.required && !f.hasDefault && !values.has(f.path.join('.')));
    const prefix = off ? `${indent}# ` : indent;
    if (f.children) {
      out.push(`${prefix}${f.key}:`);
      const inner: string[] = [];
      render(f.children, depth + 1, off, values, inner);
      // Nested comments under a commented-out block stay readable: "#   # text".
      out.push(...inner.filter((l, i) => !(i === 0 && l === '')));
      continue;
    }
    const given = values.get(f.path.join('.'));
    const value = given !== undefined ? given : f.hasDefault ? f.defaultValue : f.examples[0];
    out.push(`${prefix}${f.key}: ${inline(value ?? '')}`);
    const example = f.examples[0];
    if (example !== undefined && f.hasDefault && inline(example) !== inline(value)) out.push(`${indent}#   e.g. ${f.key}: ${inline(example)}`);
  }
}

/**
 * The file `cluster init` writes: every key of the provider's spec with its description, whether it
 * is required and its default (or, for optional keys, a commented-out example). It loads back as a
 * valid spec with the defaults, and is generated from the schema so the two cannot disagree.
 */
export function renderSpecTemplate(options: SpecTemplateOptions = {}): string {
  const provider = options.provider ?? 'ec2';
  const name = options.name ?? 'my-cluster';
  const values = new Map<string, unknown>([...Object.entries(options.values ?? {}), ['name', name], ['provider', provider]]);
  const out: string[] = [];
  if (options.schemaUrl !== undefined) out.push(`# yaml-language-server: $schema=${options.schemaUrl}`);
  out.push(
    `# dust cluster spec (${provider}). \`cluster up ${name}.yaml\` builds the cluster; running it again only adds what`,
    `# is missing. \`cluster down ${name}\` removes everything dust created for it, and nothing else.`,
    '# Each key says whether it is required and what its default is.',
  );
  const lines: string[] = [];
  render(specFields(specSchemaFor(provider)), 0, false, values, lines);
  out.push(...lines);
  return `${out.join('\n')}\n`;
}
