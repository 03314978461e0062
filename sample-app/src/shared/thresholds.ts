/**
 * The sample app's own thresholds: the API and worker read them, and the harness (src/core/targets.ts,
 * the alert rules, the suites) imports them from here. The app never imports the harness.
 * "Slow queries > 1s" is the plan's alert table (phase12-plan.md, "Alert Rules").
 * Timeouts that depend on a dependency's failover promise are not here: budgets.ts derives them
 * from the timing profile the harness passes in (DB_FAILOVER_BUDGET_MS, …).
 */
export const thresholds = {
  /** A query at or above this counts in `slow_queries` (plan: "Slow queries > 1s"). */
  slowQuerySeconds: 1,
  /** Redis cache-aside TTL for hot reads: the longest an entry lives (a stale one included). */
  cacheTtlSeconds: 60,
  /**
   * Each entry's TTL is drawn from [(1 − jitter) × TTL, TTL]: entries filled together (a warm-up, a deploy)
   * must not all expire within seconds of each other and send a burst of misses to the database. Seen here:
   * 100 products warmed at once and read at 17–24/s expired together 60 s later and CacheMissRateHigh fired
   * (no jitter); with 0.2 the first expiries still fell within 12 s and 90 of 169 lookups missed in 10 s.
   * Spread over 30 s, that first wave is about 3 misses/s.
   */
  cacheTtlJitter: 0.5,
  /** Per-client fixed-window rate limit (requests per second) before 429 + Retry-After. */
  rateLimitPerSecond: 1000,
  /** Largest JSON body accepted; bigger bodies get 413. */
  maxBodyBytes: 16 * 1024,
  /** Upper bounds of the per-call timeouts; budgets.ts lowers them to fit the request budget. */
  dbStatementTimeoutMs: 5_000,
  dbConnectTimeoutMs: 2_000,
  /** A Redis command slower than this counts as a failure: the cache must be faster than the database it saves. */
  redisCommandTimeoutMs: 250,
  amqpConfirmTimeoutMs: 5_000,
  /** Bound on SIGTERM → exit (drain in-flight requests, close pools). */
  shutdownTimeoutMs: 10_000,
  /** Worker: first retry delay (doubles per attempt up to a cap derived from DB_FAILOVER_BUDGET_MS). */
  retryBaseDelayMs: 200,
  /** Worker: attempts for an error the classifier does not know (a bug, most likely) before the DLQ. */
  unexpectedErrorAttempts: 3,
  /** Circuit breaker: consecutive failures to open; the open period comes from CACHE_FAILOVER_BUDGET_MS. */
  breakerFailureThreshold: 5,
  breakerOpenMs: 5_000,
  /** Idempotency-Key: how long a key's outcome is remembered (Stripe keeps keys at least 24 h). */
  idempotencyKeyTtlSeconds: 24 * 60 * 60,
  /** Outbox rows and processed-event ids are kept this long after publication / processing. */
  outboxRetentionSeconds: 60 * 60,
  processedEventRetentionSeconds: 7 * 24 * 60 * 60,
  /**
   * nginx in front of the API (images/nginx/nginx.conf; a unit test keeps the file in agreement).
   * The upstream idle timeout is shorter than the API's keepAliveTimeout, so nginx always closes an
   * idle connection first and never sends a request on a socket Node is closing.
   */
  proxyUpstreamKeepAliveSeconds: 15,
  proxyConnectTimeoutSeconds: 0.25,
  /** nginx passes a failed idempotent request to the other instance only within this window (see CONTRACT.md). */
  proxyNextUpstreamTimeoutSeconds: 2,
  proxyReadTimeoutSeconds: 8,
  /** The plan's API p95 latency target (phase12-plan.md "Performance Targets"): writes must keep it while the broker is blocked. */
  apiLatencyP95Ms: 200,
} as const;

export type Thresholds = typeof thresholds;
