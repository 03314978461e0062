import type { Options } from 'k6/options';
import { baseUrl, durationEnv } from './lib/env.ts';
import { LOAD, referenceRps, vusFor } from './lib/profiles.ts';
import { summaryHandler } from './lib/summary.ts';
import { sloThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';
import { mixIteration, setupUsers, type SetupData } from './lib/traffic.ts';

/** Load: the plan's rate (or RATE) at a constant arrival rate — open model — for DURATION seconds. */
const rps = Math.round(referenceRps() * LOAD.share);

export const options: Options = {
  scenarios: {
    load: { executor: 'constant-arrival-rate', rate: rps, timeUnit: '1s', duration: durationEnv('DURATION', LOAD.seconds), ...vusFor(rps) },
  },
  thresholds: sloThresholds(rps),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export const setup = setupUsers;
export default function (data: SetupData): void {
  mixIteration(data);
}
export const handleSummary = summaryHandler(() => ({ script: 'load', targetRps: rps, baseUrl: baseUrl() }));
