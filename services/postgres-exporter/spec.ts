import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { postgres } from '../postgres/spec.ts';
import { POSTGRES_JOB } from '../prometheus/config.ts';

const PORT = 9187;

/**
 * postgres_exporter (Debian) beside each Patroni member, connected to that member directly (never
 * through HAProxy): pg_up, sessions and archiving of each server, and replication lag per replica as
 * the replica sees it and as the primary sees it (queries.yaml).
 */
export const postgresExporter: ServiceSpec = {
  name: 'postgres-exporter',
  summary: 'postgres_exporter per Patroni member: pg_up, sessions, archiver, replication lag per replica (both ends)',
  image: { build: 'postgres-exporter' },
  replicas: 1,
  perInstanceOf: 'postgres',
  instanceName: (i) => `${postgres.instanceName!(i)}-exporter`,
  dependsOn: ['postgres'],
  env: (ctx) => ({
    DATA_SOURCE_NAME: `postgresql://postgres:${ctx.secrets.postgresSuperuser}@${ctx.addresses('postgres', 'pg')[ctx.index]}/postgres?sslmode=disable`,
  }),
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  scrape: [
    {
      job: POSTGRES_JOB,
      port: 'metrics',
      down: { severity: 'high', blind: 'whether that Postgres member answers, its sessions, archiving and replication lag', coveredBy: 'DatabaseDown' },
    },
  ],
};
