import pg from 'pg';
import { seconds, sleep, waitFor } from '../core/poll.ts';
import type { Target } from '../core/results/target.ts';
import type { InstanceHandle } from '../core/spec.ts';
import { backupRepository, type BackupRepository } from '../../services/pgbackrest/handle.ts';
import { ARCHIVE_PUSH_IO_TIMEOUT_SECONDS, REPO_PATHS, REPOS } from '../../services/pgbackrest/config.ts';
import { DATA_DIR } from '../../services/postgres/patroni-config.ts';
import { PGBACKREST } from '../../services/pgbackrest/spec.ts';
import { postgresCluster, type PostgresCluster } from '../../services/postgres/cluster.ts';
import { startRestoredPostgres } from '../../services/postgres/pgbackrest.ts';
import { monitoringOf } from '../../monitoring/testing/observe.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

const le = (value: number): Target => ({ op: '<=', value });
const none: Target = { op: '==', value: 0 };
const BATCH = 50;
/** A switched WAL segment reaches both repositories within this (archive-push over TLS, a loaded 2-core host). */
const ARCHIVE_SECONDS = 30;

/** Rows of one run: ids in [from, to), all tagged with the run's label so runs on one environment never mix. */
async function insertBatch(cluster: PostgresCluster, run: string, from: number): Promise<{ ids: number[]; committedAt: string }> {
  return cluster.withClient(cluster.write, async (c) => {
    await c.query('INSERT INTO pitr_marks (run, id) SELECT $1, g FROM generate_series($2::int, $3::int) g', [run, from, from + BATCH - 1]);
    // The server's clock after the commit: a recovery target at this instant keeps the batch.
    const { rows } = await c.query<{ t: string }>("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t");
    return { ids: Array.from({ length: BATCH }, (_, i) => from + i), committedAt: rows[0]!.t };
  });
}

