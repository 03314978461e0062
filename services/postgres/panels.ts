import { RATE_INTERVAL as RI, type DashboardPanel } from '../../src/core/monitoring.ts';
import { targets } from '../../src/core/targets.ts';

const t = targets.alertRules;
const q = Math.round(t.apiLatencyQuantile * 100);

export const postgresPanels: DashboardPanel[] = [
  {
    dashboard: 'database',
    row: 'Connections and queries',
    title: 'Connection count',
    description: 'Pool connections in use by the app, and server sessions by state.',
    kind: 'timeseries',
    unit: 'short',
    queries: [
      { expr: 'sum by (pool) (connections_used)', legend: 'app pool {{pool}}' },
      { expr: 'sum by (state) (pg_stat_activity_count)', legend: 'server {{state}}' },
    ],
  },
  {
    dashboard: 'database',
    row: 'Connections and queries',
    title: 'Query performance',
    description: `p${q} query time by operation, as the app sees it; line at the slow-query bound.`,
    kind: 'timeseries',
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(${t.apiLatencyQuantile}, sum by (le, operation) (rate(query_duration_bucket[${RI}])))`,
        legend: '{{operation}}',
      },
    ],
    thresholds: [targets.sampleApp.slowQuerySeconds],
  },
  {
    dashboard: 'database',
    row: 'Connections and queries',
    title: 'Slow queries',
    description: `Queries at or above ${targets.sampleApp.slowQuerySeconds} s per second, by operation.`,
    kind: 'timeseries',
    unit: 'short',
    queries: [{ expr: `sum by (operation) (rate(slow_queries[${RI}]))`, legend: '{{operation}}' }],
  },
  {
    dashboard: 'database',
    row: 'Replication and backups',
    title: 'Replication lag',
    description: "Seconds each replica is behind: its own view and the primary's (postgres_exporter per member), and the app read endpoint's.",
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: 'max by (replica, observer) (pg_replication_lag_seconds)', legend: '{{replica}} ({{observer}} view)' },
      { expr: 'max(replication_lag)', legend: 'app read endpoint' },
    ],
    thresholds: [t.replicationLagSeconds],
  },
  {
    dashboard: 'database',
    row: 'Replication and backups',
    title: 'WAL archiving',
    description: "Seconds since each server last archived a WAL segment, failed archive attempts, and segments waiting to be archived (the primary's backlog while the repository host is away).",
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: 'max by (instance) (pg_stat_archiver_last_archive_age)', legend: 'last archive age {{instance}}' },
      { expr: 'sum by (instance) (pg_stat_archiver_failed_count)', legend: 'failed {{instance}}' },
      { expr: 'max by (instance) (pg_archiver_pending_wal_files)', legend: 'waiting {{instance}}' },
    ],
  },
  {
    dashboard: 'database',
    row: 'Replication and backups',
    title: 'Database up',
    description: 'postgres_exporter reaches its server (1) or not (0).',
    kind: 'stat',
    unit: 'none',
    queries: [{ expr: 'min by (instance) (pg_up)', legend: '{{instance}}' }],
  },
];
