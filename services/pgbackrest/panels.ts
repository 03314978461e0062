import type { DashboardPanel } from '../../src/core/monitoring.ts';

/** The plan's "Backup status" on the database dashboard, fed by the repository host and the primary's archiver. */
export const backupPanels: DashboardPanel[] = [
  {
    dashboard: 'database',
    row: 'Replication and backups',
    title: 'Backup status',
    description: "Seconds since each repository's newest good backup finished (pgBackRest, repository host), and scheduled backups that failed.",
    kind: 'timeseries',
    unit: 's',
    queries: [
      { expr: 'max by (repo_key) (pgbackrest_backup_since_last_completion_seconds)', legend: 'last backup age, repo {{repo_key}}' },
      { expr: 'sum by (repo_key) (pgbackrest_scheduled_backups_total{outcome="failed"})', legend: 'failed backups, repo {{repo_key}}' },
    ],
  },
];
