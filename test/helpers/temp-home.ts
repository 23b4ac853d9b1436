import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway DUST_HOME (and config) per test, removed afterwards. */
export function makeTempHome(config?: string): { home: string; configFile: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-test-'));
  const configFile = path.join(home, 'config.yaml');
  if (config !== undefined) fs.writeFileSync(configFile, config);
  // A dust that is still leaving (history saved in the background) may write while the tree is removed: retry.
  return { home, configFile, cleanup: () => fs.rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }) };
}

export const SAMPLE_CONFIG = `
nodes:
  - name: master
    host: 127.0.0.1
    cluster: slurm1
  - name: worker[0-11]
    host: 127.0.0.[2-13]
    cluster: slurm1
    tags: { role: compute }
  - name: web[1-2]
    host: 127.0.0.[20-21]
    cluster: webtest
    state: stopped
  - name: lonely
    host: 127.0.0.30
logins:
  - selector: tags=role:compute
    user: ubuntu
`;
