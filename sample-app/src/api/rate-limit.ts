import type { Redis } from 'ioredis';
import type { CircuitBreaker } from '../shared/breaker.ts';
import type { Metrics } from '../shared/metrics.ts';

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
  /** False when Redis could not be asked: the request is let through (fail open) and counted. */
  enforced: boolean;
}

/** Fixed one-second window per client in Redis (INCR + EXPIRE in one round trip). */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly breaker: CircuitBreaker,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {}

  async check(client: string, limitPerSecond: number): Promise<RateDecision> {
    const nowMs = this.now();
    const window = Math.floor(nowMs / 1000);
    const key = `ratelimit:${client}:${window}`;
    try {
      const results = await this.breaker.run(() => this.redis.multi().incr(key).expire(key, 2).exec());
      const count = Number(results?.[0]?.[1] ?? 0);
      if (count > limitPerSecond) return { allowed: false, retryAfterSeconds: 1, enforced: true };
      return { allowed: true, retryAfterSeconds: 0, enforced: true };
    } catch {
      this.metrics.errors.inc({ kind: 'dependency' });
      return { allowed: true, retryAfterSeconds: 0, enforced: false };
    }
  }
}
