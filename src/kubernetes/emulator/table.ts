/**
 * Server-side printing: kubectl asks for `as=Table` and prints the rows it gets, so `kubectl get pods` against
 * the emulator shows the same columns (and STATUS words: ContainerCreating, ImagePullBackOff, Terminating) as
 * against a real cluster.
 */
import { humanAge, podStatusWord } from '../pod-status.js';

export { humanAge, podStatusWord };

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Whether an Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function podTable(list: Json, now: number): Json {
  const rows = arr(list['items']).map((item) => {
    const pod = obj(item);
    const metadata = obj(pod['metadata']);
    const status = obj(pod['status']);
    const statuses = arr(status['containerStatuses']).map(obj);
    const containers = arr(obj(pod['spec'])['containers']);
    const ready = statuses.filter((s) => s['ready'] === true).length;
    const restarts = statuses.reduce((n, s) => n + (typeof s['restartCount'] === 'number' ? s['restartCount'] : 0), 0);
    const created = Date.parse(String(metadata['creationTimestamp'] ?? ''));
    return {
      cells: [
        metadata['name'],
        `${ready}/${containers.length}`,
        podStatusWord(pod),
        String(restarts),
        Number.isNaN(created) ? '<unknown>' : humanAge(now - created),
        status['podIP'] ?? '<none>',
        obj(pod['spec'])['nodeName'] ?? '<none>',
        '<none>',
        '<none>',
      ],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata },
    };
  });
  const column = (name: string, type: string, priority: number, description: string, format = '') => ({ name, type, format, description, priority });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: obj(list['metadata'])['resourceVersion'], ...(obj(list['metadata'])['continue'] ? { continue: obj(list['metadata'])['continue'] } : {}) },
    columnDefinitions: [
      column('Name', 'string', 0, 'Name must be unique within a namespace.', 'name'),
      column('Ready', 'string', 0, 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 0, 'The aggregate status of the containers in this pod.'),
      column('Restarts', 'string', 0, 'The number of times the containers in this pod have been restarted.'),
      column('Age', 'string', 0, 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
      column('IP', 'string', 1, 'IP address allocated to the pod.'),
      column('Node', 'string', 1, 'Name of the Node this pod is scheduled on.'),
      column('Nominated Node', 'string', 1, 'Name of the Node where this pod is nominated to be scheduled on.'),
      column('Readiness Gates', 'string', 1, 'The readiness gates of this pod.'),
    ],
    rows,
  };
}
