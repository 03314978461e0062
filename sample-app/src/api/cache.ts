import type { Redis } from 'ioredis';
import { CircuitBreaker } from '../shared/breaker.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';

import type { ReadPath } from '../shared/db.ts';

/** Where a read was answered: Redis, the read path, or the primary path after the read path failed. */
export type ReadSource = 'cache' | ReadPath;

/**
 * Cache-aside over Redis with a TTL, behind a circuit breaker: when Redis fails or the breaker is
 * open the lookup is counted as degraded and the caller reads Postgres instead.
 */
export class Cache {
  constructor(
    private readonly redis: Redis,
    private readonly breaker: CircuitBreaker,
    private readonly ttlSeconds: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly ttlJitter = 0,
  ) {}

  /** An entry's TTL in whole seconds, spread over [(1 − jitter) × TTL, TTL] so entries filled together expire apart. */
  entryTtlSeconds(random = Math.random()): number {
    return Math.max(1, Math.floor(this.ttlSeconds * (1 - this.ttlJitter * random)));
  }

  async getOrLoad<T>(cache: string, key: string, load: () => Promise<{ value: T | undefined; path: ReadPath }>): Promise<{ value: T | undefined; body?: string; source: ReadSource }> {
    const cached = await this.get(cache, key);
    if (cached !== undefined) {
      this.metrics.cacheHits.inc({ cache });
      return { value: undefined, body: cached, source: 'cache' };
    }
    this.metrics.cacheMisses.inc({ cache });
    const { value, path } = await load();
    if (value !== undefined) {
      const body = JSON.stringify(value);
      void this.set(key, body);
      return { value, body, source: path };
    }
    return { value, source: path };
  }

  /**
   * Invalidation on write: the entry is replaced by the value the primary just returned. Readers
   * fill the cache only when the key is absent (SET NX), so a miss that read a replica still
   * behind the write cannot put the old value back over the new one.
   */
  async replace(key: string, value: unknown): Promise<void> {
    try {
      await this.breaker.run(() => this.redis.set(key, JSON.stringify(value), 'EX', this.entryTtlSeconds()));
    } catch (error) {
      // Fall back to deleting; if even that fails a stale entry lives at most one TTL.
      this.metrics.errors.inc({ kind: 'dependency' });
      this.log.warn({ err: error, key }, 'cache replace failed');
      await this.redis.del(key).catch(() => undefined);
    }
  }

  private async get(cache: string, key: string): Promise<string | undefined> {
    try {
      const value = await this.breaker.run(() => this.redis.get(key));
      return value ?? undefined;
    } catch {
      this.metrics.cacheDegraded.inc({ cache });
      this.metrics.errors.inc({ kind: 'dependency' });
      return undefined;
    }
  }

  private async set(key: string, body: string): Promise<void> {
    try {
      await this.breaker.run(() => this.redis.set(key, body, 'EX', this.entryTtlSeconds(), 'NX'));
    } catch {
      this.metrics.errors.inc({ kind: 'dependency' });
    }
  }
}
