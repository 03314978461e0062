import type { Profile } from './types.ts';

/** What `refstack up` and a real deployment use: minute-scale scrapes, `for` long enough to ignore blips. */
export const production: Profile = {
  name: 'production',
  scrapeInterval: '15s',
  evaluationInterval: '15s',
  forBySeverity: { high: '2m', medium: '5m', low: '10m' },
  rateWindow: '5m',
  window: (seconds) => duration(seconds),
  alertmanager: { groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
};

/**
 * Burn-rate windows shrink by this factor in the test profile (3 days → 10 s), never below
 * MIN_TEST_WINDOW_SECONDS. Every short window then spans 5 s, so a page and the ticket it inhibits
 * resolve in the same evaluation; the window arithmetic itself is promtool-tested at production size.
 */
export const TEST_WINDOW_SCALE = 25_920;
const MIN_TEST_WINDOW_SECONDS = 5;

/**
 * The live suite's timing: scrape and evaluate every second, `for` 1 s, Alertmanager group_wait 1 s,
 * and rate windows short enough that an alert both fires and resolves within seconds of the fault.
 */
export const test: Profile = {
  name: 'test',
  scrapeInterval: '1s',
  evaluationInterval: '1s',
  forBySeverity: { high: '1s', medium: '1s', low: '1s' },
  rateWindow: `${MIN_TEST_WINDOW_SECONDS}s`,
  window: (seconds) => duration(Math.max(MIN_TEST_WINDOW_SECONDS, Math.round(seconds / TEST_WINDOW_SCALE))),
  alertmanager: { groupWait: '1s', groupInterval: '1s', repeatInterval: '1h' },
};

export const profiles = { production, test } as const;

/** 3600 → '1h', 300 → '5m', 259200 → '3d', 12 → '12s'. */
export function duration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`duration: ${seconds} is not a positive whole number of seconds`);
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
