import fs from 'node:fs';
import path from 'node:path';
import { requireSshd, startSshdCluster, type SshdCluster } from '../harness/sshd-cluster.js';
import { makeTempHome } from '../helpers/temp-home.js';

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

export interface CliCluster {
  cluster: SshdCluster;
  tmp: ReturnType<typeof makeTempHome>;
  /** `<tmp.home>/dust.yaml`, listing the cluster's nodes (cluster `lab`) with one login rule. */
  configFile: string;
}

/**
 * Registers before/after hooks on the enclosing suite: a loopback sshd cluster, a throwaway DUST_HOME and a
 * dust config for it, all removed afterwards. Suites add their own `before` for further set-up; it runs after.
 */
export function useCliCluster(opts: { count: number }): CliCluster {
  const fixture = {} as CliCluster;
  before(async function () {
    requireSshd(this);
    fixture.cluster = await startSshdCluster({ count: opts.count });
    fixture.tmp = makeTempHome();
    fixture.configFile = writeDustConfig(fixture.cluster, fixture.tmp.home);
  });
  after(async () => {
    await fixture.cluster?.down();
    fixture.tmp?.cleanup();
  });
  return fixture;
}
