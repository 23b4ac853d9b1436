/** The kubeconfig that points kubectl, client-node and dust at an emulator. */
import { chmodSync, writeFileSync } from 'node:fs';
import yaml from 'js-yaml';

export interface KubeconfigParts {
  server: string;
  caCert: string;
  token: string;
  /** Cluster, user and context name. */
  name: string;
  namespace: string;
}

export function renderKubeconfig(parts: KubeconfigParts): string {
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: parts.name, cluster: { server: parts.server, 'certificate-authority-data': Buffer.from(parts.caCert).toString('base64') } }],
    users: [{ name: parts.name, user: { token: parts.token } }],
    contexts: [{ name: parts.name, context: { cluster: parts.name, user: parts.name, namespace: parts.namespace } }],
    'current-context': parts.name,
    preferences: {},
  }, { lineWidth: -1 });
}

/** Writes a kubeconfig with mode 0600: it holds the bearer token. */
export function writeKubeconfig(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}
