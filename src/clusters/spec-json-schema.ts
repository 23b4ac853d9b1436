import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ClusterSpecSchema } from './spec.js';

/**
 * The cluster spec as JSON Schema (draft 2020-12) for editors, generated from the zod schema. It
 * describes what people write (zod's input side: defaults are optional, prices may be numbers), and
 * is committed as docs/cluster-spec.schema.json; a test fails when that file drifts from the schema.
 */
export function clusterSpecJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ClusterSpecSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

/** The committed file, as text (what `scripts/cluster-spec-schema.ts --write` produces). */
export function renderClusterSpecJsonSchema(): string {
  return `${JSON.stringify(clusterSpecJsonSchema(), null, 2)}\n`;
}

/** Where the committed schema lives in an installed dust (docs/ ships with the package): for editor modelines. */
export function clusterSpecSchemaFile(): string {
  // src/clusters/x.ts and dist/clusters/x.js are both two levels below the package root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'cluster-spec.schema.json');
}
