import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';

const PORT = 9187;

/** postgres_exporter (Debian) on the write endpoint: connections, archiver, replication as the primary sees it. */
export const postgresExporter: ServiceSpec = {
  name: 'postgres-exporter',
  summary: "postgres_exporter on HAProxy's write port: the primary's view (pg_up, sessions, archiver, replication)",
  image: { build: 'postgres-exporter' },
  replicas: 1,
  dependsOn: ['haproxy'],
  env: (ctx) => ({
    DATA_SOURCE_NAME: `postgresql://postgres:${ctx.secrets.postgresSuperuser}@${ctx.address('haproxy', 'write')}/postgres?sslmode=disable`,
  }),
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  scrape: [{ job: 'postgres', port: 'metrics' }],
};
