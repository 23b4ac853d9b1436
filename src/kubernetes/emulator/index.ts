/**
 * The Kubernetes emulator: an in-repo stand-in for kube-apiserver + kubelet that the real
 * `@kubernetes/client-node` and `kubectl` talk to over HTTPS on loopback (discovery, namespaces, pods with
 * list/watch/selectors/pagination, exec over WebSocket v5/v4 into a real local shell per pod). Used by the
 * tests and `dust emulator --k8s`.
 */
export {
  type ApiRequestLogEntry,
  DEFAULT_POD_DELAYS,
  type KubeClock,
  KubeEmulatorCore,
  type KubeEmulatorOptions,
  type PodDelays,
  type PodFaultRule,
  type PodListQuery,
  type SeedPod,
  type WatchEvent,
} from './core.js';
export { ManualClock, systemClock } from '../../ec2/emulator/clock.js';
export { type KubeFaultHandle, KubeFaultInjector, type KubeFaultSpec, type KubeVerb } from './faults.js';
export { FAULT_ANNOTATION, POD_FAULTS, type PodFault, type PodPhase } from './model.js';
export { KubeApiError, KubeErrors, type StatusJson } from './status.js';
export { parseLabelSelector, matchesLabels, parseFieldSelector } from './selectors.js';
export { emulatorTls, type EmulatorTls } from './certs.js';
export { renderKubeconfig, writeKubeconfig } from './kubeconfig.js';
export { EMULATED_VERSION } from './discovery.js';
export { type ExecHandle, type ExecPlan } from './exec-session.js';
export { type KubeEmulatorServer, type KubeEmulatorServerOptions, startKubeEmulator, startKubeEmulatorServer } from './http-server.js';
