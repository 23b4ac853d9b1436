/**
 * `$DUST_HOME/clusters/`: each provider keeps its own record of the clusters this machine brought up
 * (`NAME.yaml`, with a `provider:` key), and dust keeps what happened on the nodes (setup outcomes) beside
 * them in `setup/NAME.yaml`. The commands read only the `provider:` key of a record, to know whom to ask.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { CLUSTER_NAME } from './names.js';
import { writePrivateFile } from '../state/private-file.js';

export function clusterRecordsDir(dustHome: string): string {
  return path.join(dustHome, 'clusters');
}

export function clusterRecordFile(dustHome: string, name: string): string {
  return path.join(clusterRecordsDir(dustHome), `${name}.yaml`);
}

/** The `provider:` of the cluster's record, or undefined when there is none (or it cannot be read). */
export function recordedProvider(dustHome: string, name: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(clusterRecordFile(dustHome, name), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = yaml.load(text) as { provider?: unknown } | null;
    return typeof doc?.provider === 'string' ? doc.provider : undefined;
  } catch {
    // A damaged record still belongs to someone: the provider that reads it reports the damage.
    const m = /^provider:\s*([A-Za-z0-9_-]+)\s*$/m.exec(text);
    return m?.[1];
  }
}

/** Clusters with a record, and whose they are. */
export function recordedClusters(dustHome: string): { name: string; provider: string | undefined }[] {
  let files: string[];
  try {
    files = fs.readdirSync(clusterRecordsDir(dustHome));
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .filter((n) => CLUSTER_NAME.test(n))
    .sort()
    .map((name) => ({ name, provider: recordedProvider(dustHome, name) }));
}

/** What setup did on one node, as `cluster status` shows it. */
export interface SetupRecordEntry {
  node: string;
  role: 'head' | 'worker';
  status: 'ok' | 'failed' | 'pending' | 'interrupted';
  step?: string;
  exitCode?: number | null;
  reason?: string;
  /** Which setup it was (a digest of the spec's dependencies and setup): a changed spec sets nodes up again. */
  digest?: string;
  at: string;
}

function setupFile(dustHome: string, name: string): string {
  return path.join(clusterRecordsDir(dustHome), 'setup', `${name}.yaml`);
}

/** The latest setup outcome of each node of the cluster (empty when setup never ran here). */
export function readSetupRecord(dustHome: string, name: string): SetupRecordEntry[] {
  try {
    const doc = yaml.load(fs.readFileSync(setupFile(dustHome, name), 'utf8')) as { nodes?: unknown } | null;
    return Array.isArray(doc?.nodes) ? (doc.nodes as SetupRecordEntry[]).filter((n) => typeof n?.node === 'string' && typeof n.status === 'string') : [];
  } catch {
    return [];
  }
}

/** Merges new outcomes into the record: a node set up again replaces its old outcome. */
export async function writeSetupRecord(dustHome: string, name: string, outcomes: readonly SetupRecordEntry[]): Promise<void> {
  const byNode = new Map(readSetupRecord(dustHome, name).map((e) => [e.node, e]));
  for (const o of outcomes) byNode.set(o.node, o);
  const file = setupFile(dustHome, name);
  const nodes = [...byNode.values()].sort((a, b) => (a.role === b.role ? a.node.localeCompare(b.node, undefined, { numeric: true }) : a.role === 'head' ? -1 : 1));
  await writePrivateFile(file, `# dust: the last setup outcome of each node of cluster ${name} (cluster status shows it)\n${yaml.dump({ nodes }, { lineWidth: -1 })}`);
}

export function deleteSetupRecord(dustHome: string, name: string): void {
  fs.rmSync(setupFile(dustHome, name), { force: true });
}
