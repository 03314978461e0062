import { seconds, sleep, waitFor } from '../core/poll.ts';
import { PLAN_BOUNDS } from '../core/profiles.ts';
import type { Target } from '../core/results/target.ts';
import { backupRepository } from '../../services/pgbackrest/handle.ts';
import { PGBACKREST, STANZA } from '../../services/pgbackrest/config.ts';
import { ETCD_CLIENT_PORT } from '../../services/etcd/spec.ts';
import { postgresCluster, type PostgresCluster } from '../../services/postgres/cluster.ts';
import { PATRONI_CONFIG_PATH, PATRONI_NAMESPACE, withRestoreBootstrap } from '../../services/postgres/patroni-config.ts';
import { PATRONI_SCOPE } from '../../services/postgres/spec.ts';
import { archiveNow } from './backup.ts';
import type { Scenario } from './scenario.ts';

const le = (value: number): Target => ({ op: '<=', value });
const WRITE_EVERY_MS = 100;
/** Restoring the test database (~25 MB and a few segments of WAL) on a loaded 2-core host: a regression budget well inside the plan's hour. */
const RESTORE_BUDGET_SECONDS = 300;
/** archive_timeout closes the segment; pushing it to both repositories takes about a second more. */
const PUSH_ALLOWANCE_SECONDS = 5;

interface Ack {
  n: number;
  /** The row's commit-time clock on the primary, milliseconds since the epoch. */
  at: number;
}

/** One row every WRITE_EVERY_MS through the write port until stopped or `maxMs` passed: what was acknowledged, and the one in flight when it stopped. */
function startWriter(cluster: PostgresCluster, run: string, maxMs: number) {
  const acks: Ack[] = [];
  const state = { writing: true, inFlight: 0, failures: 0 };
  const done = (async () => {
    const deadline = performance.now() + maxMs;
    for (let n = 1; state.writing && performance.now() < deadline; n++) {
      const t = performance.now();
      state.inFlight = n;
      try {
        const at = await cluster.withClient(
          cluster.write,
          async (c) => (await c.query<{ at: Date }>('INSERT INTO dr_writes (run, n) VALUES ($1, $2) RETURNING at', [run, n])).rows[0]!.at.getTime(),
          { connectionTimeoutMillis: 2_000, query_timeout: 3_000 },
        );
        acks.push({ n, at });
      } catch {
        state.failures++;
      }
      await sleep(Math.max(0, WRITE_EVERY_MS - (performance.now() - t)));
    }
  })();
  return {
    acks,
    state,
    async stop() {
      state.writing = false;
      await done;
    },
  };
}

/**
 * Compares what the restored cluster holds with what the writer was told: acknowledged rows after the newest
 * restored one are the loss (bounded by the RPO); a hole before it, a changed commit time or a row nobody
 * wrote (other than the one in flight at the disaster) is a mismatch.
 */
export function compareRestored(acks: Ack[], restored: Map<number, number>, inFlight: number) {
  const acked = new Map(acks.map((a) => [a.n, a.at]));
  const newest = Math.max(0, ...[...restored.keys()].filter((n) => acked.has(n) || n === inFlight));
  const holes = acks.filter((a) => a.n <= newest && !restored.has(a.n)).map((a) => a.n);
  const changed = acks.filter((a) => restored.has(a.n) && restored.get(a.n) !== a.at).map((a) => a.n);
  const invented = [...restored.keys()].filter((n) => !acked.has(n) && n !== inFlight);
  const lost = acks.filter((a) => a.n > newest);
  const lastAck = acks.at(-1);
  const newestKept = acks.filter((a) => restored.has(a.n)).at(-1);
  return {
    mismatches: holes.length + changed.length + invented.length,
    lost: lost.length,
    rpoSeconds: lastAck ? (lastAck.at - (newestKept?.at ?? acks[0]!.at)) / 1000 : 0,
    text: `${acks.length} writes acknowledged, ${restored.size} rows restored (newest ${newest}); holes ${holes.slice(0, 5).join(', ') || 'none'}; changed ${changed.slice(0, 5).join(', ') || 'none'}; unknown ${invented.slice(0, 5).join(', ') || 'none'}`,
  };
}

