import { httpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { renderRuleFile, ruleFileName } from '../../monitoring/render/rules.ts';
import { PROMETHEUS_PORT, renderPrometheusConfig, scrapeTargets } from './config.ts';
import { prometheusPanels } from './panels.ts';
import { PGBACKREST } from '../pgbackrest/config.ts';
import { scrapeHealth } from './scrape-health.ts';

/**
 * Prometheus: scrapes one target per instance of every service with a `scrape` entry and evaluates
 * the rules of every service's alert component plus the scrape-health family of its jobs, all rendered
 * from the stack it runs in.
 */
export const prometheus: ServiceSpec = {
  name: 'prometheus',
  summary: "Prometheus: one scrape target per process, every service's alert rules",
  image: { build: 'prometheus' },
  replicas: 1,
  dependsOn: ['alertmanager'],
  // The members archive from their first segment, before the repository host has made the stanza: those
  // first pushes fail. Watching from once it is ready (archiving proven by its first backup) pages no one for that.
  after: [PGBACKREST],
  files: (ctx) => {
    const components = [...ctx.services().flatMap(({ spec }) => spec.alerts ?? []), scrapeHealth(ctx.services())];
    return [
      {
        path: '/etc/prometheus/prometheus.yml',
        content: renderPrometheusConfig(ctx.profile.monitoring, { targets: scrapeTargets(ctx.services()), alertmanagers: ctx.addresses('alertmanager', 'http') }),
      },
      ...components.map((c) => ({ path: `/etc/prometheus/rules/${ruleFileName(c)}`, content: renderRuleFile(c, ctx.profile.monitoring) })),
    ];
  },
  ports: [{ name: 'http', container: PROMETHEUS_PORT, publish: { env: [19090] }, http: '/' }],
  health: { command: httpProbe(PROMETHEUS_PORT, '/-/ready') },
  volumes: [{ name: 'data', target: '/prometheus' }],
  panels: prometheusPanels,
  describe: async (instance) => {
    const response = await fetch(`http://127.0.0.1:${await instance.hostPort('http')}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(1_500) });
    const targets = ((await response.json()) as { data: { activeTargets: Array<{ health: string }> } }).data.activeTargets;
    return `${targets.filter((t) => t.health === 'up').length}/${targets.length} scrape targets up`;
  },
};
