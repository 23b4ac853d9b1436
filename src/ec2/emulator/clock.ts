/** Where the emulator reads "now" from. Injected so tests can move time without sleeping. */
export interface Ec2Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The wall clock: what the demo and `dust emulator` use. */
export const systemClock: Ec2Clock = { now: () => Date.now() };

/**
 * A clock that only moves when told to. Lifecycle transitions are computed lazily from `now()`,
 * so `advance(2000)` is all a test needs to see `pending` become `running`.
 */
export class ManualClock implements Ec2Clock {
  private current: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` (negative values are refused: EC2 time never runs backwards). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.current += ms;
  }

  /** Jumps to an absolute time (not earlier than the current one). */
  set(time: number | Date): void {
    const t = typeof time === 'number' ? time : time.getTime();
    if (t < this.current) throw new RangeError('ManualClock.set: time cannot move backwards');
    this.current = t;
  }
}
