import type { ResultRecord } from '../../../src/core/results/results.ts';
import { record } from '../../../src/testing/record.ts';
import { deriveBudgets, figureId, regression, type Budgets } from '../../contract/index.ts';

/**
 * Records one figure of a contract regression case under its contract id
 * (`contract.regression.<case>.<figure>`), with the target the contract table states for `budgets`.
 */
export function recordRegressionFigure(caseName: string, figureName: string, value: number, budgets: Budgets, note?: string): ResultRecord {
  const c = regression(caseName);
  const figure = c.figures.find((f) => f.name === figureName);
  if (!figure) throw new Error(`regression ${caseName} has no figure ${figureName}`);
  return record({ id: figureId(c, figure), value, unit: figure.unit, target: { op: figure.op, value: figure.bound.value(budgets) }, ...(note ? { note } : {}) });
}

/** p-quantile of `values` (nearest rank). */
export function quantile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
