import { describe, expect, it } from 'vitest';
import { BudgetError, coveringDelays, DEFAULT_PROMISES, deriveBudgets, loadBudgets, retryDelaySet } from '../../src/shared/budgets.ts';
import { thresholds } from '../../src/shared/thresholds.ts';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('budgets: every wait derived from the promise of the dependency it waits on', () => {
  it('reads the promises from the environment, defaulting each, and names every bad variable', () => {
    expect(loadBudgets({}).promises).toEqual(DEFAULT_PROMISES);
    expect(loadBudgets({ DB_FAILOVER_BUDGET_MS: '20000', REQUEST_BUDGET_MS: '3000' }).promises).toMatchObject({ dbFailoverBudgetMs: 20_000, requestBudgetMs: 3_000 });
    expect(() => loadBudgets({ DB_FAILOVER_BUDGET_MS: 'soon', REQUEST_BUDGET_MS: '10' })).toThrow(BudgetError);
    try {
      loadBudgets({ DB_FAILOVER_BUDGET_MS: 'soon', REQUEST_BUDGET_MS: '10' });
    } catch (error) {
      expect((error as Error).message).toMatch(/DB_FAILOVER_BUDGET_MS[\s\S]*REQUEST_BUDGET_MS|REQUEST_BUDGET_MS[\s\S]*DB_FAILOVER_BUDGET_MS/);
    }
  });

  it('a request never waits longer than its budget: one connect plus one statement plus the answer reserve fit', () => {
    for (const requestBudgetMs of [1_000, 3_000, 5_000, 20_000]) {
      const b = deriveBudgets({ ...DEFAULT_PROMISES, requestBudgetMs });
      expect(b.db.connectTimeoutMs + b.db.statementTimeoutMs + b.request.answerReserveMs, `budget ${requestBudgetMs}`).toBeLessThanOrEqual(requestBudgetMs);
      expect(b.db.statementTimeoutMs).toBeLessThanOrEqual(thresholds.dbStatementTimeoutMs);
      expect(b.db.connectTimeoutMs).toBeLessThanOrEqual(thresholds.dbConnectTimeoutMs);
    }
  });

  it('the worker retries a transient failure for at least the DB failover promise before dead-lettering', () => {
    for (const dbFailoverBudgetMs of [5_000, 20_000, 30_000, 120_000]) {
      const b = deriveBudgets({ ...DEFAULT_PROMISES, dbFailoverBudgetMs });
      const span = sum(b.worker.transientDelaysMs);
      expect(span, `promise ${dbFailoverBudgetMs} ms`).toBeGreaterThanOrEqual(dbFailoverBudgetMs + thresholds.dbConnectTimeoutMs + thresholds.dbStatementTimeoutMs);
      // …and not far beyond it: the last delay is what pushed the sum over.
      expect(span - b.worker.transientDelaysMs.at(-1)!).toBeLessThan(b.worker.transientCoverMs);
    }
  });

  it('an unexpected error gets a few short retries; a 503 asks for a tenth of the failover promise', () => {
    const b = deriveBudgets();
    expect(b.worker.unexpectedDelaysMs).toHaveLength(thresholds.unexpectedErrorAttempts - 1);
    expect(b.db.retryAfterSeconds).toBe(3);
    expect(deriveBudgets({ ...DEFAULT_PROMISES, dbFailoverBudgetMs: 1_000 }).db.retryAfterSeconds).toBe(1);
    expect(deriveBudgets({ ...DEFAULT_PROMISES, dbFailoverBudgetMs: 600_000 }).db.retryAfterSeconds).toBe(30);
  });

  it('cache and queue backoffs follow their promises, within sane bounds', () => {
    const fast = deriveBudgets({ ...DEFAULT_PROMISES, cacheFailoverBudgetMs: 4_000, queueFailoverBudgetMs: 5_000 });
    const slow = deriveBudgets({ ...DEFAULT_PROMISES, cacheFailoverBudgetMs: 60_000, queueFailoverBudgetMs: 120_000 });
    expect(fast.cache.breakerOpenMs).toBe(1_000);
    expect(slow.cache.breakerOpenMs).toBe(thresholds.breakerOpenMs);
    expect(fast.cache.reconnectCapMs).toBeLessThan(slow.cache.reconnectCapMs);
    expect(fast.queue.reconnectCapMs).toBeLessThan(slow.queue.reconnectCapMs);
    expect(fast.cache.breakerOpenMs + fast.cache.reconnectCapMs).toBeLessThan(4_000);
  });

  it('Node keeps idle sockets longer than nginx, and reads headers for longer still', () => {
    const b = deriveBudgets();
    expect(b.http.keepAliveTimeoutMs).toBeGreaterThan(thresholds.proxyUpstreamKeepAliveSeconds * 1000);
    expect(b.http.headersTimeoutMs).toBeGreaterThan(b.http.keepAliveTimeoutMs);
    expect(b.http.requestTimeoutMs).toBeGreaterThanOrEqual(b.http.headersTimeoutMs);
  });

  it('covering delays double from the base up to the cap; every distinct delay gets one retry queue', () => {
    expect(coveringDelays(1_000, 100, 400)).toEqual([100, 200, 400, 400]);
    expect(coveringDelays(0, 100, 400)).toEqual([]);
    const b = deriveBudgets();
    const set = retryDelaySet(b);
    expect(new Set(set).size).toBe(set.length);
    for (const delay of [...b.worker.transientDelaysMs, ...b.worker.unexpectedDelaysMs]) expect(set).toContain(delay);
  });
});
