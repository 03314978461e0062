import { targets } from '../../../src/core/targets.ts';
import { API_SERVICE } from './api.ts';
import { duration } from '../../../src/core/profiles.ts';
import { num, series, unique } from '../../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, RecordingRule, Severity } from '../../../src/core/monitoring.ts';

/**
 * Multi-window, multi-burn-rate SLO alerts (SRE workbook ch. 5): an alert needs both its long and
 * its short window to burn the error budget faster than `factor`, and traffic in the short window.
 */
const burnRates = targets.alertRules.burnRates;
const availabilityBudget = 1 - targets.plan.availability;
/** "p95 < 200 ms" as an SLO: 95 % of requests within 200 ms, so 5 % of requests may be slower. */
const latencyBudget = 1 - targets.alertRules.apiLatencyQuantile;
const latencyBound = targets.plan.apiLatencyP95Ms / 1000;

export const sloRecord = {
  requests: (w: string) => `service:slo_requests:rate${w}`,
  availabilityErrors: (w: string) => `service:slo_availability_errors:ratio_rate${w}`,
  latencySlow: (w: string) => `service:slo_latency_slow:ratio_rate${w}`,
};

function windows(p: MonitoringTiming): string[] {
  return unique(burnRates.flatMap((b) => [p.window(b.longWindowSeconds), p.window(b.shortWindowSeconds)]));
}

function recordingRules(p: MonitoringTiming): RecordingRule[] {
  return windows(p).flatMap((w) => [
    { record: sloRecord.requests(w), expr: `sum by (service) (rate(http_requests_total[${w}]))` },
    {
      record: sloRecord.availabilityErrors(w),
      // `or … * 0` keeps a 0 ratio when there are requests but no 5xx series yet.
      expr: `(sum by (service) (rate(http_requests_total{status=~"5.."}[${w}])) or ${sloRecord.requests(w)} * 0) / ${sloRecord.requests(w)}`,
    },
    {
      record: sloRecord.latencySlow(w),
      expr:
        `(sum by (service) (rate(http_request_duration_seconds_count[${w}])) - sum by (service) (rate(http_request_duration_seconds_bucket{le="${num(latencyBound)}"}[${w}])))` +
        ` / sum by (service) (rate(http_request_duration_seconds_count[${w}]))`,
    },
  ]);
}

type Sli = 'availability' | 'latency';

function burnExpr(p: MonitoringTiming, sli: Sli, severity: Severity): string {
  const ratio = sli === 'availability' ? sloRecord.availabilityErrors : sloRecord.latencySlow;
  const budget = sli === 'availability' ? availabilityBudget : latencyBudget;
  const pairs = burnRates
    .filter((b) => b.severity === severity)
    .map((b) => {
      const long = p.window(b.longWindowSeconds);
      const short = p.window(b.shortWindowSeconds);
      const limit = num(b.factor * budget);
      return `(${ratio(long)} > ${limit} and ${ratio(short)} > ${limit} and ${sloRecord.requests(short)} > 0)`;
    });
  return pairs.length === 1 ? pairs[0]! : pairs.join('\n  or\n');
}

/** Requests at `perStep` per interval with `badPerStep` of them bad (5xx, or slower than the bound). */
function traffic(name: string, sli: Sli, interval: number, steps: number, perStep: number, bad: (step: number) => number): PromtoolCase {
  const labels = { service: API_SERVICE, method: 'GET', route: '/v1/products/:id' };
  // Explicit cumulative values, one per interval: the increase into sample i is valueAt(i).
  const segments = (valueAt: (step: number) => number) => {
    const values = [0];
    for (let i = 1; i <= steps; i++) values.push(values[i - 1]! + valueAt(i));
    return values.join(' ');
  };
  const inputSeries =
    sli === 'availability'
      ? [
          { series: series('http_requests_total', { ...labels, status: '200' }), values: segments((i) => perStep - bad(i)) },
          { series: series('http_requests_total', { ...labels, status: '500' }), values: segments(bad) },
        ]
      : [
          { series: series('http_requests_total', { ...labels, status: '200' }), values: segments(() => perStep) },
          { series: series('http_request_duration_seconds_count', { ...labels, status: '200' }), values: segments(() => perStep) },
          {
            series: series('http_request_duration_seconds_bucket', { ...labels, status: '200', le: num(latencyBound) }),
            values: segments((i) => perStep - bad(i)),
          },
        ];
  return { name, interval: duration(interval), inputSeries, evalTime: duration(interval * steps), expectLabels: { service: API_SERVICE } };
}

function burnAlert(sli: Sli, severity: 'high' | 'medium'): AlertDefinition {
  const name = `Api${sli === 'availability' ? 'Availability' : 'Latency'}BurnRate${severity === 'high' ? 'Page' : 'Ticket'}`;
  const budget = sli === 'availability' ? availabilityBudget : latencyBudget;
  const mine = burnRates.filter((b) => b.severity === severity);
  const fastest = Math.max(...mine.map((b) => b.factor));
  const slowest = Math.min(...mine.map((b) => b.factor));
  const longest = Math.max(...mine.map((b) => b.longWindowSeconds));
  const shortestShort = Math.min(...mine.map((b) => b.shortWindowSeconds));
  const longestShort = Math.max(...mine.map((b) => b.shortWindowSeconds));
  // Page tests run at a 1-minute step for 2 h; the ticket's 3-day window at a 10-minute step.
  const interval = shortestShort >= 3_600 ? 600 : 60;
  const steps = Math.ceil(Math.min(longest, 2 * 3_600 + (interval === 600 ? longest : 0)) / interval);
  const perStep = 1_000_000;
  const badAt = (factor: number) => Math.min(perStep, Math.round(perStep * budget * factor));
  const what = sli === 'availability' ? '5xx responses' : `requests slower than ${num(latencyBound)} s`;
  return {
    rule: (p) => ({
      alert: name,
      severity,
      family: `slo-${sli}`,
      expr: burnExpr(p, sli, severity),
      for: p.forBySeverity[severity],
      summary: `API ${sli} SLO error budget burning at ${mine.map((b) => `${num(b.factor)}×`).join(' / ')}`,
      description:
        `{{ $labels.service }} spends its ${sli} error budget (${num(budget * 100)}% ${what}) faster than ` +
        mine.map((b) => `${num(b.factor)}× over ${p.window(b.longWindowSeconds)} and ${p.window(b.shortWindowSeconds)}`).join(', or ') +
        '.',
    }),
    tests: () => ({
      fires: traffic(`${name} fires at 1.25× its fastest burn rate (${num(fastest)}×)`, sli, interval, steps, perStep, () => badAt(fastest * 1.25)),
      boundary: {
        ...traffic(`${name} stays quiet burning at exactly its slowest rate (${num(slowest)}×)`, sli, interval, steps, perStep, () => badAt(slowest)),
        expectLabels: null,
      },
      quiet: [
        {
          // The long window still burns; the short windows have been clean for longer than they span.
          ...traffic(`${name} resets once the short windows are clean`, sli, interval, steps, perStep, (i) =>
            i * interval < steps * interval - longestShort * 1.2 - interval ? badAt(fastest * 3) : 0,
          ),
          expectLabels: null,
        },
        { ...traffic(`${name} stays quiet without traffic`, sli, interval, steps, 0, () => 0), expectLabels: null },
      ],
    }),
  };
}

export const slo: Component = {
  name: 'slo',
  recordingRules,
  alerts: [burnAlert('availability', 'high'), burnAlert('availability', 'medium'), burnAlert('latency', 'high'), burnAlert('latency', 'medium')],
};
