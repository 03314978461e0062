import { targets } from '../../../src/core/targets.ts';
import { counter, num, series } from '../../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, RecordingRule } from '../../../src/core/monitoring.ts';

/** The sample-app API, identified by the constant `service` label every one of its series carries. */
export const API_SERVICE = 'sample-api';
const t = targets.alertRules;

export const apiRecord = {
  requests: (w: string) => `service:http_requests:rate${w}`,
  errors5xx: (w: string) => `service:http_requests_5xx:rate${w}`,
  ratio5xx: (w: string) => `service:http_requests_5xx:ratio_rate${w}`,
  buckets: (w: string) => `service_le:http_request_duration_seconds_bucket:rate${w}`,
  latencyQuantile: (w: string) => `service:http_request_duration_seconds:p${Math.round(t.apiLatencyQuantile * 100)}_rate${w}`,
};

function recordingRules(p: MonitoringTiming): RecordingRule[] {
  const w = p.rateWindow;
  return [
    { record: apiRecord.requests(w), expr: `sum by (service) (rate(http_requests_total[${w}]))` },
    { record: apiRecord.errors5xx(w), expr: `sum by (service) (rate(http_requests_total{status=~"5.."}[${w}]))` },
    { record: apiRecord.ratio5xx(w), expr: `${apiRecord.errors5xx(w)} / ${apiRecord.requests(w)}` },
    { record: apiRecord.buckets(w), expr: `sum by (service, le) (rate(http_request_duration_seconds_bucket[${w}]))` },
    { record: apiRecord.latencyQuantile(w), expr: `histogram_quantile(${num(t.apiLatencyQuantile)}, ${apiRecord.buckets(w)})` },
  ];
}

const REQUESTS_PER_MINUTE = 1000;
const MINUTES = 30;

/** Requests per minute split into ok (200) and failing (500) responses. */
function responses(name: string, failingPerMinute: number, perMinute = REQUESTS_PER_MINUTE): PromtoolCase {
  const labels = { service: API_SERVICE, method: 'GET', route: '/v1/products/:id' };
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('http_requests_total', { ...labels, status: '200' }), values: counter(perMinute - failingPerMinute, MINUTES) },
      { series: series('http_requests_total', { ...labels, status: '500' }), values: counter(failingPerMinute, MINUTES) },
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: { service: API_SERVICE },
  };
}

/** Requests per minute with `atOrBelowShare` of them finishing within `bound` seconds, the rest within 2×bound. */
function latencies(name: string, bound: number, atOrBelowShare: number): PromtoolCase {
  const labels = { service: API_SERVICE, method: 'GET', route: '/v1/products/:id', status: '200' };
  const within = Math.round(REQUESTS_PER_MINUTE * atOrBelowShare);
  const bucket = (le: string, perMinute: number) => ({
    series: series('http_request_duration_seconds_bucket', { ...labels, le }),
    values: counter(perMinute, MINUTES),
  });
  return {
    name,
    interval: '1m',
    inputSeries: [bucket(num(bound), within), bucket(num(bound * 2), REQUESTS_PER_MINUTE), bucket('+Inf', REQUESTS_PER_MINUTE)],
    evalTime: `${MINUTES}m`,
    expectLabels: { service: API_SERVICE },
  };
}

const ratioAlert = (
  alert: string,
  severity: 'high' | 'medium',
  threshold: number,
  summary: string,
): AlertDefinition => ({
  rule: (p) => ({
    alert,
    severity,
    family: 'api-errors',
    expr: `${apiRecord.ratio5xx(p.rateWindow)} > ${num(threshold)}`,
    for: p.forBySeverity[severity],
    summary,
    description: `More than ${num(threshold * 100)}% of {{ $labels.service }} responses over the last ${p.rateWindow} were 5xx.`,
  }),
  tests: () => ({
    fires: responses(`${alert} fires at 1.2× the ${num(threshold * 100)}% 5xx threshold`, Math.round(REQUESTS_PER_MINUTE * threshold * 1.2)),
    boundary: { ...responses(`${alert} stays quiet at exactly ${num(threshold * 100)}% 5xx`, Math.round(REQUESTS_PER_MINUTE * threshold)), expectLabels: null },
    quiet: [{ ...responses(`${alert} stays quiet without traffic`, 0, 0), expectLabels: null }],
  }),
});

const latencyAlert = (alert: string, severity: 'high' | 'low', bound: number): AlertDefinition => ({
  rule: (p) => ({
    alert,
    severity,
    family: 'api-latency',
    expr: `${apiRecord.latencyQuantile(p.rateWindow)} > ${num(bound)}`,
    for: p.forBySeverity[severity],
    summary: `API p${Math.round(t.apiLatencyQuantile * 100)} latency above ${num(bound)} s`,
    description: `The p${Math.round(t.apiLatencyQuantile * 100)} response time of {{ $labels.service }} over the last ${p.rateWindow} is above ${num(bound)} s.`,
  }),
  tests: () => ({
    fires: latencies(`${alert} fires when 10% of requests take longer than ${num(bound)} s`, bound, 0.9),
    boundary: {
      ...latencies(`${alert} stays quiet when exactly ${num(t.apiLatencyQuantile * 100)}% finish within ${num(bound)} s`, bound, t.apiLatencyQuantile),
      expectLabels: null,
    },
  }),
});

export const api: Component = {
  name: 'api',
  recordingRules,
  alerts: [
    ratioAlert('ApiDown', 'high', t.api5xxRatio, 'API down: too many 5xx responses'),
    ratioAlert('ApiErrorRateHigh', 'medium', targets.plan.errorRate, 'API error rate above target'),
    latencyAlert('ApiLatencyCritical', 'high', t.apiLatencyCriticalSeconds),
    latencyAlert('ApiLatencyHigh', 'low', t.apiLatencyHighSeconds),
  ],
};
