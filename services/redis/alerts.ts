import { targets } from '../../src/core/targets.ts';
import { API_SERVICE } from '../sample-app/alerts/api.ts';
import { counter, num, series } from '../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, RecordingRule } from '../../src/core/monitoring.ts';

const threshold = targets.alertRules.cacheMissRatio;
const MINUTES = 30;

export const cacheRecord = {
  lookups: (w: string) => `service:cache_lookups:rate${w}`,
  missRatio: (w: string) => `service:cache_misses:ratio_rate${w}`,
};

function recordingRules(p: MonitoringTiming): RecordingRule[] {
  const w = p.rateWindow;
  return [
    { record: cacheRecord.lookups(w), expr: `sum by (service) (rate(cache_hits_total[${w}])) + sum by (service) (rate(cache_misses_total[${w}]))` },
    { record: cacheRecord.missRatio(w), expr: `sum by (service) (rate(cache_misses_total[${w}])) / ${cacheRecord.lookups(w)}` },
  ];
}

function lookups(name: string, missesPerMinute: number, perMinute = 1000): PromtoolCase {
  const labels = { service: API_SERVICE, cache: 'product' };
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('cache_hits_total', labels), values: counter(perMinute - missesPerMinute, MINUTES) },
      { series: series('cache_misses_total', labels), values: counter(missesPerMinute, MINUTES) },
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: { service: API_SERVICE },
  };
}

const cacheMissRate: AlertDefinition = {
  rule: (p) => ({
    alert: 'CacheMissRateHigh',
    severity: 'medium',
    family: 'cache',
    expr: `${cacheRecord.missRatio(p.rateWindow)} > ${num(threshold)}`,
    for: p.forBySeverity.medium,
    summary: `Cache miss rate above ${num(threshold * 100)}%`,
    description: `More than ${num(threshold * 100)}% of {{ $labels.service }} cache lookups over the last ${p.rateWindow} missed Redis.`,
  }),
  tests: () => ({
    fires: lookups('CacheMissRateHigh fires at 60% misses', Math.round(1000 * Math.min(1, threshold * 1.2))),
    boundary: { ...lookups(`CacheMissRateHigh stays quiet at exactly ${num(threshold * 100)}% misses`, Math.round(1000 * threshold)), expectLabels: null },
    quiet: [{ ...lookups('CacheMissRateHigh stays quiet without lookups', 0, 0), expectLabels: null }],
  }),
};

export const cache: Component = { name: 'cache', recordingRules, alerts: [cacheMissRate] };
