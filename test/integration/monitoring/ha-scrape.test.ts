import { beforeAll, expect, it } from 'vitest';
import { monitoringOf, scalar, type Monitoring } from '../../../monitoring/testing/observe.ts';
import { waitUntil } from '../../../monitoring/testing/wait.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { useStack } from '../../../src/testing/stack.ts';

/**
 * The Postgres HA part of the one stack under its own Prometheus (test profile): Patroni ×3, HAProxy and
 * postgres_exporter, each scraped as one target per instance, named by the instance.
 */
describeWithDocker('the Postgres HA cluster is watched: Patroni members, HAProxy and postgres_exporter are scraped', () => {
  const stack = useStack({ services: ['prometheus', 'postgres-exporter'] });
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

  it('postgres_exporter reaches Postgres (pg_up 1)', async () => {
    const exporters = stack().instances('postgres-exporter').length;
    await waitUntil(`pg_up 1 from ${exporters} exporter(s)`, 30_000, async () => (await monitoring.query('pg_up == 1')).length === exporters);
  });

  it('HAProxy exports its routing: exactly one server up behind the primary listener, the replicas behind the read listener', async () => {
    const members = stack().instances('postgres').length;
    await waitUntil('HAProxy backend series', 30_000, async () => (await monitoring.query('haproxy_backend_active_servers{proxy="primary"}')).length === 1);
    expect(scalar(await monitoring.query('haproxy_backend_active_servers{proxy="primary"}'))).toBe(1);
    expect(scalar(await monitoring.query('haproxy_backend_active_servers{proxy="replicas"}'))).toBe(members - 1);
  });
});
