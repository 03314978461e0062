import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { stringify } from 'yaml';
import type { DashboardName, DashboardPanel } from '../../src/core/monitoring.ts';
import type { FileSpec, ServiceSpec } from '../../src/core/spec.ts';
import { buildPanel, DATASOURCE } from './panels.ts';

/** The plan's four dashboards ("Grafana Dashboards") and the order of their rows; the panels come from the services. */
export const DASHBOARDS: ReadonlyArray<{ name: DashboardName; uid: string; title: string; tags: string[]; rows: string[] }> = [
  { name: 'system', uid: 'refstack-system', title: 'System Overview', tags: ['refstack', 'system'], rows: ['CPU, memory, disk', 'Network and containers'] },
  { name: 'application', uid: 'refstack-application', title: 'Application Performance', tags: ['refstack', 'api'], rows: ['Traffic', 'Latency and errors', 'Cache and queue'] },
  { name: 'database', uid: 'refstack-database', title: 'Database Health', tags: ['refstack', 'database'], rows: ['Connections and queries', 'Replication and backups'] },
  { name: 'business', uid: 'refstack-business', title: 'Business Metrics', tags: ['refstack', 'business'], rows: ['Users and revenue'] },
];

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  rows: Array<{ title: string; panels: DashboardPanel[] }>;
}

/** Every dashboard with the panels the given services contribute; a panel naming an unknown row is an error. */
export function assembleDashboards(services: ReadonlyArray<{ spec: ServiceSpec }>): Dashboard[] {
  const panels = services.flatMap(({ spec }) => spec.panels ?? []);
  for (const p of panels) {
    const dashboard = DASHBOARDS.find((d) => d.name === p.dashboard);
    if (!dashboard?.rows.includes(p.row)) throw new Error(`panel "${p.title}" is placed in row "${p.row}" of dashboard "${p.dashboard}", which has rows: ${dashboard?.rows.join(', ')}`);
  }
  return DASHBOARDS.map((d) => ({
    uid: d.uid,
    title: d.title,
    tags: d.tags,
    rows: d.rows.map((title) => ({ title, panels: panels.filter((p) => p.dashboard === d.name && p.row === title) })).filter((r) => r.panels.length),
  }));
}

export function buildDashboard(spec: Dashboard) {
  const builder = new DashboardBuilder(spec.title).uid(spec.uid).tags(spec.tags).refresh('30s').time({ from: 'now-1h', to: 'now' }).timezone('browser');
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(buildPanel(panel));
  }
  return builder.build();
}

/** Dashboard JSON and Grafana provisioning, as files for Grafana's container (paths under /etc/grafana and /var/lib/grafana). */
export function renderGrafanaFiles(services: ReadonlyArray<{ spec: ServiceSpec }>, prometheusUrl: string): FileSpec[] {
  return [
    ...assembleDashboards(services).map((d) => ({ path: `/var/lib/grafana/dashboards/${d.uid}.json`, content: `${JSON.stringify(buildDashboard(d), null, 2)}\n` })),
    {
      path: '/etc/grafana/provisioning/datasources/prometheus.yml',
      content: stringify({ apiVersion: 1, datasources: [{ name: 'Prometheus', type: DATASOURCE.type, uid: DATASOURCE.uid, access: 'proxy', url: prometheusUrl, isDefault: true }] }),
    },
    {
      path: '/etc/grafana/provisioning/dashboards/refstack.yml',
      content: stringify({ apiVersion: 1, providers: [{ name: 'refstack', folder: 'refstack', type: 'file', disableDeletion: true, options: { path: '/var/lib/grafana/dashboards' } }] }),
    },
  ];
}

/** Every panel query of the given services' dashboards, for the live check that each returns data. */
export function dashboardQueries(services: ReadonlyArray<{ spec: ServiceSpec }>): Array<{ dashboard: string; panel: string; expr: string }> {
  return assembleDashboards(services).flatMap((d) => d.rows.flatMap((r) => r.panels.flatMap((p) => p.queries.map((query) => ({ dashboard: d.title, panel: p.title, expr: query.expr })))));
}
