import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/api/cache.ts';
import { thresholds } from '../../src/shared/thresholds.ts';

describe('cache entry TTL', () => {
  // Only the TTL arithmetic is under test: no Redis, breaker, metrics or logger is touched.
  const cache = new Cache(undefined as never, undefined as never, thresholds.cacheTtlSeconds, undefined as never, undefined as never, thresholds.cacheTtlJitter);

  it('never exceeds the TTL (the staleness bound) and never goes below (1 − jitter) × TTL', () => {
    expect(cache.entryTtlSeconds(0)).toBe(thresholds.cacheTtlSeconds);
    expect(cache.entryTtlSeconds(0.999)).toBeGreaterThanOrEqual(Math.floor(thresholds.cacheTtlSeconds * (1 - thresholds.cacheTtlJitter)));
  });

  it('spreads entries filled together over many seconds', () => {
    const ttls = new Set(Array.from({ length: 100 }, () => cache.entryTtlSeconds()));
    expect(ttls.size).toBeGreaterThanOrEqual(5);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(thresholds.cacheTtlSeconds);
  });
});
