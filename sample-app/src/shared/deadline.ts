/** Thrown before a dependency call that the request's budget no longer leaves time for. */
export class DeadlineExceededError extends Error {
  constructor(what: string) {
    super(`${what}: the request budget is spent`);
  }
}

/**
 * A point in time by which an answer is due (monotonic clock). Every dependency call of a request
 * takes its timeout from the deadline's remaining time, so the whole request stays within budget.
 */
export class Deadline {
  private constructor(
    private readonly at: number,
    private readonly now: () => number,
  ) {}

  /** `ms` from now; `reserveMs` is kept back for writing the answer. */
  static after(ms: number, reserveMs = 0, now: () => number = () => performance.now()): Deadline {
    return new Deadline(now() + ms - reserveMs, now);
  }

  /** No deadline: background work (relay, worker) bounded by per-call timeouts only. */
  static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY, () => performance.now());
  }

  /** ms left (0 when passed; Infinity without a deadline). */
  remaining(): number {
    return Math.max(0, this.at - this.now());
  }

  /** A deadline that ends `ms` from now or at this one, whichever is earlier. */
  within(ms: number): Deadline {
    return new Deadline(Math.min(this.at, this.now() + ms), this.now);
  }

  /** The timeout for one call: `capMs`, or less when the deadline is nearer; throws when it has passed. */
  timeoutFor(what: string, capMs: number): number {
    const left = this.remaining();
    if (left <= 0) throw new DeadlineExceededError(what);
    return Math.max(1, Math.floor(Math.min(capMs, left)));
  }
}
