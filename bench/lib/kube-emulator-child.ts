/**
 * The Kubernetes emulator in a process of its own for the bench (as sshd is for SSH nodes, so the API server's and
 * the pods' work does not share dust's event loop): N running pods `pod0`… in namespace `bench`, a 0600 kubeconfig.
 * Prints `ready <url>` on stdout once it serves; stops when its stdin closes or on SIGTERM.
 *
 *   node --import tsx bench/lib/kube-emulator-child.ts <count> <kubeconfig> <sandboxDir>
 */
import { startKubeEmulator, writeKubeconfig } from '../../src/kubernetes/emulator/index.js';

const [countArg, kubeconfig, sandboxDir] = process.argv.slice(2);
const count = Number(countArg);
if (!Number.isInteger(count) || count < 1 || !kubeconfig || !sandboxDir) throw new Error('usage: kube-emulator-child.ts <count> <kubeconfig> <sandboxDir>');

const server = await startKubeEmulator({ sandboxDir, namespaces: ['default', 'bench'], delays: { start: 0, crash: 0, deletion: 0 } });
server.core.seedPods(Array.from({ length: count }, (_, i) => ({ name: `pod${i}`, namespace: 'bench', labels: { app: 'bench' }, image: 'busybox:1.36' })));
writeKubeconfig(kubeconfig, server.kubeconfig);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
process.stdout.write(`ready ${server.url}\n`);
