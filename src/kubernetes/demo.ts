/**
 * The demo's pods: dust's Kubernetes emulator in this process on loopback, with a namespace `demo` holding
 * `pod0`–`pod2` (label `app=demo`), and a 0600 kubeconfig for it under `$DUST_HOME/demo/k8s/`. dust reaches them
 * exactly as it reaches a real cluster: the Kubernetes plugin reads that kubeconfig and talks HTTPS and WebSocket
 * exec to the emulator through client-node. Each pod is a shell on this machine in its own sandboxed home
 * (`$DUST_HOME/demo/pods/demo/podN/home`, kept between runs like the SSH nodes' homes).
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type KubeEmulatorServer, startKubeEmulator, writeKubeconfig } from './emulator/index.js';

export const DEMO_POD_NAMESPACE = 'demo';
export const DEMO_POD_NAMES: readonly string[] = ['pod0', 'pod1', 'pod2'];

export interface PodDemo {
  kubeconfig: string;
  namespace: string;
  pods: readonly string[];
  /** One line for the demo's banner. */
  banner: string;
  server: KubeEmulatorServer;
  close(): Promise<void>;
}

export async function startPodDemo(options: { dustHome: string }): Promise<PodDemo> {
  const dir = path.join(options.dustHome, 'demo', 'k8s');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = await startKubeEmulator({
    host: '127.0.0.1',
    sandboxDir: path.join(options.dustHome, 'demo', 'pods'),
    namespaces: ['default', 'kube-system', 'kube-public', DEMO_POD_NAMESPACE],
  });
  const kubeconfig = path.join(dir, 'kubeconfig');
  try {
    server.core.seedPods(DEMO_POD_NAMES.map((name) => ({ name, namespace: DEMO_POD_NAMESPACE, labels: { app: 'demo' }, image: 'debian:12-slim' })));
    writeKubeconfig(kubeconfig, server.kubeconfig);
  } catch (err) {
    await server.close();
    throw err;
  }
  let closed = false;
  return {
    kubeconfig,
    namespace: DEMO_POD_NAMESPACE,
    pods: DEMO_POD_NAMES,
    banner: `DEMO — ${DEMO_POD_NAMES.length} pods (${DEMO_POD_NAMES[0]}–${DEMO_POD_NAMES.at(-1)}, namespace ${DEMO_POD_NAMESPACE}, label app=demo) on dust's Kubernetes emulator at ${server.url}, `
      + `kubeconfig ${kubeconfig}: try @pod* hostname`,
    server,
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      rmSync(kubeconfig, { force: true });
    },
  };
}
