import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN } from '../../../src/core/results/results.ts';
import { contractTable, DEPENDENCIES, deriveBudgets, ENDPOINTS, FAULTS, figureId, measuredFromDocument, measuredFromResults, regressionCases, renderContract } from '../../contract/index.ts';

const CONTRACT_MD = join(import.meta.dirname, '..', '..', 'CONTRACT.md');

describe('the client contract table', () => {
  it('has one cell per dependency × state, each with an expectation for every endpoint', () => {
    expect(contractTable).toHaveLength(DEPENDENCIES.length * FAULTS.length);
    for (const cell of contractTable) {
      expect(cell.id).toBe(`contract.${cell.dependency}.${cell.fault}`);
      expect(Object.keys(cell.expectations).sort()).toEqual(ENDPOINTS.map((e) => e.id).sort());
    }
  });

  it('never allows a 500, and a 503 always says whether Retry-After is due', () => {
    for (const cell of contractTable) {
      for (const [endpoint, e] of Object.entries(cell.expectations)) {
        expect(e.statuses, `${cell.id} ${endpoint}`).not.toContain('500');
        if (e.statuses.includes('503')) expect(e.retryAfter, `${cell.id} ${endpoint}`).not.toBe('none');
      }
    }
  });

  it('broker faults never touch write latency; primary faults never touch reads', () => {
    for (const cell of contractTable.filter((c) => c.dependency === 'rabbitmq')) {
      for (const id of ['createOrder', 'createUser', 'createSession', 'updateProduct'] as const) expect(cell.expectations[id].latency.stat, cell.id).toBe('p95');
    }
    for (const cell of contractTable.filter((c) => c.dependency === 'postgres_primary')) {
      expect(cell.expectations.getOrder.statuses, cell.id).not.toContain('503');
      expect(cell.expectations.getProduct.statuses, cell.id).not.toContain('503');
    }
  });

  it('every figure id is a valid result id, unique, and every bound evaluates', () => {
    const budgets = deriveBudgets();
    const ids = [...contractTable.flatMap((c) => c.figures.map((f) => figureId(c, f))), ...regressionCases.flatMap((r) => r.figures.map((f) => figureId(r, f)))];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(ID_PATTERN);
    for (const f of [...contractTable.flatMap((c) => c.figures), ...regressionCases.flatMap((r) => r.figures)]) expect(Number.isFinite(f.bound.value(budgets))).toBe(true);
  });
});

describe('CONTRACT.md', () => {
  it('is generated from the table (run node --import tsx sample-app/contract/generate.ts when this fails)', () => {
    const current = readFileSync(CONTRACT_MD, 'utf8');
    expect(current).toBe(renderContract(deriveBudgets(), measuredFromDocument(current)));
  });

  it('fills the figures a results file has, and says "not measured yet" for the others', () => {
    const measured = measuredFromResults(
      {
        runId: 'run-1',
        results: [
          { id: 'contract.regression.hung_primary.http_500', value: 0, unit: 'responses', target: '== 0', pass: true },
          { id: 'contract.rabbitmq.resource_alarm.write_p95_ms', value: 31, unit: 'ms', target: '< 200', pass: true },
          { id: 'smoke.postgres_start_seconds', value: 2, unit: 's', target: '<= 60', pass: true },
        ],
      },
      'reports/latest/results.json',
    );
    expect(Object.keys(measured.values)).toEqual(['contract.regression.hung_primary.http_500', 'contract.rabbitmq.resource_alarm.write_p95_ms']);
    const text = renderContract(deriveBudgets(), measured);
    expect(text).toMatch(/`contract\.regression\.hung_primary\.http_500` .*\| 0 responses ✓ \|/);
    expect(text).toMatch(/`contract\.rabbitmq\.resource_alarm\.write_p95_ms` .*\| 31 ms ✓ \|/);
    expect(text).toMatch(/`contract\.rabbitmq\.resource_alarm\.lost_events` .*\| not measured yet \|/);
    expect(measuredFromDocument(text)).toEqual(measured);
  });
});
