/** RSS per idle session, measured in a child process so the bench's own allocations do not count (bench/rss-child.ts). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SshdCluster } from '../../test/harness/sshd-cluster.js';
import { writeBenchConfig } from './dust-app.js';

export interface RssResult { sessions: number; rssBeforeMiB: number; rssAfterMiB: number; perSessionMiB: number; heapPerSessionKiB: number }

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function rssPerSession(cluster: SshdCluster, workDir: string): Promise<RssResult> {
  const config = writeBenchConfig(cluster, workDir);
  const home = mkdtempSync(path.join(workDir, 'rss-home-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(benchDir, 'rss-child.ts'), config, home], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: path.dirname(benchDir),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      try {
        const j = JSON.parse(out.trim().split('\n').pop() ?? '') as { sessions: number; before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage };
        const mib = (b: number): number => b / 1024 / 1024;
        resolve({
          sessions: j.sessions,
          rssBeforeMiB: mib(j.before.rss),
          rssAfterMiB: mib(j.after.rss),
          perSessionMiB: mib(j.after.rss - j.before.rss) / j.sessions,
          heapPerSessionKiB: (j.after.heapUsed - j.before.heapUsed) / 1024 / j.sessions,
        });
      } catch (err) {
        reject(new Error(`rss child (exit ${code}): ${String(err)} ${out.slice(0, 200)}`));
      }
    });
  });
}
