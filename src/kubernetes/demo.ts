/**
 * The demo's pods: dust's Kubernetes emulator in this process on loopback, with a namespace `demo` holding
 * `pod0`–`pod2` (label `app=demo`), and a 0600 kubeconfig for it under `$DUST_HOME/demo/k8s/`. dust reaches them
 * exactly as it reaches a real cluster: the Kubernetes plugin reads that kubeconfig and talks HTTPS and WebSocket
 * exec to the emulator through client-node. Each pod is a shell on this machine in its own sandboxed home
 * (`$DUST_HOME/demo/pods/demo/podN/home`, kept between runs like the SSH nodes' homes).
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type EmulatorTls, emulatorTls, type KubeEmulatorServer, startKubeEmulator, writeKubeconfig } from './emulator/index.js';

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
    tls: demoTls(path.join(dir, 'tls.json')),
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

/**
 * The demo's TLS identity, kept (0600) between runs: making it costs two RSA keys and a signature in JavaScript,
 * seconds on a busy machine, every `npm start`. A stored one is used while it verifies and has a day left.
 */
function demoTls(file: string): EmulatorTls {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmulatorTls>;
    if (typeof stored.caCert === 'string' && typeof stored.cert === 'string' && typeof stored.key === 'string') {
      const cert = new X509Certificate(stored.cert);
      const fresh = Date.parse(cert.validTo) - Date.now() > 24 * 60 * 60 * 1000;
      if (fresh && cert.verify(new X509Certificate(stored.caCert).publicKey) && cert.checkIP('127.0.0.1') !== undefined) {
        return { caCert: stored.caCert, cert: stored.cert, key: stored.key };
      }
    }
  } catch {
    // none yet, or unreadable: make a new one
  }
  const tls = emulatorTls('127.0.0.1');
  try {
    writeFileSync(file, JSON.stringify(tls), { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch {
    // not kept: the next start makes another
  }
  return tls;
}
