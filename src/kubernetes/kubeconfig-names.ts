/**
 * Context and namespace names in kubeconfig files, read as plain YAML, for shell completion of `--kube-context`
 * and `--namespace`: a Tab must answer in milliseconds, so neither client-node nor the API server is involved.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { expandHome } from '../config/paths.js';

/** The kubeconfig files kubectl would read: `explicit` (`:`-separated), else KUBECONFIG, else ~/.kube/config. */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = explicit ?? env['KUBECONFIG'];
  if (list !== undefined && list.trim() !== '') {
    return list.split(path.delimiter).filter((f) => f.trim() !== '').map((f) => path.resolve(expandHome(f.trim())));
  }
  return [path.join(env['HOME'] ?? os.homedir(), '.kube', 'config')];
}

/** Every context name, and every namespace a context names, in the files that exist and parse (others are skipped). */
export function kubeconfigNames(files: readonly string[]): { contexts: string[]; namespaces: string[] } {
  const contexts = new Set<string>();
  const namespaces = new Set<string>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    let doc: unknown;
    try {
      doc = yaml.load(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const list = typeof doc === 'object' && doc !== null ? (doc as { contexts?: unknown }).contexts : undefined;
    if (!Array.isArray(list)) continue;
    for (const entry of list as { name?: unknown; context?: { namespace?: unknown } }[]) {
      if (typeof entry?.name === 'string' && entry.name !== '') contexts.add(entry.name);
      const ns = entry?.context?.namespace;
      if (typeof ns === 'string' && ns !== '') namespaces.add(ns);
    }
  }
  return { contexts: [...contexts].sort(), namespaces: [...namespaces].sort() };
}
