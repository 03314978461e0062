import { gauge, num, series } from '../../monitoring/lib/promql.ts';
import { targets } from '../../src/core/targets.ts';
import type { AlertDefinition, Component, PromtoolCase } from '../../src/core/monitoring.ts';
import { POSTGRES_JOB } from '../prometheus/config.ts';

const MINUTES = 30;
const maxAge = targets.alertRules.backupMaxAgeSeconds;
const JOB = 'pgbackrest';

/** The newest good backup of repository 1 (`age` seconds old, or none) and its stanza's backup count. */
function repo(name: string, age: number | null, fires: boolean): PromtoolCase {
  const labels = { instance: 'pgbackrest', job: JOB, stanza: 'main', repo_key: '1' };
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('pgbackrest_backup_count', labels), values: gauge(age === null ? 0 : 3, MINUTES) },
      ...(age === null ? [] : [{ series: series('pgbackrest_backup_since_last_completion_seconds', labels), values: gauge(age, MINUTES) }]),
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: fires ? { repo_key: '1' } : null,
  };
}

const backupTooOld: AlertDefinition = {
  rule: (p) => ({
      alert: 'BackupTooOld',
      severity: 'medium',
      family: 'backup',
      expr: `max by (repo_key) (pgbackrest_backup_since_last_completion_seconds) > ${num(maxAge)} or max by (repo_key) (pgbackrest_backup_count) == 0`,
      for: p.forBySeverity.medium,
      summary: `No good backup in the last ${num(maxAge)} s`,
      description: `Repository {{ $labels.repo_key }} holds no backup newer than ${num(maxAge)} s, or none at all: a restore would replay more WAL than planned, or have nothing to start from.`,
  }),
  tests: () => ({
      fires: repo(`BackupTooOld fires 60 s past ${num(maxAge)} s`, maxAge + 60, true),
      alsoFires: [repo('BackupTooOld fires for a repository with no backup', null, true)],
      boundary: repo(`BackupTooOld stays quiet at exactly ${num(maxAge)} s`, maxAge, false),
  }),
};

const pendingLimit = targets.alertRules.walArchivePendingSeconds;

/** The primary's archiver as services/postgres-exporter/queries.yaml reports it (1: its last attempt failed; the oldest waiting segment's age). */
function archiver(name: string, failing: number, oldestPending: number, fires: boolean): PromtoolCase {
  const labels = { instance: 'pg1-exporter', job: POSTGRES_JOB };
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('pg_archiver_failing', labels), values: gauge(failing, MINUTES) },
      { series: series('pg_archiver_oldest_pending_seconds', labels), values: gauge(oldestPending, MINUTES) },
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: fires ? { instance: 'pg1-exporter' } : null,
  };
}

const walArchiveFailing: AlertDefinition = {
  rule: (p) => ({
    alert: 'WalArchiveFailing',
    severity: 'high',
    family: 'backup',
    expr: `max by (instance) (pg_archiver_failing) == 1 or max by (instance) (pg_archiver_oldest_pending_seconds) > ${num(pendingLimit)}`,
    for: p.forBySeverity.high,
    summary: 'The primary cannot archive WAL',
    description: `The primary behind {{ $labels.instance }} failed its last archive_command (pgBackRest's archive-push to the repository host), or a finished WAL segment has waited more than ${num(pendingLimit)} s for it: point-in-time recovery stops at the last archived segment, and pg_wal grows until archiving succeeds.`,
  }),
  tests: () => ({
    fires: archiver('WalArchiveFailing fires while the last archive attempt failed', 1, 0, true),
    alsoFires: [archiver(`WalArchiveFailing fires when a segment has waited ${num(pendingLimit + 1)} s (an archive_command that hangs)`, 0, pendingLimit + 1, true)],
    boundary: archiver(`WalArchiveFailing stays quiet with nothing failed and a segment waiting exactly ${num(pendingLimit)} s`, 0, pendingLimit, false),
  }),
};

export const backupAlerts: Component = { name: 'backup', recordingRules: () => [], alerts: [walArchiveFailing, backupTooOld] };
