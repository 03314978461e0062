export type BreakerState = 'closed' | 'half-open' | 'open';

export class BreakerOpenError extends Error {
  constructor(readonly dependency: string) {
    super(`${dependency}: circuit breaker open`);
  }
}

/**
 * Consecutive-failure circuit breaker: after `failureThreshold` failures calls fail fast for
 * `openMs`, then one probe call decides between closing and reopening.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private state_: BreakerState = 'closed';

  constructor(
    readonly dependency: string,
    private readonly options: { failureThreshold: number; openMs: number; now?: () => number; onState?: (s: BreakerState) => void },
  ) {}

  get state(): BreakerState {
    if (this.state_ === 'open' && this.now() - this.openedAt >= this.options.openMs) this.setState('half-open');
    return this.state_;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.probing)) throw new BreakerOpenError(this.dependency);
    if (state === 'half-open') this.probing = true;
    try {
      const result = await call();
      this.failures = 0;
      if (this.state_ !== 'closed') this.setState('closed');
      return result;
    } catch (error) {
      this.failures += 1;
      if (this.state_ === 'half-open' || this.failures >= this.options.failureThreshold) {
        this.openedAt = this.now();
        this.setState('open');
      }
      throw error;
    } finally {
      if (state === 'half-open') this.probing = false;
    }
  }

  private setState(next: BreakerState): void {
    this.state_ = next;
    this.options.onState?.(next);
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

export function breakerStateValue(state: BreakerState): number {
  return state === 'closed' ? 0 : state === 'half-open' ? 1 : 2;
}
