import { duration, seconds } from '../../src/core/profiles.ts';
import { gauge, series } from '../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, Severity } from '../../src/core/monitoring.ts';
import type { ScrapeSpec, ServiceSpec } from '../../src/core/spec.ts';

const MINUTES = 30;
/** Consecutive failed scrapes before a target counts as down: one slow scrape on a busy machine is not an outage. */
export const SCRAPES_BEFORE_DOWN = 5;

/** The expression every scrape-health alert has: a target of the job not answering, or no target at all. */
export function scrapeDownExpr(job: string): string {
  return `up{job="${job}"} == 0 or absent(up{job="${job}"})`;
}

/** `sample-api` → `SampleApiScrapeDown`. */
export function scrapeDownAlert(job: string): string {
  return `${job.replace(/(^|[-_])([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase())}ScrapeDown`;
}

/** The alert's `for`: the severity's, but never fewer than SCRAPES_BEFORE_DOWN scrape intervals. */
export function scrapeDownFor(p: MonitoringTiming, severity: Severity): string {
  return duration(Math.max(seconds(p.forBySeverity[severity]), SCRAPES_BEFORE_DOWN * seconds(p.scrapeInterval)));
}

function upCase(name: string, job: string, up: number | null): PromtoolCase {
  const target = { instance: `${job}-1`, job };
  return {
    name,
    interval: '1m',
    // Without any target of the job, another job's series keeps the test's input non-empty.
    inputSeries: [up === null ? { series: series('up', { instance: 'other', job: 'other' }), values: gauge(1, MINUTES) } : { series: series('up', target), values: gauge(up, MINUTES) }],
    evalTime: `${MINUTES}m`,
    expectLabels: up === null ? { job } : target,
  };
}

function scrapeDown(scrape: ScrapeSpec): AlertDefinition {
  const { job, down } = scrape;
  const alert = scrapeDownAlert(job);
  return {
    rule: (p) => ({
      alert,
      severity: down.severity,
      family: 'scrape',
      expr: scrapeDownExpr(job),
      for: scrapeDownFor(p, down.severity),
      summary: `Cannot scrape ${job}`,
      description: `Prometheus cannot scrape {{ $labels.instance }} of job ${job} (or has no ${job} target at all): nobody sees ${down.blind}.`,
    }),
    tests: () => ({
      fires: upCase(`${alert} fires when a ${job} target does not answer its scrapes`, job, 0),
      alsoFires: [upCase(`${alert} fires when there is no ${job} target at all`, job, null)],
      boundary: { ...upCase(`${alert} stays quiet while every ${job} target answers`, job, 1), expectLabels: null },
    }),
  };
}

/**
 * The scrape-health family: one alert per scrape job of the stack (services' `scrape[].down` gives its
 * severity and what goes unseen), firing for each target whose scrapes fail and when the job has no
 * target at all. Prometheus' own job is left out (a Prometheus that is down alerts nobody), and so is
 * a job whose service has its own alert on exactly that (`down.coveredBy`).
 */
export function scrapeHealth(services: ReadonlyArray<{ spec: ServiceSpec }>): Component {
  const jobs = new Map<string, ScrapeSpec>();
  for (const { spec } of services) for (const s of spec.scrape ?? []) if (!jobs.has(s.job) && !s.down.coveredBy) jobs.set(s.job, s);
  return { name: 'scrape', recordingRules: () => [], alerts: [...jobs.values()].map(scrapeDown) };
}
