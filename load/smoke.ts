import type { Options } from 'k6/options';
import { targets } from '../src/core/targets.ts';
import { baseUrl } from './lib/env.ts';
import { SMOKE, vusFor } from './lib/profiles.ts';
import { summaryHandler } from './lib/summary.ts';
import { smokeThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';
import { mixIteration, setupUsers, type SetupData } from './lib/traffic.ts';

/** Smoke: a trickle of the full mix, every operation answering as documented. */
export const options: Options = {
  scenarios: {
    smoke: { executor: 'constant-arrival-rate', rate: SMOKE.rps, timeUnit: '1s', duration: `${SMOKE.seconds}s`, ...vusFor(SMOKE.rps) },
  },
  thresholds: smokeThresholds(SMOKE.rps),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export const setup = setupUsers;
export default function (data: SetupData): void {
  mixIteration(data);
}
export const handleSummary = summaryHandler(() => ({ script: 'smoke', targetRps: SMOKE.rps, baseUrl: baseUrl(), checksTarget: targets.load.smokeChecksPassRate }));
