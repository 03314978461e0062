import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { seconds, sleep, waitFor } from '../core/poll.ts';
import { postgresCluster } from '../../services/postgres/cluster.ts';
import { ReplicationSampler, percentile, sustainedWriteLoad } from '../../services/postgres/probes/replication.ts';
import type { Scenario } from './scenario.ts';

const LOAD_SECONDS = 20;
const FREEZE_SECONDS = 10;

export const replicaVisibility: Scenario = {
  name: 'replica-visibility',
  title: 'Writes reach every replica',
  claim: 'a row committed through the write endpoint is visible on every replica, and the read endpoint serves it from a replica',
  services: ['haproxy'],
  resultPrefix: 'replication',
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const primary = await ctx.step('the cluster is healthy', () => cluster.waitHealthy(120_000));
    const marker = randomUUID();
    const t0 = await ctx.step('commit a marker row through the write endpoint', async () => {
      return cluster.withClient(cluster.write, async (writer) => {
        await writer.query('CREATE TABLE IF NOT EXISTS visibility (marker uuid PRIMARY KEY)');
        await writer.query('INSERT INTO visibility VALUES ($1)', [marker]);
        return performance.now();
      });
    });
    const replicas = cluster.members.filter((m) => m.name !== primary.name);
    ctx.check(replicas.length === cluster.members.length - 1, `expected ${cluster.members.length - 1} replicas, found ${replicas.length}`);
    await ctx.step('the marker is on every replica', async () => {
      for (const replica of replicas) {
        await waitFor(`row ${marker} on ${replica.name}`, async () => ((await replica.query('SELECT 1 FROM visibility WHERE marker = $1', [marker])).length === 1 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
      }
    });
    ctx.figure('visible_on_every_replica_seconds', seconds(t0, performance.now()), 's', { note: `commit → the row read back on ${replicas.map((r) => r.name).join(' and ')}` });
    await ctx.step('the read endpoint lands on a replica that has the row', async () => {
      const { rows } = await cluster.withClient(cluster.read, (reader) => reader.query<{ r: boolean; n: string }>('SELECT pg_is_in_recovery() AS r, (SELECT count(*) FROM visibility WHERE marker = $1) AS n', [marker]));
      ctx.check(rows[0]?.r === true && rows[0]?.n === '1', `the read endpoint answered ${JSON.stringify(rows[0])}, expected a replica with the row`);
    });
  },
};

export const lagUnderLoad: Scenario = {
  name: 'lag-under-load',
  title: 'Replication lag under a sustained write load',
  claim: `under a ${LOAD_SECONDS} s sustained write load, replay lag is measured on the primary from pg_stat_replication for every replica`,
  services: ['haproxy'],
  resultPrefix: 'replication',
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const primary = await ctx.step('the cluster is healthy', () => cluster.waitHealthy(120_000));
    const sampler = new ReplicationSampler(await primary.clientConfig(), { intervalMs: 250, maxSeconds: LOAD_SECONDS + 30 }).start();
    const t0 = performance.now();
    const rows = await ctx.step(`four clients insert batches of 50 rows for ${LOAD_SECONDS} s`, () =>
      sustainedWriteLoad(cluster.clientConfig(cluster.write), { clients: 4, seconds: LOAD_SECONDS, rowsPerStatement: 50 }),
    ).finally(() => undefined);
    const loadSeconds = seconds(t0, performance.now());
    const samples = await sampler.stop();
    ctx.check(loadSeconds >= LOAD_SECONDS, `the load ran ${loadSeconds} s`);
    ctx.check(rows > 1000, `the load committed only ${rows} rows`);
    // One observation per poll: the worst replica at that moment.
    const byPoll = new Map<number, { lagSeconds: number; lagBytes: number }>();
    for (const s of samples) {
      const worst = byPoll.get(s.at) ?? { lagSeconds: 0, lagBytes: 0 };
      byPoll.set(s.at, { lagSeconds: Math.max(worst.lagSeconds, s.lagSeconds), lagBytes: Math.max(worst.lagBytes, s.lagBytes) });
    }
    const polls = [...byPoll.values()];
    ctx.check(polls.length > LOAD_SECONDS * 2, `pg_stat_replication was sampled only ${polls.length} times`);
    ctx.check(new Set(samples.map((s) => s.member)).size === cluster.members.length - 1, 'every replica was streaming');
    const note = `${rows} rows (~${Math.round((rows * 256) / 1024 / 1024)} MiB payload) in ${loadSeconds} s by 4 clients; ${polls.length} polls`;
    ctx.figure('lag_seconds_p95', Number(percentile(polls.map((p) => p.lagSeconds), 95).toFixed(3)), 's', { note });
    ctx.figure('lag_bytes_max', Math.round(Math.max(...polls.map((p) => p.lagBytes))), 'B', { note });
  },
};

export const frozenReplica: Scenario = {
  name: 'frozen-replica',
  title: 'A replica frozen under writes',
  claim: `an asynchronous replica frozen for ${FREEZE_SECONDS} s falls behind under writes and catches up once thawed`,
  services: ['haproxy'],
  resultPrefix: 'replication',
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const primary = await ctx.step('the cluster is healthy', () => cluster.waitHealthy(120_000));
    const roles = await cluster.roles();
    // Freeze the asynchronous replica: freezing the sync standby would stall every commit instead.
    const frozen = cluster.members.find((m) => roles[m.name] === 'replica');
    if (!frozen) throw new Error(`no asynchronous replica to freeze (roles: ${JSON.stringify(roles)})`);
    ctx.onRollback(`${frozen.name} thawed`, () => cluster.restart(frozen.name));
    const client = new pg.Client(await primary.clientConfig());
    await client.connect();
    ctx.onRollback('primary connection closed', () => client.end());
    const behind = await ctx.step(`freeze ${frozen.name} and write for ${FREEZE_SECONDS} s`, async () => {
      await frozen.instance.pause();
      ctx.mark(`${frozen.name} frozen`);
      const load = sustainedWriteLoad(cluster.clientConfig(cluster.write), { clients: 2, seconds: FREEZE_SECONDS, rowsPerStatement: 50, pauseMs: 10 });
      await Promise.all([load, sleep(FREEZE_SECONDS * 1000)]);
      const { rows } = await client.query<{ lsn: string; behind: number }>(
        `SELECT pg_current_wal_lsn()::text AS lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS behind FROM pg_stat_replication WHERE application_name = $1`,
        [frozen.name],
      );
      if (!rows[0]) throw new Error(`${frozen.name} is missing from pg_stat_replication while frozen`);
      ctx.check(rows[0].behind > 0, `${frozen.name} must have fallen behind while frozen`);
      return rows[0];
    });
    const t0 = performance.now();
    await ctx.step(`thaw ${frozen.name}; it replays past ${behind.lsn}`, async () => {
      await cluster.restart(frozen.name);
      ctx.mark(`${frozen.name} thawed`);
      await waitFor(
        `${frozen.name} replaying past ${behind.lsn}`,
        async () => ((await client.query<{ done: boolean }>('SELECT replay_lsn >= $2::pg_lsn AS done FROM pg_stat_replication WHERE application_name = $1', [frozen.name, behind.lsn])).rows[0]?.done ? true : undefined),
        { timeoutMs: 60_000, intervalMs: 100 },
      );
    });
    ctx.figure('catchup_seconds', seconds(t0, performance.now()), 's', { note: `${frozen.name} was ${Math.round(behind.behind)} B behind after ${FREEZE_SECONDS} s frozen` });
  },
};
