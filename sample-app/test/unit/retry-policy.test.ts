import { describe, expect, it } from 'vitest';
import { DEFAULT_PROMISES, deriveBudgets } from '../../src/shared/budgets.ts';
import { PoisonMessageError } from '../../src/worker/process.ts';
import { retryDecision } from '../../src/worker/retry-policy.ts';

const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** Simulates a message arriving when a DB outage of `outageMs` starts: does it reach the DLQ before the DB is back? */
function deadLetteredDuring(outageMs: number, budgets = deriveBudgets()): boolean {
  let clock = 0;
  for (let attempt = 1; ; attempt++) {
    if (clock >= outageMs) return false;
    const decision = retryDecision(refused, attempt, budgets);
    if (decision.action === 'dead-letter') return true;
    clock += decision.delayMs;
  }
}

describe('worker retry policy', () => {
  it('a database outage shorter than the failover promise never dead-letters a message', () => {
    for (const dbFailoverBudgetMs of [10_000, 30_000, 90_000]) {
      const budgets = deriveBudgets({ ...DEFAULT_PROMISES, dbFailoverBudgetMs });
      expect(deadLetteredDuring(dbFailoverBudgetMs, budgets), `promise ${dbFailoverBudgetMs} ms`).toBe(false);
      expect(deadLetteredDuring(dbFailoverBudgetMs * 3, budgets), 'a much longer outage still ends in the DLQ').toBe(true);
    }
  });

  it('a poison message goes to the DLQ at once; an unexpected error after a few short retries', () => {
    const budgets = deriveBudgets();
    expect(retryDecision(new PoisonMessageError('order 9 does not exist'), 1, budgets)).toMatchObject({ action: 'dead-letter', errorClass: 'permanent' });
    const bug = new TypeError('x is undefined');
    expect(retryDecision(bug, 1, budgets)).toMatchObject({ action: 'retry', errorClass: 'unexpected', delayMs: 200 });
    expect(retryDecision(bug, 2, budgets)).toMatchObject({ action: 'retry', delayMs: 400 });
    expect(retryDecision(bug, 3, budgets)).toMatchObject({ action: 'dead-letter', errorClass: 'unexpected' });
  });

  it('a read-only transaction after a failover and a read timeout are transient', () => {
    const budgets = deriveBudgets();
    expect(retryDecision(Object.assign(new Error('read-only'), { code: '25006' }), 1, budgets)).toMatchObject({ action: 'retry', errorClass: 'transient' });
    expect(retryDecision(new Error('Query read timeout'), 5, budgets)).toMatchObject({ action: 'retry', errorClass: 'transient' });
  });
});
