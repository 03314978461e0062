import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPostgresExporter } from '../../../services/postgres-exporter/postgres-exporter.ts';
import { startMonitoringStack, type MonitoringStack } from '../../../monitoring/testing/live-stack.ts';
import { POSTGRES_JOB } from '../../../services/prometheus/config.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { startPostgresCluster, type PostgresCluster } from '../../../services/postgres/cluster.ts';
import { STATS_PORT, WRITE_PORT } from '../../../services/haproxy/config.ts';
import { PATRONI_PORT } from '../../../services/postgres/patroni-config.ts';

describeWithDocker('the Postgres HA cluster is watched: Patroni members, HAProxy and the write endpoint are scraped', () => {
  let cluster: PostgresCluster | undefined;
  let exporter: StartedTestContainer | undefined;
  let stack: MonitoringStack | undefined;

  beforeAll(async () => {
    cluster = await startPostgresCluster({ members: 2, synchronous: false, timing: 'test' });
    await cluster.waitHealthy();
    exporter = await startPostgresExporter({
      networkName: cluster.network,
      alias: 'pg-write-exporter',
      url: `postgres://postgres:${encodeURIComponent(cluster.password)}@haproxy:${WRITE_PORT}/postgres`,
    });
    stack = await startMonitoringStack({
      networkName: cluster.network,
      jobs: [
        { job: 'patroni', targets: cluster.members.map((m) => `${m.name}:${PATRONI_PORT}`) },
        { job: POSTGRES_JOB, targets: ['pg-write-exporter:9187'] },
        { job: 'haproxy', targets: [`haproxy:${STATS_PORT}`] },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await exporter?.stop();
    await cluster?.teardown();
  }, 120_000);

  it('every Patroni member exports its role and state, with exactly one primary', async () => {
    const members = cluster!.members.length;
    await until(async () => (await stack!.query('patroni_postgres_running == 1')).length === members, 30_000);
    const primaries = await stack!.query('sum(patroni_primary)');
    expect(Number(primaries[0]?.value[1])).toBe(1);
    expect((await stack!.query('patroni_replica == 1')).length).toBe(members - 1);
    expect((await stack!.query('patroni_xlog_replayed_location')).length).toBeGreaterThanOrEqual(1);
  });

  it('postgres_exporter through the HAProxy write endpoint reaches the primary (pg_up 1, not in recovery)', async () => {
    await until(async () => (await stack!.query('pg_up == 1')).length === 1, 30_000);
    const replica = await stack!.query('pg_replication_is_replica');
    expect(replica.map((s) => s.value[1])).toEqual(['0']);
  });

  it('HAProxy exports its routing: exactly one server up behind the primary listener, the replica behind the read listener', async () => {
    const members = cluster!.members.length;
    await until(async () => (await stack!.query('haproxy_backend_active_servers{proxy="primary"}')).length === 1, 30_000);
    const primary = await stack!.query('haproxy_backend_active_servers{proxy="primary"}');
    expect(primary.map((s) => s.value[1])).toEqual(['1']);
    const replicas = await stack!.query('haproxy_backend_active_servers{proxy="replicas"}');
    expect(replicas.map((s) => s.value[1])).toEqual([String(members - 1)]);
  });
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
