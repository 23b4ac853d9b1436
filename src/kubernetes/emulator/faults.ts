import { KubeApiError } from './status.js';

/** API verbs a fault can hit. */
export type KubeVerb = 'list' | 'watch' | 'get' | 'create' | 'delete' | 'exec';

/** One injected API failure. */
export interface KubeFaultSpec {
  /** Which verb (`'*'` or absent: every verb). */
  verb?: KubeVerb | '*';
  /** HTTP status, e.g. 500, 429, 503, 403. */
  code: number;
  /** Status reason; defaults from the code (`InternalError`, `TooManyRequests`, `ServiceUnavailable`, `Forbidden`). */
  reason?: string;
  message?: string;
  /** How many matching requests fail (default 1; `Infinity` = until removed). */
  times?: number;
}

export interface KubeFaultHandle {
  remaining(): number;
  remove(): void;
}

const REASONS: Readonly<Record<number, string>> = {
  401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** Queued API failures, consumed in the order added (the EC2 emulator's model). */
export class KubeFaultInjector {
  private faults: { spec: KubeFaultSpec; left: number }[] = [];

  add(spec: KubeFaultSpec): KubeFaultHandle {
    const entry = { spec: { ...spec }, left: spec.times ?? 1 };
    this.faults.push(entry);
    return {
      remaining: () => entry.left,
      remove: () => {
        this.faults = this.faults.filter((f) => f !== entry);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes the first fault for `verb` and returns it as the error to answer with. */
  take(verb: KubeVerb): KubeApiError | undefined {
    const hit = this.faults.find((f) => f.left > 0 && (f.spec.verb === undefined || f.spec.verb === '*' || f.spec.verb === verb));
    if (!hit) return undefined;
    hit.left -= 1;
    if (hit.left <= 0) this.faults = this.faults.filter((f) => f !== hit);
    const reason = hit.spec.reason ?? REASONS[hit.spec.code] ?? 'InternalError';
    return new KubeApiError(hit.spec.code, reason, hit.spec.message ?? `injected ${reason} (${verb})`);
  }
}
