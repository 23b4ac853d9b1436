/**
 * Bounds how many exec streams are being opened at once. Each is a TLS handshake plus an upgrade the API server
 * proxies to a kubelet; `@* cmd` on 500 pods must not arrive as one burst that API Priority and Fairness answers
 * with 429s. Open streams are not counted.
 */
export class StartLimiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly maxConcurrent: number) {
    if (!(maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be at least 1');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.maxConcurrent) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
