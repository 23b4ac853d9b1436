import fs from 'node:fs';
import path from 'node:path';
import type { SshdCluster } from '../harness/sshd-cluster.js';

/** Writes a dust config listing a harness cluster's nodes (plus extra raw node lines) with one login rule. */
export function writeDustConfig(cluster: SshdCluster, dir: string, opts: { extraNodes?: string[]; ssh?: string; rename?: (n: string) => string } = {}): string {
  const rename = opts.rename ?? ((n: string) => n);
  const lines = ['sshConfig: false', 'hostKeyChecking: accept-new', 'ssh:', `  ${opts.ssh ?? 'connectTimeoutMs: 4000'}`, 'nodes:'];
  for (const n of cluster.nodes) lines.push(`  - { name: ${rename(n.name)}, host: ${n.host}, port: ${n.port}, cluster: lab }`);
  for (const extra of opts.extraNodes ?? []) lines.push(`  - ${extra}`);
  lines.push('logins:', "  - selector: '*'", `    user: ${cluster.user}`, `    identityFile: ${cluster.clientKeyPath}`);
  const file = path.join(dir, 'dust.yaml');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
