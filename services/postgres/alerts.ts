import { targets } from '../../src/core/targets.ts';
import { counter, gauge, num, series } from '../../monitoring/lib/promql.ts';
import { POSTGRES_JOB } from '../prometheus/config.ts';
import { scrapeDownExpr, scrapeDownFor } from '../prometheus/scrape-health.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, RecordingRule } from '../../src/core/monitoring.ts';

const t = targets.alertRules;
const slowQuerySeconds = targets.sampleApp.slowQuerySeconds;
const MINUTES = 30;
const EXPORTER = { instance: 'pg1-exporter', job: POSTGRES_JOB };

export const databaseRecord = {
  queryBuckets: (w: string) => `service_le:query_duration_bucket:rate${w}`,
  queryQuantile: (w: string) => `service:query_duration:p${Math.round(t.apiLatencyQuantile * 100)}_rate${w}`,
};

function recordingRules(p: MonitoringTiming): RecordingRule[] {
  const w = p.rateWindow;
  return [
    { record: databaseRecord.queryBuckets(w), expr: `sum by (service, le) (rate(query_duration_bucket[${w}]))` },
    { record: databaseRecord.queryQuantile(w), expr: `histogram_quantile(${num(t.apiLatencyQuantile)}, ${databaseRecord.queryBuckets(w)})` },
  ];
}

/** The exporter beside a member: scraped (`up`), and reaching its server (`pg_up`); null: no such series. */
function pgUp(name: string, pg: number | null, scraped: number | null = 1): PromtoolCase {
  const other = { instance: 'other', job: 'other' };
  return {
    name,
    interval: '1m',
    inputSeries: [
      scraped === null ? { series: series('up', other), values: gauge(1, MINUTES) } : { series: series('up', EXPORTER), values: gauge(scraped, MINUTES) },
      ...(pg === null ? [] : [{ series: series('pg_up', EXPORTER), values: gauge(pg, MINUTES) }]),
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: scraped === null ? { job: POSTGRES_JOB } : EXPORTER,
  };
}

const databaseDown: AlertDefinition = {
  rule: (p) => ({
    alert: 'DatabaseDown',
    severity: 'high',
    family: 'database',
    // Each member has its own exporter: pg_up 0 is that member's Postgres not answering. A member whose
    // machine is gone takes the exporter's scrape with it (it times out resolving and connecting before it
    // can say pg_up 0), so up == 0 counts too, and so does no exporter at all: this is the postgres job's
    // scrape-health alert as well (services/postgres-exporter/spec.ts, down.coveredBy).
    expr: `pg_up == 0 or ${scrapeDownExpr(POSTGRES_JOB)}`,
    // As every scrape-health alert: one slow scrape on a busy machine is not an outage.
    for: scrapeDownFor(p, 'high'),
    summary: 'Database down',
    description: 'postgres_exporter {{ $labels.instance }} cannot reach its PostgreSQL server, or cannot be scraped at all.',
  }),
  tests: () => ({
    fires: pgUp('DatabaseDown fires when the exporter cannot connect', 0),
    alsoFires: [pgUp('DatabaseDown fires when the exporter scrape fails', null, 0), pgUp('DatabaseDown fires when there is no exporter at all', null, null)],
    boundary: { ...pgUp('DatabaseDown stays quiet while the exporter connects', 1), expectLabels: null },
  }),
};

/** Queries per minute with `share` of them finishing within the slow-query bound, the rest within 2.5×. */
function queries(name: string, share: number): PromtoolCase {
  const labels = { service: 'sample-api', pool: 'write', operation: 'order_insert' };
  const perMinute = 1000;
  const bucket = (le: string, n: number) => ({ series: series('query_duration_bucket', { ...labels, le }), values: counter(n, MINUTES) });
  return {
    name,
    interval: '1m',
    inputSeries: [bucket(num(slowQuerySeconds), Math.round(perMinute * share)), bucket(num(slowQuerySeconds * 2.5), perMinute), bucket('+Inf', perMinute)],
    evalTime: `${MINUTES}m`,
    expectLabels: { service: 'sample-api' },
  };
}

const slowQueries: AlertDefinition = {
  rule: (p) => ({
    alert: 'SlowQueries',
    severity: 'medium',
    family: 'database-latency',
    expr: `${databaseRecord.queryQuantile(p.rateWindow)} > ${num(slowQuerySeconds)}`,
    for: p.forBySeverity.medium,
    summary: `Slow queries: p${Math.round(t.apiLatencyQuantile * 100)} query time above ${num(slowQuerySeconds)} s`,
    description: `The p${Math.round(t.apiLatencyQuantile * 100)} query time {{ $labels.service }} sees over the last ${p.rateWindow} is above ${num(slowQuerySeconds)} s.`,
  }),
  tests: () => ({
    fires: queries(`SlowQueries fires when 10% of queries take longer than ${num(slowQuerySeconds)} s`, 0.9),
    boundary: { ...queries(`SlowQueries stays quiet when exactly ${num(t.apiLatencyQuantile * 100)}% finish within ${num(slowQuerySeconds)} s`, t.apiLatencyQuantile), expectLabels: null },
  }),
};

/** One replica's lag as its own exporter and the primary's see it (null: that view has no series). */
function lag(name: string, views: { replica: number | null; primary: number | null }, fires: boolean): PromtoolCase {
  const view = (observer: string, instance: string, seconds: number | null) =>
    seconds === null ? [] : [{ series: series('pg_replication_lag_seconds', { instance, job: POSTGRES_JOB, observer, replica: 'pg2' }), values: gauge(seconds, MINUTES) }];
  return {
    name,
    interval: '1m',
    inputSeries: [...view('replica', 'pg2-exporter', views.replica), ...view('primary', 'pg1-exporter', views.primary)],
    evalTime: `${MINUTES}m`,
    expectLabels: fires ? { replica: 'pg2' } : null,
  };
}

const replicationLag: AlertDefinition = {
  rule: (p) => ({
    alert: 'ReplicationLagHigh',
    severity: 'medium',
    family: 'replication',
    // Per replica, the worse of its own view and the primary's (services/postgres-exporter/queries.yaml).
    expr: `max by (replica) (pg_replication_lag_seconds) > ${num(t.replicationLagSeconds)}`,
    for: p.forBySeverity.medium,
    summary: `Replica more than ${num(t.replicationLagSeconds)} s behind the primary`,
    description: `Replica {{ $labels.replica }} replays more than ${num(t.replicationLagSeconds)} s behind the primary, or has lost its WAL stream for that long.`,
  }),
  tests: () => ({
    fires: lag("ReplicationLagHigh fires 1 s past the threshold in the replica's own view", { replica: t.replicationLagSeconds + 1, primary: 0 }, true),
    alsoFires: [lag("ReplicationLagHigh fires 1 s past the threshold in the primary's view alone", { replica: null, primary: t.replicationLagSeconds + 1 }, true)],
    boundary: lag('ReplicationLagHigh stays quiet with both views exactly at the threshold', { replica: t.replicationLagSeconds, primary: t.replicationLagSeconds }, false),
  }),
};

export const database: Component = {
  name: 'database',
  recordingRules,
  alerts: [databaseDown, slowQueries, replicationLag],
};
