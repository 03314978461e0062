import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordResult } from '../../../src/core/results/results.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { startPostgresCluster, type PostgresCluster } from '../../../src/topologies/postgres/cluster.ts';
import { ReplicationSampler, percentile, sustainedWriteLoad } from '../../../src/topologies/postgres/replication-probe.ts';
import { seconds, sleep, waitFor } from '../../../src/core/poll.ts';

const SUITE = 'test/integration/postgres/replication.test.ts';
const LOAD_SECONDS = 20;
const FREEZE_SECONDS = 10;

describeWithDocker('postgres replication: 3 Patroni members (synchronous mode) behind HAProxy', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster({ members: 3, synchronous: true, timing: 'test' });
  });
  afterAll(async () => cluster?.teardown());

  it('a row committed through the write endpoint is visible on every replica, and the read endpoint serves from replicas', async () => {
    const primary = await cluster.primary();
    const marker = randomUUID();
    const writer = new pg.Client(cluster.clientConfig(cluster.write));
    await writer.connect();
    try {
      await writer.query('CREATE TABLE IF NOT EXISTS visibility (marker uuid PRIMARY KEY)');
      await writer.query('INSERT INTO visibility VALUES ($1)', [marker]);
    } finally {
      await writer.end();
    }
    const replicas = cluster.members.filter((m) => m.name !== primary.name);
    expect(replicas).toHaveLength(2);
    for (const replica of replicas) {
      await waitFor(
        `row ${marker} on ${replica.name}`,
        async () => ((await replica.query('SELECT 1 FROM visibility WHERE marker = $1', [marker])).length === 1 ? true : undefined),
        { timeoutMs: 10_000, intervalMs: 100 },
      );
    }
    const reader = new pg.Client(cluster.clientConfig(cluster.read));
    await reader.connect();
    try {
      const { rows } = await reader.query<{ r: boolean; n: string }>(
        'SELECT pg_is_in_recovery() AS r, (SELECT count(*) FROM visibility WHERE marker = $1) AS n',
        [marker],
      );
      expect(rows[0], 'the read endpoint must land on a replica that has the row').toEqual({ r: true, n: '1' });
    } finally {
      await reader.end();
    }
  });

  it(`under a ${LOAD_SECONDS} s sustained write load, replay lag is measured from pg_stat_replication`, async () => {
    const primary = await cluster.primary();
    const sampler = new ReplicationSampler(await primary.clientConfig(), { intervalMs: 250, maxSeconds: LOAD_SECONDS + 30 }).start();
    const t0 = performance.now();
    const rows = await sustainedWriteLoad(cluster.clientConfig(cluster.write), { clients: 4, seconds: LOAD_SECONDS, rowsPerStatement: 50 });
    const loadSeconds = seconds(t0, performance.now());
    const samples = await sampler.stop();
    expect(loadSeconds).toBeGreaterThanOrEqual(LOAD_SECONDS);
    expect(rows, 'the load must have committed rows').toBeGreaterThan(1000);

    // One observation per poll: the worst replica at that moment.
    const byPoll = new Map<number, { lagSeconds: number; lagBytes: number }>();
    for (const s of samples) {
      const worst = byPoll.get(s.at) ?? { lagSeconds: 0, lagBytes: 0 };
      byPoll.set(s.at, { lagSeconds: Math.max(worst.lagSeconds, s.lagSeconds), lagBytes: Math.max(worst.lagBytes, s.lagBytes) });
    }
    const polls = [...byPoll.values()];
    expect(polls.length, 'pg_stat_replication was sampled throughout the load').toBeGreaterThan(LOAD_SECONDS * 2);
    expect(new Set(samples.map((s) => s.member)).size, 'both replicas were streaming').toBe(2);
    const lagP95 = percentile(polls.map((p) => p.lagSeconds), 95);
    const lagBytesMax = Math.max(...polls.map((p) => p.lagBytes));
    const note = `${rows} rows (~${Math.round((rows * 256) / 1024 / 1024)} MiB payload) in ${loadSeconds} s by 4 clients; ${polls.length} polls`;
    recordResult({ id: 'replication.lag_seconds_p95', value: Number(lagP95.toFixed(3)), unit: 's', suite: SUITE, note });
    recordResult({ id: 'replication.lag_bytes_max', value: Math.round(lagBytesMax), unit: 'B', suite: SUITE, note });
  });

  it(`a replica frozen for ${FREEZE_SECONDS} s falls behind under writes and catches up after it is thawed`, async () => {
    const primary = await cluster.primary();
    const roles = await cluster.roles();
    // Freeze the asynchronous replica: freezing the sync standby would stall every commit instead.
    const frozen = cluster.members.find((m) => roles[m.name] === 'replica');
    if (!frozen) throw new Error(`no asynchronous replica to freeze (roles: ${JSON.stringify(roles)})`);
    const primaryClient = new pg.Client(await primary.clientConfig());
    await primaryClient.connect();
    try {
      await cluster.pause(frozen.name);
      let thawed = false;
      try {
        const load = sustainedWriteLoad(cluster.clientConfig(cluster.write), { clients: 2, seconds: FREEZE_SECONDS, rowsPerStatement: 50, pauseMs: 10 });
        await Promise.all([load, sleep(FREEZE_SECONDS * 1000)]);
        const { rows } = await primaryClient.query<{ lsn: string; behind: number }>(
          `SELECT pg_current_wal_lsn()::text AS lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS behind
           FROM pg_stat_replication WHERE application_name = $1`,
          [frozen.name],
        );
        const target = rows[0];
        if (!target) throw new Error(`${frozen.name} is missing from pg_stat_replication while frozen`);
        expect(target.behind, `${frozen.name} must have fallen behind while frozen`).toBeGreaterThan(0);
        const t0 = performance.now();
        await cluster.restart(frozen.name);
        thawed = true;
        await waitFor(
          `${frozen.name} replaying past ${target.lsn}`,
          async () => {
            const r = await primaryClient.query<{ done: boolean }>(
              'SELECT replay_lsn >= $2::pg_lsn AS done FROM pg_stat_replication WHERE application_name = $1',
              [frozen.name, target.lsn],
            );
            return r.rows[0]?.done ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const catchup = seconds(t0, performance.now());
        recordResult({
          id: 'replication.catchup_seconds',
          value: catchup,
          unit: 's',
          suite: SUITE,
          note: `${frozen.name} was ${Math.round(target.behind)} B behind after ${FREEZE_SECONDS} s frozen`,
        });
      } finally {
        if (!thawed) await cluster.restart(frozen.name).catch(() => undefined);
      }
    } finally {
      await primaryClient.end();
    }
  });
});
