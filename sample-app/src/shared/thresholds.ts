/**
 * The sample app's own thresholds: the API and worker read them, and the harness (src/core/targets.ts,
 * the alert rules, the suites) imports them from here. The app never imports the harness.
 * "Slow queries > 1s" is the plan's alert table (phase12-plan.md, "Alert Rules").
 */
export const thresholds = {
  /** A query at or above this counts in `slow_queries` (plan: "Slow queries > 1s"). */
  slowQuerySeconds: 1,
  /** Redis cache-aside TTL for hot reads. */
  cacheTtlSeconds: 60,
  /** Per-client fixed-window rate limit (requests per second) before 429 + Retry-After. */
  rateLimitPerSecond: 1000,
  /** Largest JSON body accepted; bigger bodies get 413. */
  maxBodyBytes: 16 * 1024,
  /** Timeouts on every dependency call. */
  dbStatementTimeoutMs: 5_000,
  dbConnectTimeoutMs: 2_000,
  redisCommandTimeoutMs: 250,
  amqpConfirmTimeoutMs: 5_000,
  /** Bound on SIGTERM → exit (drain in-flight requests, close pools). */
  shutdownTimeoutMs: 10_000,
  /** Worker: attempts before a message is dead-lettered, and the first retry delay (doubles). */
  maxDeliveryAttempts: 4,
  retryBaseDelayMs: 200,
  /** Circuit breaker: consecutive failures to open, and how long it stays open before a probe. */
  breakerFailureThreshold: 5,
  breakerOpenMs: 5_000,
} as const;

export type Thresholds = typeof thresholds;