/** Closes the current WAL segment on the primary and returns its name (the one that holds everything so far). */
async function switchWal(cluster: PostgresCluster): Promise<{ segment: string; timeline: number }> {
  return cluster.withClient(cluster.write, async (c) => {
    const { rows } = await c.query<{ segment: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
    const segment = rows[0]!.segment;
    // The segment's name carries the current timeline (pg_control_checkpoint() lags until the next checkpoint).
    return { segment, timeline: parseInt(segment.slice(0, 8), 16) };
  });
}

/** Switches WAL on the primary and waits until the closed segment is in both repositories: everything committed so far is archived. */
export async function archiveNow(cluster: PostgresCluster, repository: BackupRepository, timeoutMs: number): Promise<{ segment: string; timeline: number }> {
  const switched = await switchWal(cluster);
  await waitArchived(repository, switched.segment, timeoutMs);
  return switched;
}

async function waitArchived(repository: BackupRepository, file: string, timeoutMs: number): Promise<void> {
  await waitFor(`${file} in both repositories`, async () => (Object.values(await repository.archived(file)).every(Boolean) ? true : undefined), { timeoutMs, intervalMs: 250 });
}

/** Restores into a throw-away container to `target` and returns the run's ids it holds. */
async function restoredIds(ctx: ScenarioContext, repository: BackupRepository, repo: 1 | 2, target: string, run: string, password: string): Promise<{ ids: number[]; seconds: number }> {
  const t0 = performance.now();
  const repos = await repository.repos();
  const restored = await startRestoredPostgres(repos, [`--repo=${repo}`, '--type=time', `--target=${target}`, '--target-action=promote']);
  ctx.onRollback(`restore container ${restored.getName()} removed`, async () => void (await restored.stop({ remove: true, removeVolumes: true }).catch(() => undefined)));
  const client = new pg.Client({ host: restored.getHost(), port: restored.getMappedPort(5432), user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: number }>('SELECT id FROM pitr_marks WHERE run = $1 ORDER BY id', [run]);
    return { ids: rows.map((r) => r.id), seconds: seconds(t0, performance.now()) };
  } finally {
    await client.end().catch(() => undefined);
    await restored.stop({ remove: true, removeVolumes: true }).catch(() => undefined);
  }
}

function mismatches(expected: number[], actual: number[]): { count: number; text: string } {
  const want = new Set(expected);
  const got = new Set(actual);
  const missing = expected.filter((id) => !got.has(id));
  const extra = actual.filter((id) => !want.has(id));
  return { count: missing.length + extra.length, text: `expected ${expected.length} rows, restored ${actual.length}; missing ${missing.slice(0, 10).join(', ') || 'none'}; extra ${extra.slice(0, 10).join(', ') || 'none'}` };
}

export const pitrAcrossFailover: Scenario = {
  name: 'pitr-across-failover',
  title: 'WAL archiving follows the primary across a failover, and point-in-time recovery lands on exact rows on both sides of it',
  claim: `the HA cluster archives from whichever member is primary: after a switchover the new timeline reaches both repositories within ${ARCHIVE_SECONDS} s, a backup from the new standby succeeds, and restores to a moment before the switchover (from repository 2) and after it (from repository 1) hold exactly the rows committed by then`,
  services: [PGBACKREST, 'haproxy'],
  resultPrefix: 'pitr',
  drill: true,
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const repository = backupRepository(ctx.stack);
    const run = `r${Date.now().toString(36)}`;
    await ctx.step('the cluster is healthy and archives through the write port', async () => {
      await cluster.waitHealthy(120_000);
      const mode = await cluster.withClient(cluster.write, async (c) => (await c.query<{ archive_mode: string }>('SHOW archive_mode')).rows[0]!.archive_mode);
      ctx.check(mode === 'on', `archive_mode through the write port is ${mode}, not on`);
    });
    // The host is ready once repository 1 holds a backup; repository 2's first follows it.
    const held = await ctx.step('each repository holds a backup', () =>
      waitFor('a backup in each repository', async () => {
        const sets = await Promise.all([repository.backups(1), repository.backups(2)]);
        return sets.every((b) => b.length > 0) ? sets : undefined;
      }, { timeoutMs: 120_000, intervalMs: 1_000 }).catch(async () => Promise.all([repository.backups(1), repository.backups(2)])),
    );
    ctx.figure('repositories_with_backup', held.filter((b) => b.length > 0).length, 'repositories', { target: { op: '==', value: 2 }, note: `repo1: ${held[0]!.length} backups, repo2: ${held[1]!.length}` });

    await ctx.step('create the marker table', () => cluster.withClient(cluster.write, (c) => c.query('CREATE TABLE IF NOT EXISTS pitr_marks (run text NOT NULL, id int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run, id))')));
    const a = await ctx.step(`commit rows 1–${BATCH} (kept by the restore before the failover)`, () => insertBatch(cluster, run, 1));
    await sleep(1_100);
    const b = await ctx.step(`commit rows ${BATCH + 1}–${2 * BATCH} after that moment`, () => insertBatch(cluster, run, BATCH + 1));
    const before = await switchWal(cluster);

    const moved = await ctx.step('switch the leader over to a standby', () => cluster.switchover());
    const switchedAt = ctx.mark(`switchover ${moved.from} → ${moved.to}`);
    await ctx.step(`${moved.to} leads a healthy cluster`, () => cluster.waitHealthy(120_000));
    const c = await ctx.step(`commit rows ${2 * BATCH + 1}–${3 * BATCH} on the new timeline (kept by the restore after the failover)`, () => insertBatch(cluster, run, 2 * BATCH + 1));
    await sleep(1_100);
    const d = await ctx.step(`commit rows ${3 * BATCH + 1}–${4 * BATCH} after that moment`, () => insertBatch(cluster, run, 3 * BATCH + 1));
    const after = await ctx.step('switch WAL on the new primary', () => switchWal(cluster));
    ctx.check(after.timeline > before.timeline, `the timeline did not change across the switchover (${before.timeline} → ${after.timeline})`);
    const history = `${after.timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
    await ctx.step(`${after.segment} and ${history} reach both repositories`, async () => {
      await waitArchived(repository, after.segment, (ARCHIVE_SECONDS + 30) * 1000);
      await waitArchived(repository, history, 10_000);
    });
    ctx.figure('archive_after_switchover_seconds', seconds(switchedAt, performance.now()), 's', {
      target: le(ARCHIVE_SECONDS + 30),
      note: `switchover requested → the new primary's switched segment ${after.segment} (timeline ${after.timeline}) in both repositories; includes the switchover itself and the rows written after it`,
    });

    await ctx.step(`no plaintext of the run's rows in either repository (AES-256-CBC at rest)`, async () => {
      const grep = (instance: InstanceHandle, paths: string[]) => instance.exec(['grep', '-rlF', '--binary-files=text', run, ...paths]);
      const primary = await cluster.primary();
      await cluster.withClient(cluster.write, (cl) => cl.query('CHECKPOINT'));
      // Positive control: the label is in the primary's own (unencrypted) files, so the scan can fail.
      ctx.check((await grep(primary.instance, [DATA_DIR])).exitCode === 0, `the run's label ${run} is not in ${primary.name}'s data directory: the repository scan could not fail`);
      const scan = await grep(repository.instance, Object.values(REPO_PATHS));
      ctx.check(scan.exitCode <= 1, `grep over the repositories failed (exit ${scan.exitCode})`);
      const found = scan.exitCode === 0 ? scan.stdout.trim().split('\n') : [];
      ctx.figure('plaintext_files_in_repositories', found.length, 'files', { target: none, note: `the run's label ${run} searched in every file of ${Object.values(REPO_PATHS).join(' and ')}${found.length ? `; found in ${found.slice(0, 5).join(', ')}` : ''}` });
    });
    const backupStart = performance.now();
    // backup-standby=y makes pgBackRest copy from a standby or fail; the log line shows it waited for one.
    const output = await ctx.step('an incremental backup into repository 1 from a standby of the new primary', () => repository.backup(1, 'incr'));
    ctx.check(/wait for replay on the standby/.test(output), `the backup did not run from a standby:\n${output.slice(-1500)}`);
    ctx.figure('standby_backup_after_failover_seconds', seconds(backupStart, performance.now()), 's', { note: 'pgBackRest incremental backup from a standby, run from the repository host over TLS' });

    const pastBefore = await ctx.step(`restore repository 2 to ${a.committedAt} (before the switchover)`, () => restoredIds(ctx, repository, 2, a.committedAt, run, cluster.password));
    const m1 = mismatches(a.ids, pastBefore.ids);
    ctx.figure('before_failover_row_mismatches', m1.count, 'rows', { target: none, note: `${m1.text}; restore and start ${pastBefore.seconds} s` });
    const pastAfter = await ctx.step(`restore repository 1 to ${c.committedAt} (after the switchover)`, () => restoredIds(ctx, repository, 1, c.committedAt, run, cluster.password));
    const m2 = mismatches([...a.ids, ...b.ids, ...c.ids], pastAfter.ids);
    ctx.figure('after_failover_row_mismatches', m2.count, 'rows', { target: none, note: `${m2.text}; restore and start ${pastAfter.seconds} s; rows ${d.ids[0]}–${d.ids.at(-1)} came after the target` });
    await ctx.step('forget the run\'s marker rows', () => cluster.withClient(cluster.write, (cl) => cl.query('DELETE FROM pitr_marks WHERE run = $1', [run])));
  },
};

