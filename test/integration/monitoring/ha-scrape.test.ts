import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { postgresCluster } from '../../../services/postgres/cluster.ts';
import { targets } from '../../../src/core/targets.ts';
import { record } from '../../../src/testing/record.ts';
import { silenceWalStream } from '../../../monitoring/testing/faults.ts';
import { monitoringOf, scalar, type Monitoring } from '../../../monitoring/testing/observe.ts';
import { waitUntil } from '../../../monitoring/testing/wait.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { useStack } from '../../../src/testing/stack.ts';

/**
 * The Postgres HA part of the one stack under its own Prometheus (test profile): Patroni ×3, HAProxy and
 * postgres_exporter, each scraped as one target per instance, named by the instance.
 */
describeWithDocker('the Postgres HA cluster is watched: Patroni members, HAProxy and postgres_exporter are scraped', () => {
  const stack = useStack({ services: ['prometheus', 'postgres-exporter', 'haproxy'] });
  let monitoring: Monitoring;

  beforeAll(async () => {
    monitoring = await monitoringOf(stack());
  });

  it('every instance of every scraped service is its own target, labelled with its instance name, and up', async () => {
    const expected = ['postgres', 'haproxy', 'postgres-exporter'].flatMap((s) => stack().instances(s).map((i) => i.name));
    await waitUntil('every target of the stack up', 60_000, async () => (await monitoring.query('up == 1')).length === expected.length + 1, async () => JSON.stringify((await monitoring.query('up')).map((s) => [s.metric.instance, s.value[1]])));
    const instances = (await monitoring.query('up{job!="prometheus"}')).map((s) => s.metric.instance).sort();
    expect(instances).toEqual(expected.sort());
  });

  it('every Patroni member exports its role and state, with exactly one primary', async () => {
    const members = stack().instances('postgres').length;
    await waitUntil(`${members} Patroni members running`, 30_000, async () => (await monitoring.query('patroni_postgres_running == 1')).length === members);
    expect(scalar(await monitoring.query('sum(patroni_primary)'))).toBe(1);
    expect((await monitoring.query('patroni_replica == 1')).length).toBe(members - 1);
    expect((await monitoring.query('patroni_xlog_replayed_location')).length).toBeGreaterThanOrEqual(1);
  });

  it('one postgres_exporter per member reaches its own server (pg_up 1), and each replica has its lag from both ends', async () => {
    const members = stack().instances('postgres').map((i) => i.name);
    expect(stack().instances('postgres-exporter').map((i) => i.name)).toEqual(members.map((m) => `${m}-exporter`));
    await waitUntil(`pg_up 1 from ${members.length} exporters`, 30_000, async () => (await monitoring.query('pg_up == 1')).length === members.length);
    const primary = (await postgresCluster(stack()).then((c) => c.primary())).name;
    const replicas = members.filter((m) => m !== primary).sort();
    for (const observer of ['replica', 'primary']) {
      await waitUntil(`a ${observer}-side lag series for ${replicas.join(' and ')}`, 30_000, async () =>
        JSON.stringify((await monitoring.query(`pg_replication_lag_seconds{observer="${observer}"}`)).map((s) => s.metric.replica).sort()) === JSON.stringify(replicas),
      );
    }
    const lags = await monitoring.query('max by (replica) (pg_replication_lag_seconds)');
    expect(lags.every((s) => Number(s.value[1]) < targets.alertRules.replicationLagSeconds), JSON.stringify(lags)).toBe(true);
  });

  it('a replica whose WAL stream went silent is not read as caught up: its own lag grows past the threshold while writes go on', async () => {
    const cluster = await postgresCluster(stack());
    await cluster.waitHealthy(120_000);
    const roles = await cluster.roles();
    // The asynchronous replica: cutting off the synchronous standby would hold every commit instead.
    const cut = cluster.members.find((m) => roles[m.name] === 'replica') ?? cluster.members.find((m) => roles[m.name] !== 'primary')!;
    const writer = new pg.Client(cluster.clientConfig(cluster.write));
    await writer.connect();
    await writer.query('CREATE TABLE IF NOT EXISTS stream_probe (at timestamptz DEFAULT now())');
    const t0 = performance.now();
    // Its WAL receiver stopped: still "streaming" in pg_stat_wal_receiver, nothing arrives, received = replayed.
    const resume = await silenceWalStream(cut.instance);
    try {
      let seconds = 0;
      await waitUntil(`${cut.name}'s own lag above ${targets.alertRules.replicationLagSeconds} s while the primary commits at every poll`, 90_000, async () => {
        await writer.query('INSERT INTO stream_probe DEFAULT VALUES');
        seconds = scalar(await monitoring.query(`pg_replication_lag_seconds{observer="replica",replica="${cut.name}"}`));
        return seconds > targets.alertRules.replicationLagSeconds;
      }, async () => `lag ${seconds} s`);
      record({ id: 'monitoring.dead_stream_lag_detect_seconds', value: Number(((performance.now() - t0) / 1000).toFixed(1)), unit: 's', note: `${cut.name}'s WAL receiver stopped; its own view reported ${seconds.toFixed(1)} s of lag once the stream had been silent longer than a live one ever is (wal_receiver_timeout / 2 + 5 s)` });
    } finally {
      await resume();
      await writer.end();
    }
    await cluster.waitHealthy(120_000);
  }, 300_000);

  it('HAProxy exports its routing: exactly one server up behind the primary listener, the replicas behind the read listener', async () => {
    const members = stack().instances('postgres').length;
    await waitUntil('HAProxy backend series', 30_000, async () => (await monitoring.query('haproxy_backend_active_servers{proxy="primary"}')).length === 1);
    expect(scalar(await monitoring.query('haproxy_backend_active_servers{proxy="primary"}'))).toBe(1);
    expect(scalar(await monitoring.query('haproxy_backend_active_servers{proxy="replicas"}'))).toBe(members - 1);
  });
});
