import { thresholds, type Thresholds } from './thresholds.ts';

/**
 * The timing promises of the dependencies, as the harness's timing profile states them. Every
 * timeout, retry count and backoff of the API and the worker is derived from these in
 * {@link deriveBudgets}, so that a wait always covers the failure it is meant to wait out.
 */
export interface TimingPromises {
  /** REQUEST_BUDGET_MS: the longest an API client waits for an answer (API side; nginx adds its retry window). Default 5 s. */
  requestBudgetMs: number;
  /** DB_FAILOVER_BUDGET_MS: the profile's promised Postgres failover time. Default 30 s = targets.failover.rtoSeconds (production profile). */
  dbFailoverBudgetMs: number;
  /** CACHE_FAILOVER_BUDGET_MS: Sentinel's promised master switch (down-after 5 s + election + promotion). Default 10 s. */
  cacheFailoverBudgetMs: number;
  /** QUEUE_FAILOVER_BUDGET_MS: the promised time for RabbitMQ to come back (restart or node failover). Default 30 s. */
  queueFailoverBudgetMs: number;
}

export const DEFAULT_PROMISES: TimingPromises = {
  requestBudgetMs: 5_000,
  dbFailoverBudgetMs: 30_000,
  cacheFailoverBudgetMs: 10_000,
  queueFailoverBudgetMs: 30_000,
};

export const PROMISE_ENV: Record<keyof TimingPromises, string> = {
  requestBudgetMs: 'REQUEST_BUDGET_MS',
  dbFailoverBudgetMs: 'DB_FAILOVER_BUDGET_MS',
  cacheFailoverBudgetMs: 'CACHE_FAILOVER_BUDGET_MS',
  queueFailoverBudgetMs: 'QUEUE_FAILOVER_BUDGET_MS',
};

/** Accepted range per promise (ms): below it no timeout can be honest, above it clients give up anyway. */
const RANGES: Record<keyof TimingPromises, [number, number]> = {
  requestBudgetMs: [1_000, 60_000],
  dbFailoverBudgetMs: [1_000, 600_000],
  cacheFailoverBudgetMs: [1_000, 600_000],
  queueFailoverBudgetMs: [1_000, 600_000],
};

export interface Budgets {
  promises: TimingPromises;
  request: {
    /** ms a client waits at most for the API's answer (= REQUEST_BUDGET_MS). */
    budgetMs: number;
    /** ms kept back from the budget to write the answer after the last dependency call gave up. */
    answerReserveMs: number;
  };
  /** API side of Postgres. */
  db: {
    /** ms to open a connection (pool connectionTimeoutMillis): a fifth of the request budget, at most thresholds.dbConnectTimeoutMs. */
    connectTimeoutMs: number;
    /** ms server-side statement_timeout: what is left of the budget after a connect and the answer reserve. */
    statementTimeoutMs: number;
    /** Retry-After (s) of a 503 for a database fault: a tenth of the failover promise, 1..30 s — about ten tries per failover. */
    retryAfterSeconds: number;
    /** Transaction attempts within one request (only while nothing was committed and the budget allows one more). */
    attempts: number;
  };
  /** Retry-After (s) of a 409 for an Idempotency-Key whose first request is still running: the request budget. */
  inFlightRetryAfterSeconds: number;
  cache: {
    /** ms per Redis command (thresholds.redisCommandTimeoutMs): slower counts as a failure, the read goes to Postgres. */
    commandTimeoutMs: number;
    /** ms cap of ioredis' reconnect backoff: a tenth of the cache failover promise, 100..2000 ms. */
    reconnectCapMs: number;
    /** ms the breaker stays open before a probe: a quarter of the failover promise, 1 s..thresholds.breakerOpenMs. */
    breakerOpenMs: number;
    breakerFailureThreshold: number;
  };
  queue: {
    /** ms cap of the AMQP reconnect backoff: a tenth of the queue failover promise, 250..5000 ms. */
    reconnectCapMs: number;
    /** ms to wait for a publisher confirm while the connection is not blocked. */
    confirmTimeoutMs: number;
  };
  outbox: {
    /** ms between relay polls for rows another instance (or a crash) left; committed writes also wake it at once. */
    pollIntervalMs: number;
    /** Rows claimed per relay round. */
    batchSize: number;
    /** ms a claim holds a row: a confirm wait plus two statements; an expired claim is published again (the worker dedupes). */
    claimLeaseMs: number;
  };
  /** Worker side of Postgres and its retry schedule. */
  worker: {
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    /** ms the transient-error retries must span: the DB failover promise plus one connect and one statement. */
    transientCoverMs: number;
    /** Delay (ms) before retry n (index n-1) of a transient failure; their sum ≥ transientCoverMs. */
    transientDelaysMs: number[];
    /** Delay (ms) before retry n of an unexpected error: thresholds.unexpectedErrorAttempts - 1 short retries. */
    unexpectedDelaysMs: number[];
  };
  /** The API's HTTP server, relative to nginx's upstream idle timeout (thresholds.proxyUpstreamKeepAliveSeconds). */
  http: {
    /** ms Node keeps an idle keep-alive socket: nginx's upstream keepalive_timeout + 5 s, so nginx closes first. */
    keepAliveTimeoutMs: number;
    /** ms to receive request headers: above keepAliveTimeout (node#27363). */
    headersTimeoutMs: number;
    /** ms to receive a whole request: above headersTimeout and the request budget. */
    requestTimeoutMs: number;
  };
}

