import { thresholds } from '../src/shared/thresholds.ts';
import type { BudgetExpr } from './types.ts';

/** Client-side timing slack for a bound measured through Docker's port proxy (ms). */
export const MEASUREMENT_TOLERANCE_MS = 250;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The budget expressions the contract's bounds are written in; each evaluates against the budgets in force. */
export const bounds = {
  p95Target: { expr: 'API_P95_TARGET_MS', value: () => thresholds.apiLatencyP95Ms } satisfies BudgetExpr,
  requestBudget: {
    expr: `REQUEST_BUDGET_MS + ${MEASUREMENT_TOLERANCE_MS}`,
    value: (b) => b.request.budgetMs + MEASUREMENT_TOLERANCE_MS,
  } satisfies BudgetExpr,
  /** A healthy event is published right after COMMIT (the relay is woken) and processed at once: one relay poll of slack plus a second. */
  eventHealthy: { expr: 'outbox poll + 1,000', value: (b) => b.outbox.pollIntervalMs + 1_000 } satisfies BudgetExpr,
  /** An event of a write committed during a DB outage is processed within the worker's retry span after it started. */
  workerRetrySpan: {
    expr: 'Σ worker transient retry delays (≥ DB_FAILOVER_BUDGET_MS + connect + statement)',
    value: (b) => sum(b.worker.transientDelaysMs),
  } satisfies BudgetExpr,
  /** An event committed while the broker was away is published once it is back: reconnect backoff cap + one relay poll. */
  brokerBack: {
    expr: 'QUEUE_FAILOVER_BUDGET_MS + amqp reconnect cap + outbox poll',
    value: (b) => b.promises.queueFailoverBudgetMs + b.queue.reconnectCapMs + b.outbox.pollIntervalMs,
  } satisfies BudgetExpr,
  /** The cache answers again after Sentinel's switch: the promise, one breaker-open period and one reconnect step. */
  cacheBack: {
    expr: 'CACHE_FAILOVER_BUDGET_MS + breaker open + redis reconnect cap',
    value: (b) => b.promises.cacheFailoverBudgetMs + b.cache.breakerOpenMs + b.cache.reconnectCapMs,
  } satisfies BudgetExpr,
  zero: { expr: '0', value: () => 0 } satisfies BudgetExpr,
};
