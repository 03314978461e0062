/**
 * The sample app's client contract, for the harness: iterate `contractTable` (one cell per
 * dependency × state, each with the expectation of every endpoint and the figures to record as
 * `figureId(cell, figure)`), or `regressionCases`. Bounds evaluate against `deriveBudgets(promises)`.
 */
export { bounds, MEASUREMENT_TOLERANCE_MS } from './budget-exprs.ts';
export { measuredFromDocument, measuredFromResults, renderContract, type MeasuredFigures } from './render.ts';
export { cell, contractTable, figureId, regression, regressionCases } from './table.ts';
export * from './types.ts';
export { deriveBudgets, DEFAULT_PROMISES, PROMISE_ENV, type Budgets, type TimingPromises } from '../src/shared/budgets.ts';
