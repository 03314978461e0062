import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { baseUrl, numberEnv } from './lib/env.ts';
import { plateauAt, referenceRps, STRESS, stressShape, vusFor } from './lib/profiles.ts';
import { summaryHandler } from './lib/summary.ts';
import { observeOnly, sloThresholds, SUMMARY_TREND_STATS, type Thresholds } from './lib/thresholds.ts';
import { mixIteration, setupUsers, type SetupData } from './lib/traffic.ts';

/**
 * Stress: ramping arrival rate through plateaus from a quarter to twice the reference rate, to find
 * the knee. Plateaus up to the reference rate must hold the SLO (thresholds); those above it are
 * only measured, and the summary reports the knee (k6_stress.knee_rps).
 */
const reference = referenceRps();
const { stages, plateaus } = stressShape(reference, numberEnv('RAMP_SECONDS', STRESS.rampSeconds), numberEnv('HOLD_SECONDS', STRESS.holdSeconds));
const peak = Math.max(...plateaus.map((p) => p.rps));

const plateauThresholds: Thresholds = {};
for (const plateau of plateaus) {
  const selector = `{stage:${plateau.tag}}`;
  Object.assign(plateauThresholds, plateau.rps <= reference ? sloThresholds(plateau.rps, selector) : observeOnly(selector));
}

export const options: Options = {
  scenarios: {
    stress: { executor: 'ramping-arrival-rate', startRate: 1, timeUnit: '1s', stages, ...vusFor(peak) },
  },
  thresholds: plateauThresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export const setup = setupUsers;
export default function (data: SetupData): void {
  mixIteration(data, { stage: plateauAt(plateaus, Date.now() - exec.scenario.startTime) });
}
export const handleSummary = summaryHandler(() => ({
  script: 'stress',
  targetRps: peak,
  baseUrl: baseUrl(),
  plateaus,
  kneeTarget: { op: '>=', value: reference },
}));
