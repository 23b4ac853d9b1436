/**
 * Bounds how many SSH handshakes are in flight at once. Handshakes are CPU-bound on both ends, and OpenSSH's
 * MaxStartups (10:30:100 by default) drops bursts of unauthenticated connections; 32 in flight was the
 * measured best on a 2-core machine (test-cluster.md). Established sessions are not counted.
 */
export class HandshakePool {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly maxConcurrent: number) {
    if (!(maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be at least 1');
  }

  /** Runs `task` once a slot is free; the slot is released when the task settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Handshakes currently in flight. */
  get inFlight(): number {
    return this.active;
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => { this.active++; resolve(); }));
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}

/**
 * Errors a server gives when it sheds load during the handshake (MaxStartups): worth retrying with backoff.
 * A refused or timed-out connect is not: the node is down, and retrying would only delay the report.
 */
export function isRetryableHandshakeError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return /kex_exchange_identification|Connection closed by remote host|Connection lost before handshake/i.test(msg)
    || code === 'ECONNRESET';
}

/** Backoff before retry `attempt` (0-based): 150 ms doubling, with jitter so retries do not arrive as a new burst. */
export function handshakeBackoffMs(attempt: number): number {
  const base = 150 * 2 ** attempt;
  return base + Math.floor(Math.random() * base);
}
