import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES_DIR } from '../../src/core/paths.ts';
import { sampleSum, scrapeText } from '../../src/core/prometheus-text.ts';
import type { BackupSecrets, InstanceProbe, ServiceSpec, SpecContext } from '../../src/core/spec.ts';
import { postgres } from '../postgres/spec.ts';
import { backupAlerts } from './alerts.ts';
import { backupPanels } from './panels.ts';
import { CONFIG_PATH, PGBACKREST, REPO_PATHS, REPOS, STANZA, TLS_PORT, repoHostConfig, tlsEnv } from './config.ts';

export { PGBACKREST };
export const METRICS_PORT = 9854;
const SCRIPT = '/etc/refstack/backup-host.sh';
const EXPORTER = '/etc/refstack/backup-exporter.py';
const here = (file: string) => readFileSync(join(SERVICES_DIR, 'pgbackrest', file), 'utf8');

/** Every host that needs a backup TLS identity: the repository host and each member the cluster can scale to. */
export function backupTlsHosts(): string[] {
  const max = postgres.scale?.max ?? postgres.replicas;
  return [PGBACKREST, ...Array.from({ length: max }, (_, i) => postgres.instanceName!(i))];
}

/** The stack's backup secrets; a stack that runs this service always has them (src/stack/secrets.ts). */
export function backupSecrets(ctx: SpecContext): BackupSecrets {
  if (!ctx.secrets.backup) throw new Error('this stack runs pgbackrest but its secrets have no "backup" entry: start it through startStack, which makes them');
  return ctx.secrets.backup;
}

/**
 * pgBackRest's dedicated repository host (the user guide's "Dedicated Repository Host", over TLS instead
 * of SSH): two encrypted repositories on their own volumes, the members' WAL pushed to both by their
 * archive_command, a full backup in each at first start and then one every `backup.intervalSeconds`, all
 * taken from a standby; backup status on :9854/metrics. Healthy once repository 1 holds a backup (the
 * second repository's first backup follows at once).
 */
export const pgbackrest: ServiceSpec = {
  name: PGBACKREST,
  summary: 'pgBackRest repository host over TLS: WAL archive and backups (from a standby) of the Patroni cluster in two encrypted repositories',
  image: { build: 'postgres' },
  replicas: 1,
  dependsOn: ['postgres'],
  stopsAfter: ['postgres'],
  command: () => ['bash', SCRIPT],
  env: (ctx) => {
    const secrets = backupSecrets(ctx);
    const { backup } = ctx.profile;
    return {
      STANZA,
      BACKUP_INTERVAL_SECONDS: String(backup.intervalSeconds),
      BACKUP_FULL_EVERY_SECONDS: String(backup.fullEverySeconds),
      PGBACKREST_REPO1_CIPHER_PASS: secrets.cipherPass,
      PGBACKREST_REPO2_CIPHER_PASS: secrets.cipherPass,
      ...tlsEnv(secrets, ctx.instance),
    };
  },
  files: (ctx) => [
    { path: CONFIG_PATH, content: repoHostConfig(ctx.instances('postgres'), { repo1Full: 2, repo2Full: 1 }) },
    { path: SCRIPT, content: here('backup-host.sh'), mode: 0o755 },
    { path: EXPORTER, content: here('backup-exporter.py') },
  ],
  ports: [
    { name: 'tls', container: TLS_PORT },
    { name: 'metrics', container: METRICS_PORT, publish: { env: [19854] }, http: '/metrics' },
  ],
  health: { command: 'test -e /run/refstack-backup/ready', startPeriodSeconds: 240 },
  volumes: [
    { name: 'repo1', target: REPO_PATHS[1] },
    { name: 'repo2', target: REPO_PATHS[2] },
  ],
  stopGraceSeconds: 10,
  scrape: [{ job: 'pgbackrest', port: 'metrics', down: { severity: 'medium', blind: 'the age of the last backup and whether the repositories answer' } }],
  alerts: [backupAlerts],
  panels: backupPanels,
  describe: describeRepositories,
};

/** `repo1: 2 backups, newest 41 s ago; repo2: …` from the host's own metrics. */
async function describeRepositories(instance: InstanceProbe): Promise<string> {
  const text = await scrapeText(`http://127.0.0.1:${await instance.hostPort('metrics')}/metrics`);
  return REPOS.map((repo) => {
    const labels = { repo_key: String(repo) };
    const count = sampleSum(text, 'pgbackrest_backup_count', labels);
    const age = text.includes(`pgbackrest_backup_since_last_completion_seconds{stanza="${STANZA}",repo_key="${repo}"}`) ? sampleSum(text, 'pgbackrest_backup_since_last_completion_seconds', labels) : undefined;
    return `repo${repo}: ${count} backup${count === 1 ? '' : 's'}${age === undefined ? '' : `, newest ${Math.round(age)} s ago`}`;
  }).join('; ');
}
