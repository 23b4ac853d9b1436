import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import { describeIssue, formatPath } from '../../config/issue-text.js';
import { CLUSTER_NAME, Ec2ClusterSpecSchema, type Ec2ClusterSpec } from '../../clusters/spec.js';
import { NodeSetupOutcomeSchema } from '../../clusters/setup.js';

/**
 * What `cluster up` created for a cluster, in `$DUST_HOME/clusters/NAME.yaml` (mode 0600): ids, and
 * for each resource whether dust created it (only those does `cluster down` delete). Written after
 * every step, before and after each launch, so a crash or a failure at any point leaves a file that
 * `cluster down` can clean up from, and that the next `cluster up` continues from.
 */

const createdResource = {
  name: z.string(),
  id: z.string(),
  /** True when dust created it (and so `cluster down` deletes it). */
  created: z.boolean(),
};

const LaunchSchema = z.strictObject({
  role: z.enum(['head', 'worker']),
  /** The RunInstances ClientToken (see names.ts `launchToken`). */
  token: z.string(),
  seq: z.int().min(0),
  /** Node names, in launch index order. */
  names: z.array(z.string()),
  /** Filled in once EC2 answered; empty while the launch may or may not have happened. */
  instanceIds: z.array(z.string()),
  at: z.string(),
});

export const ClusterStateSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().regex(CLUSTER_NAME),
  provider: z.literal('ec2'),
  region: z.string(),
  clusterTag: z.string(),
  /** New for every cluster brought up from nothing: part of every ClientToken. */
  launchId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The spec as last applied (what `status` compares against). */
  spec: Ec2ClusterSpecSchema,
  keyPair: z.strictObject({ ...createdResource, fingerprint: z.string() }).optional(),
  securityGroup: z.strictObject({ ...createdResource, vpcId: z.string().optional() }).optional(),
  placementGroup: z.strictObject({ ...createdResource, strategy: z.string() }).optional(),
  /** The head's subnet: workers launch there (one zone, as a cluster placement group needs). */
  subnetId: z.string().optional(),
  launches: z.array(LaunchSchema).default([]),
  /** Each node's last setup outcome by node name (runSetup in src/clusters/setup.ts), for `cluster status`. */
  setup: z.record(z.string(), NodeSetupOutcomeSchema).optional(),
});

export type ClusterState = z.output<typeof ClusterStateSchema>;
export type LaunchRecord = z.output<typeof LaunchSchema>;

/** The directory of the state files. */
export function clustersDir(dustHome: string): string {
  return path.join(dustHome, 'clusters');
}

export function stateFile(dustHome: string, name: string): string {
  return path.join(clustersDir(dustHome), `${name}.yaml`);
}

/** A fresh state for a cluster about to be brought up. */
export function newClusterState(spec: Ec2ClusterSpec, region: string, clusterTag: string, now: Date): ClusterState {
  const at = now.toISOString();
  return {
    version: 1, name: spec.name, provider: 'ec2', region, clusterTag, launchId: randomBytes(8).toString('hex'),
    createdAt: at, updatedAt: at, spec, launches: [],
  };
}

function stateError(file: string, what: string, cause?: unknown): DustError {
  return new DustError(ErrorCodes.ClusterState, `cluster state: ${file}: ${what}`, {
    hint: 'dust writes this file itself; if it was edited, restore it, or move it away and run `cluster down NAME` (it finds dust\'s resources by their tags)',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The cluster's state, or undefined when it has none. A damaged file is an error, never silently ignored. */
export function readClusterState(dustHome: string, name: string): ClusterState | undefined {
  const file = stateFile(dustHome, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw stateError(file, `cannot read it (${(err as Error).message.split('\n')[0]})`, err);
  }
  let raw: unknown;
  try {
    raw = yaml.load(text);
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    throw stateError(mark ? `${file}:${mark.line + 1}:${mark.column + 1}` : file, `not valid YAML (${(err as { reason?: string }).reason ?? 'syntax error'})`, err);
  }
  const parsed = ClusterStateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw stateError(file, `${formatPath(issue.path)}: ${describeIssue(issue, raw)}`);
  }
  if (parsed.data.name !== name) throw stateError(file, `it describes cluster '${parsed.data.name}', not '${name}'`);
  return parsed.data;
}

/** Names of the clusters that have a state file. */
export function listClusterStates(dustHome: string): string[] {
  try {
    return fs.readdirSync(clustersDir(dustHome))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((n) => CLUSTER_NAME.test(n))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Writes the state atomically (temporary file, then rename) with mode 0600 in a 0700 directory:
 * it names the account's resources, which is nobody else's business on a shared machine.
 */
export function writeClusterState(dustHome: string, state: ClusterState, now: Date): void {
  const file = stateFile(dustHome, state.name);
  state.updatedAt = now.toISOString();
  const body =
    `# dust: what \`cluster up\` created for cluster ${state.name} in ${state.region}. \`cluster down ${state.name}\`\n` +
    '# reads it to remove exactly that. Written by dust; do not edit.\n' +
    yaml.dump(state, { lineWidth: -1, noRefs: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, body, { mode: 0o600 });
    fs.renameSync(tmp, file);
    fs.chmodSync(file, 0o600);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw stateError(file, `cannot write it (${(err as Error).message.split('\n')[0]})`, err);
  }
}

/** Removes the state file (after a complete `cluster down`). */
export function deleteClusterState(dustHome: string, name: string): void {
  fs.rmSync(stateFile(dustHome, name), { force: true });
}