export class BudgetError extends Error {}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Reads the promises from the environment (defaults: {@link DEFAULT_PROMISES}); problems are appended to `problems`. */
export function readPromises(env: Record<string, string | undefined>, problems: string[] = []): TimingPromises {
  const promises = { ...DEFAULT_PROMISES };
  for (const key of Object.keys(PROMISE_ENV) as Array<keyof TimingPromises>) {
    const name = PROMISE_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    const [min, max] = RANGES[key];
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer number of ms in [${min}, ${max}], got "${raw}"`);
    else promises[key] = value;
  }
  return promises;
}

/**
 * Exponential delays (base·2ⁿ, capped) until their sum reaches `coverMs`: the retry schedule of a
 * failure that is expected to last at most `coverMs`.
 */
export function coveringDelays(coverMs: number, baseMs: number, capMs: number): number[] {
  const delays: number[] = [];
  let total = 0;
  for (let n = 0; total < coverMs; n++) {
    const delay = Math.min(capMs, baseMs * 2 ** n);
    delays.push(delay);
    total += delay;
  }
  return delays;
}

/** Every timeout, retry count and backoff of the API and the worker, from the dependencies' promises. */
export function deriveBudgets(promises: TimingPromises = DEFAULT_PROMISES, t: Thresholds = thresholds): Budgets {
  const answerReserveMs = 100;
  const connectTimeoutMs = clamp(Math.round(promises.requestBudgetMs / 5), 200, t.dbConnectTimeoutMs);
  const statementTimeoutMs = Math.min(t.dbStatementTimeoutMs, promises.requestBudgetMs - connectTimeoutMs - answerReserveMs);
  const transientCoverMs = promises.dbFailoverBudgetMs + t.dbConnectTimeoutMs + t.dbStatementTimeoutMs;
  const keepAliveTimeoutMs = t.proxyUpstreamKeepAliveSeconds * 1000 + 5_000;
  const headersTimeoutMs = keepAliveTimeoutMs + 5_000;
  return {
    promises,
    request: { budgetMs: promises.requestBudgetMs, answerReserveMs },
    db: {
      connectTimeoutMs,
      statementTimeoutMs,
      retryAfterSeconds: clamp(Math.ceil(promises.dbFailoverBudgetMs / 10 / 1000), 1, 30),
      attempts: 3,
    },
    inFlightRetryAfterSeconds: Math.ceil(promises.requestBudgetMs / 1000),
    cache: {
      commandTimeoutMs: t.redisCommandTimeoutMs,
      reconnectCapMs: clamp(Math.round(promises.cacheFailoverBudgetMs / 10), 100, 2_000),
      breakerOpenMs: clamp(Math.round(promises.cacheFailoverBudgetMs / 4), 1_000, t.breakerOpenMs),
      breakerFailureThreshold: t.breakerFailureThreshold,
    },
    queue: {
      reconnectCapMs: clamp(Math.round(promises.queueFailoverBudgetMs / 10), 250, 5_000),
      confirmTimeoutMs: t.amqpConfirmTimeoutMs,
    },
    outbox: {
      pollIntervalMs: 500,
      batchSize: 100,
      claimLeaseMs: t.amqpConfirmTimeoutMs + 2 * t.dbStatementTimeoutMs,
    },
    worker: {
      connectTimeoutMs: t.dbConnectTimeoutMs,
      statementTimeoutMs: t.dbStatementTimeoutMs,
      transientCoverMs,
      transientDelaysMs: coveringDelays(transientCoverMs, t.retryBaseDelayMs, clamp(Math.round(promises.dbFailoverBudgetMs / 4), 1_000, 60_000)),
      unexpectedDelaysMs: Array.from({ length: t.unexpectedErrorAttempts - 1 }, (_, i) => t.retryBaseDelayMs * 2 ** i),
    },
    http: {
      keepAliveTimeoutMs,
      headersTimeoutMs,
      requestTimeoutMs: Math.max(headersTimeoutMs, promises.requestBudgetMs) + 5_000,
    },
  };
}

/** The budgets for this environment; throws {@link BudgetError} naming every bad variable. */
export function loadBudgets(env: Record<string, string | undefined> = process.env): Budgets {
  const problems: string[] = [];
  const promises = readPromises(env, problems);
  if (problems.length) throw new BudgetError(problems.join('\n'));
  return deriveBudgets(promises);
}

/** Every distinct retry delay the worker may use: one retry queue each (a queue's TTL cannot change once declared). */
export function retryDelaySet(budgets: Budgets): number[] {
  return [...new Set([...budgets.worker.transientDelaysMs, ...budgets.worker.unexpectedDelaysMs])].sort((a, b) => a - b);
}
