import type { Budgets } from '../shared/budgets.ts';
import { classify, type ErrorClass } from '../shared/transient.ts';

export type RetryDecision =
  | { action: 'retry'; delayMs: number; errorClass: ErrorClass; reason: string }
  | { action: 'dead-letter'; errorClass: ErrorClass; reason: string };

/**
 * What to do with a message whose attempt `attempt` (1-based) failed with `error`:
 *   transient  → retry on budgets.worker.transientDelaysMs, which spans the DB failover promise, so a
 *                database outage shorter than the promise never dead-letters work;
 *   unexpected → a few short retries (budgets.worker.unexpectedDelaysMs), then the DLQ;
 *   permanent  → the DLQ at once.
 */
export function retryDecision(error: unknown, attempt: number, budgets: Budgets): RetryDecision {
  const { class: errorClass, reason } = classify(error);
  const delays = errorClass === 'transient' ? budgets.worker.transientDelaysMs : errorClass === 'unexpected' ? budgets.worker.unexpectedDelaysMs : [];
  const delayMs = delays[attempt - 1];
  return delayMs === undefined ? { action: 'dead-letter', errorClass, reason } : { action: 'retry', delayMs, errorClass, reason };
}