export const clusterRestore: Scenario = {
  name: 'cluster-restore',
  title: 'Every Postgres member lost with its disk, the cluster restored from the backup repository',
  claim: `with all members killed at once, their data volumes emptied and the cluster's state deleted from etcd, a new cluster bootstrapped by Patroni from the pgBackRest repository (newest backup + the archive to its end) takes writes again within ${RESTORE_BUDGET_SECONDS} s (plan: 1 h), keeps every acknowledged write up to a point within archive_timeout + ${PUSH_ALLOWANCE_SECONDS} s of the last one (plan: 5 min), changes or invents no row, regains its replicas, serves the API again and archives again`,
  services: [PGBACKREST, 'haproxy'],
  resultPrefix: 'dr',
  drill: true,
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const repository = backupRepository(ctx.stack);
    const [first, ...others] = cluster.members;
    const etcd = ctx.stack.first('etcd');
    const run = `r${Date.now().toString(36)}`;
    const rpoTarget = ctx.promises.archiveRpoSeconds + PUSH_ALLOWANCE_SECONDS;

    await ctx.step('the cluster is healthy and repository 1 holds a backup', async () => {
      await cluster.waitHealthy(120_000);
      await repository.instance.waitReady(240_000);
      ctx.check((await repository.backups(1)).length > 0, 'repository 1 holds no backup: nothing to restore the cluster from');
    });
    await ctx.step('create the write table', () => cluster.withClient(cluster.write, (c) => c.query('CREATE TABLE IF NOT EXISTS dr_writes (run text NOT NULL, n int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, n))')));
    // Registered first, so it runs last: after the rollbacks that bring the members back.
    ctx.onRollback("the run's rows deleted", async () => {
      await waitFor('the write port taking the delete of the run\'s rows', () => cluster.withClient(cluster.write, (c) => c.query('DELETE FROM dr_writes WHERE run = $1', [run])).then(() => true).catch(() => undefined), { timeoutMs: RESTORE_BUDGET_SECONDS * 1000, intervalMs: 1_000 });
    });
    const before = await ctx.step('everything committed before the drill reaches the archive', () => archiveNow(cluster, repository, 60_000));

    const original = await first!.instance.sh(`cat ${PATRONI_CONFIG_PATH}`);
    await ctx.step(`${first!.name} set to bootstrap a new cluster from the repository (inert while the cluster exists)`, () =>
      first!.instance.writeFiles([{ path: PATRONI_CONFIG_PATH, content: withRestoreBootstrap(original, STANZA) }]),
    );
    ctx.onRollback(`${first!.name}'s own patroni.yml back`, () => first!.instance.writeFiles([{ path: PATRONI_CONFIG_PATH, content: original }]));
    ctx.onRollback('every member running', async () => {
      if (!(await first!.instance.state()).running) {
        await first!.instance.start();
        await cluster.primary(RESTORE_BUDGET_SECONDS * 1000).catch(() => undefined);
      }
      for (const m of others) if (!(await m.instance.state()).running) await m.instance.start();
    });

    // Writes for longer than archive_timeout: the archive holds a segment closed by it, the loss is what came after.
    const writer = startWriter(cluster, run, (rpoTarget * 3 + 120) * 1000);
    ctx.onRollback('writer stopped', () => writer.stop());
    await ctx.step(`write a row every ${WRITE_EVERY_MS} ms for ${Math.round(ctx.promises.archiveRpoSeconds * 1.5)} s`, () => sleep(ctx.promises.archiveRpoSeconds * 1500));
    ctx.check(writer.acks.length > 0, `no write was acknowledged before the disaster (${writer.state.failures} failed)`);

    const lostAt = await ctx.step('every member killed at once (SIGKILL)', async () => {
      await Promise.all(cluster.members.map((m) => m.instance.kill()));
      return ctx.mark('every member killed');
    });
    await ctx.step('the writer stops', () => writer.stop());
    await ctx.step('their disks replaced: every data volume emptied', () => Promise.all(cluster.members.map((m) => m.instance.emptyVolumes())));
    await ctx.step("the cluster's state deleted from etcd", async () => {
      const out = await etcd.sh(`etcdctl --endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT} --command-timeout=5s del --prefix ${PATRONI_NAMESPACE}${PATRONI_SCOPE}/`);
      ctx.check(Number(out.trim()) > 0, `etcd held no key of the cluster under ${PATRONI_NAMESPACE}${PATRONI_SCOPE}/ (deleted: ${out.trim()})`);
    });

    const restoreStart = await ctx.step(`start ${first!.name}: Patroni restores the newest backup and replays the archive`, async () => {
      const t = performance.now();
      await first!.instance.start();
      return t;
    });
    await ctx.step('the write port takes writes on the restored cluster', () =>
      waitFor('the write port reaching a primary', async () => ((await cluster.writable()) ? true : undefined), { timeoutMs: RESTORE_BUDGET_SECONDS * 1000, intervalMs: 1_000 }),
    );
    const restoredAt = ctx.mark('write port takes writes');
    ctx.figure('cluster_restore_seconds', seconds(lostAt, restoredAt), 's', {
      target: le(RESTORE_BUDGET_SECONDS),
      bound: le(PLAN_BOUNDS.recoveryTimeSeconds),
      note: `every member killed → a primary restored from the repository takes writes (wipe and etcd cleanup ${seconds(lostAt, restoreStart)} s, restore + archive replay + promotion ${seconds(restoreStart, restoredAt)} s)`,
    });

    const restored = await ctx.step('read back the rows the restored cluster holds', () =>
      cluster.withClient(cluster.write, async (c) => new Map((await c.query<{ n: number; at: Date }>('SELECT n, at FROM dr_writes WHERE run = $1', [run])).rows.map((r) => [r.n, r.at.getTime()]))),
    );
    const compared = compareRestored(writer.acks, restored, writer.state.inFlight);
    ctx.figure('row_mismatches', compared.mismatches, 'rows', { target: { op: '==', value: 0 }, note: compared.text });
    ctx.figure('rpo_seconds', compared.rpoSeconds, 's', {
      target: le(rpoTarget),
      bound: le(PLAN_BOUNDS.recoveryPointSeconds),
      note: `commit time of the last acknowledged write − that of the newest one the restore kept; archive_timeout ${ctx.promises.archiveRpoSeconds} s`,
    });
    ctx.figure('lost_acknowledged_writes', compared.lost, 'writes', { note: `acknowledged writes newer than the archive's end: the WAL every member still held unarchived when they died (at most one archive_timeout of it)` });

    if (ctx.stack.has('nginx')) {
      await ctx.step('the API serves again (a product read through nginx)', async () => {
        const url = await ctx.stack.first('nginx').url('http', '/v1/products/1');
        const status = await waitFor(
          'GET /v1/products/1 answering 200',
          async () => {
            const r = await fetch(url, { headers: { 'x-api-key': ctx.stack.apiKey() }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
            return r?.status === 200 ? r.status : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 1_000 },
        );
        ctx.figure('api_serving_seconds', seconds(lostAt, performance.now()), 's', { note: `every member killed → GET /v1/products/1 through nginx answers ${status} from the restored cluster` });
      });
    }
    await ctx.step(`${others.map((m) => m.name).join(' and ')} join as replicas, cloned from the restored primary`, async () => {
      const t = performance.now();
      await Promise.all(others.map((m) => m.instance.start()));
      await cluster.waitHealthy(300_000);
      ctx.figure('replicas_rejoin_seconds', seconds(t, performance.now()), 's', { note: 'replicas started → every member streaming from the restored primary' });
    });
    const after = await ctx.step('the restored primary archives on its new timeline', () => archiveNow(cluster, repository, 60_000));
    ctx.check(after.timeline > before.timeline, `the restored cluster did not promote onto a new timeline (${before.timeline} → ${after.timeline})`);
  },
};
