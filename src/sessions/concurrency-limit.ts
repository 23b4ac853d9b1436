/**
 * At most N tasks at once, the rest queued in order; a slot is released when its task settles. What each
 * transport bounds differs (SSH handshakes, Kubernetes exec starts); the bound is the same mechanism.
 */
export class ConcurrencyLimit {
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

  /** Tasks currently running. */
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