/** The segment after `name` on the same timeline (16 MiB segments: 256 per 4 GiB "log"). */
export function nextSegment(name: string): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  const timeline = name.slice(0, 8);
  const log = parseInt(name.slice(8, 16), 16);
  const seg = parseInt(name.slice(16, 24), 16);
  return seg === 0xff ? `${timeline}${hex(log + 1)}${hex(0)}` : `${timeline}${hex(log)}${hex(seg + 1)}`;
}

/** Every segment from `first` to `last` inclusive (same timeline). */
export function segmentRange(first: string, last: string): string[] {
  if (first.slice(0, 8) !== last.slice(0, 8)) throw new Error(`${first} and ${last} are on different timelines: the window saw a failover, so its segments cannot be listed as one range`);
  const out = [first];
  while (out.at(-1)! < last && out.length < 100_000) out.push(nextSegment(out.at(-1)!));
  return out;
}

/** How long the repository host stays away while writes continue. */
const REPO_HOST_AWAY_SECONDS = 16;
const WRITE_EVERY_MS = 200;
const SWITCH_EVERY = 10;

export const repositoryHostLoss: Scenario = {
  name: 'repository-host-loss',
  title: 'The repository host lost while writes continue',
  claim: `with the repository host stopped for ${REPO_HOST_AWAY_SECONDS} s under writes (a WAL segment switched every ${(WRITE_EVERY_MS * SWITCH_EVERY) / 1000} s), the primary keeps accepting every write, WalArchiveFailing fires within its detection time, and once the host is back the backlog drains and both repositories hold every segment of the window, none missing`,
  services: [PGBACKREST, 'haproxy', 'prometheus'],
  resultPrefix: 'backup',
  drill: true,
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const repository = backupRepository(ctx.stack);
    const monitoring = await monitoringOf(ctx.stack);
    const firing = async () => (await monitoring.query('ALERTS{alertname="WalArchiveFailing",alertstate="firing"}')).length > 0;
    const detection = ctx.promises.alertDetectionSeconds.high;
    await ctx.step('the cluster is healthy, the repository host ready, WalArchiveFailing quiet', async () => {
      await cluster.waitHealthy(120_000);
      await repository.instance.waitReady(120_000);
      await waitFor('WalArchiveFailing not firing', async () => ((await firing()) ? undefined : true), { timeoutMs: (detection + 30) * 1000, intervalMs: 1_000 });
    });
    await ctx.step('create the write table', () => cluster.withClient(cluster.write, (c) => c.query('CREATE TABLE IF NOT EXISTS archive_writes (run text NOT NULL, n int NOT NULL, PRIMARY KEY (run, n))')));
    const run = `r${Date.now().toString(36)}`;
    const first = (await switchWal(cluster)).segment;

    // The writer: one row every WRITE_EVERY_MS through the write port, a segment switch every SWITCH_EVERY rows; bounded.
    const tally = { ok: 0, failed: [] as string[], lastSegment: first, maxBacklogAway: 0 };
    let away = false;
    let writing = true;
    const writer = (async () => {
      const deadline = performance.now() + (REPO_HOST_AWAY_SECONDS + detection + 240) * 1000;
      for (let n = 1; writing && performance.now() < deadline; n++) {
        const t = performance.now();
        try {
          await cluster.withClient(cluster.write, (c) => c.query('INSERT INTO archive_writes (run, n) VALUES ($1, $2)', [run, n]));
          tally.ok++;
        } catch (e) {
          tally.failed.push((e as Error).message);
        }
        // The segment switch and the backlog count are not writes of the figure: their failure is the scenario's.
        if (n % SWITCH_EVERY === 0) {
          await switchWal(cluster)
            .then(async ({ segment }) => {
              tally.lastSegment = segment;
              const rows = await cluster.withClient(cluster.write, async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")).rows);
              if (away) tally.maxBacklogAway = Math.max(tally.maxBacklogAway, rows[0]!.n);
            })
            .catch(() => undefined);
        }
        await sleep(Math.max(0, WRITE_EVERY_MS - (performance.now() - t)));
      }
    })();
    ctx.onRollback('writer stopped', async () => {
      writing = false;
      await writer;
    });
    ctx.onRollback('repository host started', async () => {
      if (away) await repository.instance.start();
    });

    const stoppedAt = await ctx.step('stop the repository host', async () => {
      away = true;
      await repository.instance.stop();
      return ctx.mark('repository host stopped');
    });
    const fired = await ctx.step('WalArchiveFailing fires', () =>
      waitFor('WalArchiveFailing firing in Prometheus', async () => ((await firing()) ? performance.now() : undefined), { timeoutMs: (detection + 60) * 1000, intervalMs: 500 }),
    );
    ctx.mark('WalArchiveFailing firing', fired);
    ctx.figure('archive_alert_seconds', seconds(stoppedAt, fired), 's', {
      // The push in flight at the stop may use up its timeouts before the first one that fails for certain.
      target: le(detection + 2 * REPOS.length * ARCHIVE_PUSH_IO_TIMEOUT_SECONDS + (WRITE_EVERY_MS * SWITCH_EVERY) / 1000),
      note: `repository host stopped → WalArchiveFailing firing in Prometheus; its detection promise ${detection} s + two pushes of ${REPOS.length} × ${ARCHIVE_PUSH_IO_TIMEOUT_SECONDS} s (archive-push's io-timeout per repository: the one in flight and the first that fails) + one segment switch`,
    });
    await ctx.step(`keep the host away for ${REPO_HOST_AWAY_SECONDS} s of writes`, () => sleep(Math.max(0, REPO_HOST_AWAY_SECONDS * 1000 - (performance.now() - stoppedAt))));
    const lastWhileAway = tally.lastSegment;
    const startedAt = await ctx.step('start the repository host again', async () => {
      await repository.instance.start();
      away = false;
      return ctx.mark('repository host started');
    });
    await ctx.step(`every segment up to ${lastWhileAway} reaches both repositories`, () => waitArchived(repository, lastWhileAway, 180_000));
    ctx.figure('archive_backlog_drain_seconds', seconds(startedAt, performance.now()), 's', { note: `repository host started → the last segment switched while it was away (${lastWhileAway}) in both repositories; the largest backlog while it was away: ${tally.maxBacklogAway} segments waiting` });
    await ctx.step('WalArchiveFailing resolves', () =>
      waitFor('WalArchiveFailing no longer firing', async () => ((await firing()) ? undefined : true), { timeoutMs: (detection + 60) * 1000, intervalMs: 1_000 }),
    );
    writing = false;
    await writer;
    const last = tally.lastSegment;
    await waitArchived(repository, last, 60_000);
    const wanted = segmentRange(first, last);
    const [one, two] = await Promise.all([repository.archivedSegments(1), repository.archivedSegments(2)]);
    const missing = wanted.flatMap((s) => [...(one.has(s) ? [] : [`repo1:${s}`]), ...(two.has(s) ? [] : [`repo2:${s}`])]);
    ctx.figure('repo_host_loss_missing_segments', missing.length, 'segments', { target: none, note: `${wanted.length} segments ${first}…${last} checked in both repositories${missing.length ? `; missing ${missing.slice(0, 10).join(', ')}` : ''}` });
    ctx.figure('repo_host_loss_failed_writes', tally.failed.length, 'writes', { target: none, note: `${tally.ok} writes acknowledged through the write port${tally.failed.length ? `; failed: ${[...new Set(tally.failed)].slice(0, 3).join('; ')}` : ''}` });
    // A healthy host keeps the backlog at the one segment just switched; a stopped one lets every switch pile up.
    const expected = Math.floor(REPO_HOST_AWAY_SECONDS / ((WRITE_EVERY_MS * SWITCH_EVERY) / 1000) / 2);
    ctx.check(tally.maxBacklogAway >= expected, `at most ${tally.maxBacklogAway} WAL segments waited while the host was away (expected ≥ ${expected}): the fault did not bite`);
    await ctx.step("forget the run's rows", () => cluster.withClient(cluster.write, (c) => c.query('DELETE FROM archive_writes WHERE run = $1', [run])));
  },
};
