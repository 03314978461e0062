import type { DashboardPanel } from '../../src/core/monitoring.ts';

export const prometheusPanels: DashboardPanel[] = [
  {
    dashboard: 'system',
    row: 'Network and containers',
    title: 'Container health',
    description: 'Scrape targets that answer (1) or not (0), by job.',
    kind: 'timeseries',
    unit: 'none',
    queries: [{ expr: 'min by (job) (up)', legend: '{{job}}' }],
  },
];
