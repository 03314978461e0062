import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { stringify } from 'yaml';
import { dashboards, type DashboardSpec } from './definitions.ts';
import { buildPanel, DATASOURCE } from './panels.ts';

export function buildDashboard(spec: DashboardSpec) {
  const builder = new DashboardBuilder(spec.title).uid(spec.uid).tags(spec.tags).refresh('30s').time({ from: 'now-1h', to: 'now' }).timezone('browser');
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(buildPanel(panel));
  }
  return builder.build();
}

/** Dashboard JSON plus Grafana provisioning files, keyed by path under generated/grafana/. */
export function renderDashboardFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const spec of dashboards) files.set(`dashboards/${spec.uid}.json`, `${JSON.stringify(buildDashboard(spec), null, 2)}\n`);
  files.set(
    'provisioning/datasources/prometheus.yml',
    stringify({
      apiVersion: 1,
      datasources: [{ name: 'Prometheus', type: DATASOURCE.type, uid: DATASOURCE.uid, access: 'proxy', url: 'http://prometheus:9090', isDefault: true }],
    }),
  );
  files.set(
    'provisioning/dashboards/refstack.yml',
    stringify({
      apiVersion: 1,
      providers: [{ name: 'refstack', folder: 'refstack', type: 'file', disableDeletion: true, options: { path: '/var/lib/grafana/dashboards' } }],
    }),
  );
  return files;
}
