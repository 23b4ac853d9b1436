/**
 * `dust emulator --k8s`: serves the Kubernetes emulator on loopback until Ctrl-C, with a kubeconfig for kubectl,
 * client-node and dust. Loaded only when the flag is given (it brings ws, node-forge and node-pty along).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../../plugins/api.js';
import { DustError } from '../../errors/dust-error.js';
import { ErrorCodes } from '../../errors/codes.js';
import type { KubeEmulatorCore, SeedPod } from './core.js';
import { EMULATED_VERSION } from './discovery.js';
import { startKubeEmulator } from './http-server.js';
import { writeKubeconfig } from './kubeconfig.js';

/** What `--seed demo` starts with: a web tier and a database in `default`, and a three-worker dust cluster in `batch`. */
export const DEMO_PODS: readonly SeedPod[] = [
  { name: 'web-0', labels: { app: 'web', tier: 'front' }, image: 'nginx:1.27' },
  { name: 'web-1', labels: { app: 'web', tier: 'front' }, image: 'nginx:1.27' },
  { name: 'db-0', labels: { app: 'db', tier: 'back' }, image: 'postgres:17' },
  ...[0, 1, 2].map((i) => ({
    name: `spark1-worker-${i}`,
    namespace: 'batch',
    labels: { 'dust/cluster': 'spark1', 'dust/role': 'worker', 'dust/index': String(i) },
    image: 'apache/spark:3.5.3',
  })),
];

export function seedDemoPods(core: KubeEmulatorCore): void {
  core.seedPods(DEMO_PODS);
}

export interface ServeKubeEmulatorOptions {
  host: string;
  port: number;
  seed: 'demo' | 'none';
  /** Where the kubeconfig goes (default `$DUST_HOME/k8s-emulator/kubeconfig`). */
  kubeconfig: string | undefined;
}

export async function serveKubeEmulator(ctx: CommandContext, options: ServeKubeEmulatorOptions): Promise<boolean> {
  const kubeconfig = path.resolve(options.kubeconfig ?? path.join(ctx.state.dustHome, 'k8s-emulator', 'kubeconfig'));
  let server;
  try {
    server = await startKubeEmulator({ host: options.host, port: options.port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new DustError(ErrorCodes.Usage, `emulator: port ${options.port} on ${options.host} is in use`, { hint: 'pick another --port, or 0 for any free one', cause: err });
    }
    throw err;
  }
  try {
    if (options.seed === 'demo') seedDemoPods(server.core);
    try {
      mkdirSync(path.dirname(kubeconfig), { recursive: true, mode: 0o700 });
      writeKubeconfig(kubeconfig, server.kubeconfig);
    } catch (err) {
      throw new DustError(ErrorCodes.Usage, `emulator: cannot write the kubeconfig ${kubeconfig}: ${(err as Error).message}`, { hint: 'give a writable path with --kubeconfig FILE', cause: err });
    }
    const seeded = options.seed === 'demo' ? ', pods web-0 web-1 db-0 and cluster spark1 (namespace batch) seeded' : '';
    ctx.out.success(`Kubernetes emulator listening on ${server.url} (Kubernetes ${EMULATED_VERSION.major}.${EMULATED_VERSION.minor}${seeded}); Ctrl-C stops it`);
    ctx.out.print(`  kubeconfig: ${kubeconfig} (mode 0600: it holds the bearer token; removed when the emulator stops)`);
    ctx.out.print(`  kubectl:    KUBECONFIG=${kubeconfig} kubectl get pods -A`);
    ctx.out.print(`  dust:       dust --kubeconfig ${kubeconfig} --namespace '*'   (or config \`kubernetes: { kubeconfig: ${kubeconfig}, namespace: '*' }\`)`);
    ctx.out.print(`  each pod is a shell on this machine, in ${server.core.sandboxDir}/<namespace>/<pod>/home`);
    if (server.core.noTerminals !== undefined) ctx.out.warn(`exec with a terminal (kubectl exec -it, dust's shells) will fail: ${server.core.noTerminals}`);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await server.close();
    rmSync(kubeconfig, { force: true });
  }
  ctx.out.info('Kubernetes emulator stopped: its pods and their files are gone, and so is the kubeconfig');
  return true;
}
