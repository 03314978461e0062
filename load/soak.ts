import type { Options } from 'k6/options';
import { baseUrl, durationEnv } from './lib/env.ts';
import { referenceRps, SOAK, vusFor } from './lib/profiles.ts';
import { summaryHandler } from './lib/summary.ts';
import { sloThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';
import { mixIteration, setupUsers, type SetupData } from './lib/traffic.ts';

/** Soak: a steady share of the reference rate for hours, to surface leaks, pool exhaustion and drift. */
const rps = Math.round(referenceRps() * SOAK.share);

export const options: Options = {
  scenarios: {
    soak: { executor: 'constant-arrival-rate', rate: rps, timeUnit: '1s', duration: durationEnv('DURATION', SOAK.seconds), ...vusFor(rps) },
  },
  thresholds: sloThresholds(rps),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export const setup = setupUsers;
export default function (data: SetupData): void {
  mixIteration(data);
}
export const handleSummary = summaryHandler(() => ({ script: 'soak', targetRps: rps, baseUrl: baseUrl() }));
