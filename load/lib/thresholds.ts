import type { Target } from '../../src/core/results/target.ts';
import { targets } from '../../src/core/targets.ts';

/** k6 threshold expressions generated from src/core/targets.ts: the numbers are never typed here. */

export function k6Expression(aggregation: string, target: Target): string {
  return `${aggregation}${target.op}${target.value}`;
}

export type Thresholds = Record<string, string[]>;

/**
 * The plan's API SLO as k6 thresholds. Dropped iterations (k6 had no free VU at an arrival) are
 * requests the open model failed to send: they may not exceed the error budget either.
 */
export function sloThresholds(arrivalRps: number, selector = ''): Thresholds {
  const dropped = { op: targets.latency.errorRate.op, value: targets.latency.errorRate.value * arrivalRps } satisfies Target;
  return {
    [`http_req_duration${selector}`]: [k6Expression('p(95)', targets.latency.apiP95Ms)],
    [`http_req_failed${selector}`]: [k6Expression('rate', targets.latency.errorRate)],
    ...(selector ? {} : { dropped_iterations: [k6Expression('rate', dropped)] }),
  };
}

/** Smoke: every check must pass as well. */
export function smokeThresholds(arrivalRps: number): Thresholds {
  return { ...sloThresholds(arrivalRps), checks: [k6Expression('rate', targets.load.smokeChecksPassRate)] };
}

/**
 * Makes k6 keep a sub-metric in the summary without judging it (beyond the knee a stress test is
 * expected to miss the SLO; the summary reports where).
 */
export function observeOnly(selector: string): Thresholds {
  return { [`http_req_duration${selector}`]: ['max>=0'], [`http_req_failed${selector}`]: ['rate>=0'] };
}

export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];
