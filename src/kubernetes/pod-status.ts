/** How kubectl words a pod's age and status, for the emulator's tables and the nodes' `age` and `status`. */

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** kubectl's short durations: 45s, 3m12s, 5h, 3d4h, 12d (apimachinery's HumanDuration). */
export function humanAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return `${d}d`;
}

/** kubectl's STATUS column for a pod. */
export function podStatusWord(pod: object): string {
  const p = pod as Json;
  const status = obj(p['status']);
  let word = String(status['phase'] ?? 'Unknown');
  for (const cs of arr(status['containerStatuses'])) {
    const state = obj(obj(cs)['state']);
    const waiting = obj(state['waiting']);
    const terminated = obj(state['terminated']);
    if (typeof waiting['reason'] === 'string' && waiting['reason'] !== '') word = waiting['reason'];
    else if (typeof terminated['reason'] === 'string' && terminated['reason'] !== '') word = terminated['reason'];
  }
  const deleting = obj(p['metadata'])['deletionTimestamp'];
  if (deleting !== undefined && deleting !== null) word = 'Terminating';
  return word;
}

