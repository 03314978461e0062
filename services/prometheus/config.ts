import { stringify } from 'yaml';
import type { MonitoringTiming } from '../../src/core/monitoring.ts';
import { port, type ServiceSpec } from '../../src/core/spec.ts';

/** One process Prometheus scrapes: every instance of a service is its own target, named by its instance label. */
export interface ScrapeTarget {
  job: string;
  /** host:port inside the stack. */
  address: string;
  /** The instance (container) name: the `instance` label, instead of host:port. */
  instance: string;
  path?: string;
}

export const PROMETHEUS_PORT = 9090;
/** The job name of the postgres_exporter targets: the DatabaseDown alert watches their scrapes too. */
export const POSTGRES_JOB = 'postgres';

/** Every scrape endpoint of every instance in the stack, plus Prometheus itself. */
export function scrapeTargets(services: ReadonlyArray<{ spec: ServiceSpec; instances: string[] }>): ScrapeTarget[] {
  const targets = services.flatMap(({ spec, instances }) =>
    (spec.scrape ?? []).flatMap((s) =>
      instances.map((instance) => ({ job: s.job, address: `${instance}:${port(spec, s.port).container}`, instance, ...(s.path ? { path: s.path } : {}) })),
    ),
  );
  return [...targets, { job: 'prometheus', address: `localhost:${PROMETHEUS_PORT}`, instance: 'prometheus' }];
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  alertmanagers: string[];
  ruleFiles?: string[];
}

export function prometheusConfig(timing: MonitoringTiming, options: PrometheusOptions): Record<string, unknown> {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const t of options.targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  return {
    global: { scrape_interval: timing.scrapeInterval, evaluation_interval: timing.evaluationInterval, scrape_timeout: timing.scrapeTimeout },
    rule_files: options.ruleFiles ?? ['/etc/prometheus/rules/*.rules.yml'],
    alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] },
    scrape_configs: [...jobs].map(([job, targets]) => ({
      job_name: job,
      ...(targets[0]!.path ? { metrics_path: targets[0]!.path } : {}),
      static_configs: targets.map((t) => ({ targets: [t.address], labels: { instance: t.instance } })),
    })),
  };
}

export function renderPrometheusConfig(timing: MonitoringTiming, options: PrometheusOptions): string {
  return `# Generated from the stack's service specs (${timing.name} profile). Do not edit.\n${stringify(prometheusConfig(timing, options), { lineWidth: 0 })}`;
}
