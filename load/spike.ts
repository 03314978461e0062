import type { Options } from 'k6/options';
import { baseUrl } from './lib/env.ts';
import { referenceRps, SPIKE, vusFor } from './lib/profiles.ts';
import { summaryHandler } from './lib/summary.ts';
import { sloThresholds, SUMMARY_TREND_STATS } from './lib/thresholds.ts';
import { mixIteration, setupUsers, type SetupData } from './lib/traffic.ts';

/** Spike: from a tenth of the reference rate to all of it in seconds, then back; the SLO must hold throughout. */
const reference = referenceRps();
const baseline = Math.max(1, Math.round(reference * SPIKE.baselineShare));
const peak = Math.round(reference * SPIKE.peakShare);
const s = (seconds: number) => `${seconds}s`;

export const options: Options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      startRate: baseline,
      timeUnit: '1s',
      stages: [
        { target: baseline, duration: s(SPIKE.baselineSeconds) },
        { target: peak, duration: s(SPIKE.riseSeconds) },
        { target: peak, duration: s(SPIKE.peakSeconds) },
        { target: baseline, duration: s(SPIKE.riseSeconds) },
        { target: baseline, duration: s(SPIKE.recoverySeconds) },
      ],
      ...vusFor(peak),
    },
  },
  thresholds: sloThresholds(baseline),
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export const setup = setupUsers;
export default function (data: SetupData): void {
  mixIteration(data);
}
export const handleSummary = summaryHandler(() => ({ script: 'spike', targetRps: peak, baseUrl: baseUrl() }));
