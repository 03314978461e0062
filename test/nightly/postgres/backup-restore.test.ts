import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker } from '../../../src/core/docker/engine.ts';
import { record as recordResult } from '../../../src/testing/record.ts';
import { targets } from '../../../src/core/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { DATA_DIR, PG_PORT } from '../../../services/postgres/patroni-config.ts';
import { createRepo, deleteRepo, pgbackrest, startArchivingPostgres, startRestoredPostgres, type Repo } from '../../../services/postgres/pgbackrest.ts';
import { profile } from '../../../src/core/profiles.ts';
import { seconds, sleep, waitFor } from '../../../src/core/poll.ts';

const ROWS_PER_BATCH = 100;
const PASSWORD = randomBytes(12).toString('base64url');

const clientFor = (c: StartedTestContainer) =>
  new pg.Client({ host: '127.0.0.1', port: c.getMappedPort(PG_PORT), user: 'postgres', password: PASSWORD, database: 'postgres', connectionTimeoutMillis: 5_000, query_timeout: 10_000 });

async function sql<R extends pg.QueryResultRow>(c: StartedTestContainer, text: string, params: unknown[] = []): Promise<R[]> {
  const client = clientFor(c);
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function insertBatch(c: StartedTestContainer, batch: number): Promise<void> {
  await sql(c, 'INSERT INTO marks (batch, n) SELECT $1, g FROM generate_series(1, $2) g', [batch, ROWS_PER_BATCH]);
}

/** Heartbeat rows, one per 500 ms, timestamped by the database: the newest one restored dates the newest restorable point. */
function startHeartbeat(c: StartedTestContainer, maxSeconds: number): { stop: () => Promise<number> } {
  let stopping = false;
  const loop = (async () => {
    const client = clientFor(c);
    client.on('error', () => undefined);
    await client.connect();
    let beats = 0;
    const end = performance.now() + maxSeconds * 1000;
    try {
      while (!stopping && performance.now() < end) {
        await client.query('INSERT INTO heartbeat DEFAULT VALUES');
        beats++;
        await sleep(500);
      }
    } finally {
      void client.end().catch(() => undefined);
    }
    return beats;
  })();
  return {
    stop: async () => {
      stopping = true;
      return loop;
    },
  };
}

describeWithDocker('postgres backup and restore with pgBackRest: encrypted repo1 plus an off-site repo2, PITR, restore after losing repo1', () => {
  let repo1: Repo;
  let repo2: Repo;
  let primary: StartedTestContainer | undefined;
  const restored: StartedTestContainer[] = [];
  const marker = `refstack-plaintext-marker-${randomBytes(8).toString('hex')}`;
  let targetTime = '';
  let disasterAt = 0;
  let repo1Deleted = false;

  beforeAll(async () => {
    repo1 = await createRepo(1, 'pitr');
    repo2 = await createRepo(2, 'pitr');
  });
  afterAll(async () => {
    for (const c of [primary, ...restored]) {
      if (c) await docker().getContainer(c.getId()).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const r of [repo1, repo2]) if (r && !(r === repo1 && repo1Deleted)) await deleteRepo(r).catch(() => undefined);
  });

  it('archives WAL to both encrypted repositories; full and incremental backups pass check and verify; no plaintext reaches a repository', async () => {
    primary = await startArchivingPostgres([repo1, repo2], PASSWORD, 'test');
    await pgbackrest(primary, ['stanza-create']);
    await sql(primary, `CREATE TABLE marks (batch int NOT NULL, n int NOT NULL, note text, at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (batch, n))`);
    await sql(primary, 'CREATE TABLE heartbeat (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await sql(primary, 'INSERT INTO marks (batch, n, note) VALUES (0, 0, $1)', [marker]);
    await pgbackrest(primary, ['check']);
    for (const repo of [1, 2]) await pgbackrest(primary, [`--repo=${repo}`, '--type=full', 'backup']);
    await insertBatch(primary, 1);
    for (const repo of [1, 2]) await pgbackrest(primary, [`--repo=${repo}`, '--type=incr', 'backup']);
    for (const repo of [1, 2]) await pgbackrest(primary, [`--repo=${repo}`, 'verify']);

    const info = JSON.parse(await pgbackrest(primary, ['--output=json', 'info'])) as Array<{ backup: Array<{ type: string; database: { 'repo-key': number } }> }>;
    const kinds = (info[0]?.backup ?? []).map((b) => `repo${b.database['repo-key']}:${b.type}`).sort();
    expect(kinds).toEqual(['repo1:full', 'repo1:incr', 'repo2:full', 'repo2:incr']);

    // Positive control: the marker is findable in plain Postgres files, so the scan below can fail.
    const grep = (paths: string[]) => primary!.exec(['grep', '-rlF', '--binary-files=text', marker, ...paths]);
    await sql(primary, 'CHECKPOINT');
    const inData = await grep([DATA_DIR]);
    expect(inData.exitCode, 'the marker must be visible in the unencrypted data directory').toBe(0);
    const files = await primary.exec(['sh', '-c', `find ${repo1.path} ${repo2.path} -type f | wc -l`]);
    expect(Number(files.output.trim()), 'the repositories hold backup and WAL files').toBeGreaterThan(10);
    const inRepos = await grep([repo1.path, repo2.path]);
    expect(inRepos.exitCode, `plaintext marker found in repository files:\n${inRepos.output}`).toBe(1);
  });

  it('point-in-time recovery from repo1 restores exactly the rows committed before the target time', async () => {
    if (!primary) throw new Error('the backup scenario did not run');
    const heartbeat = startHeartbeat(primary, 120);
    await insertBatch(primary, 2);
    await sleep(1_500);
    targetTime = (await sql<{ t: string }>(primary, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
    await sleep(1_500);
    await insertBatch(primary, 3);
    const [{ lsn }] = (await sql<{ lsn: string }>(primary, 'SELECT pg_walfile_name(pg_current_wal_lsn()) AS lsn')) as [{ lsn: string }];
    // No pg_switch_wal: archive_timeout alone must get batch 3 (and later heartbeats) to the repositories.
    await waitFor(
      `WAL segment ${lsn} archived`,
      async () => {
        const rows = await sql<{ w: string | null }>(primary!, 'SELECT last_archived_wal AS w FROM pg_stat_archiver');
        const archived = rows[0]?.w;
        return archived && archived.slice(8) >= lsn.slice(8) ? true : undefined;
      },
      { timeoutMs: (profile('test').backup.archiveTimeoutSeconds + 20) * 1000, intervalMs: 500 },
    );
    // Near the worst case: the disaster strikes shortly before archive_timeout would switch the next segment.
    await sleep(profile('test').backup.archiveTimeoutSeconds * 900);
    // Disaster: the server dies and its data directory is gone.
    disasterAt = Date.now();
    await heartbeat.stop();
    await docker().getContainer(primary.getId()).remove({ force: true, v: true });
    primary = undefined;

    const t0 = performance.now();
    const pitr = await startRestoredPostgres([repo1, repo2], ['--repo=1', '--type=time', `--target=${targetTime}`, '--target-action=promote']);
    restored.push(pitr);
    const restoreSeconds = seconds(t0, performance.now());

    const rows = await sql<{ batch: number; n: number }>(pitr, 'SELECT batch, n FROM marks WHERE batch > 0');
    const got = new Set(rows.map((r) => `${r.batch}/${r.n}`));
    const expected = new Set<string>();
    for (const batch of [1, 2]) for (let n = 1; n <= ROWS_PER_BATCH; n++) expected.add(`${batch}/${n}`);
    const missing = [...expected].filter((k) => !got.has(k));
    const extra = [...got].filter((k) => !expected.has(k));
    const mismatches = recordResult({
      id: 'pitr.row_mismatches',
      value: missing.length + extra.length,
      unit: 'rows',
      target: targets.pitr.rowMismatches,
      note: `target ${targetTime}; ${missing.length} missing, ${extra.length} unexpected of ${expected.size} expected`,
    });
    recordResult({ id: 'pitr.restore_seconds', value: restoreSeconds, unit: 's', note: 'fresh container: pgbackrest restore --type=time from repo1, WAL replay to the target, promote' });
    expect(mismatches.pass, `missing ${missing.slice(0, 10).join(', ')}; unexpected ${extra.slice(0, 10).join(', ')}`).toBe(true);
    expect((await sql<{ note: string }>(pitr, 'SELECT note FROM marks WHERE batch = 0'))[0]?.note).toBe(marker);
    expect(await collect(pitr), 'Postgres reports stopping at the recovery target').toMatch(/recovery stopping before commit/);
  });

  it('after repo1 is deleted, the off-site repo2 alone restores the newest archived state within the RPO target', async () => {
    if (!disasterAt) throw new Error('the PITR scenario did not run');
    for (const c of restored.splice(0)) await docker().getContainer(c.getId()).remove({ force: true, v: true });
    await deleteRepo(repo1);
    repo1Deleted = true;
    await expect(docker().getVolume(repo1.volume).inspect(), 'repo1 must be gone').rejects.toThrow();

    const t0 = performance.now();
    const offsite = await startRestoredPostgres([repo2], ['--repo=2']);
    restored.push(offsite);
    const restoreSeconds = seconds(t0, performance.now());
    const [counts] = await sql<{ b1: string; b2: string; b3: string; newest: Date; beats: string }>(
      offsite,
      `SELECT count(*) FILTER (WHERE batch = 1) AS b1, count(*) FILTER (WHERE batch = 2) AS b2, count(*) FILTER (WHERE batch = 3) AS b3,
              (SELECT max(at) FROM heartbeat) AS newest, (SELECT count(*) FROM heartbeat) AS beats FROM marks`,
    );
    expect(counts, 'every batch archived before the disaster is restored from repo2').toMatchObject({ b1: String(ROWS_PER_BATCH), b2: String(ROWS_PER_BATCH), b3: String(ROWS_PER_BATCH) });
    const newest = counts!.newest;
    const rpoSeconds = Number(((disasterAt - newest.getTime()) / 1000).toFixed(2));
    const rpo = recordResult({
      id: 'backup.rpo_seconds',
      value: rpoSeconds,
      unit: 's',
      target: targets.backup.rpoSeconds,
      note: `newest restored heartbeat ${newest.toISOString()}, disaster ${new Date(disasterAt).toISOString()}; archive_timeout ${profile('test').backup.archiveTimeoutSeconds} s; restored from repo2 only`,
    });
    recordResult({ id: 'backup.offsite_restore_seconds', value: restoreSeconds, unit: 's', note: 'repo1 deleted; pgbackrest restore --repo=2 to the end of the archive' });
    expect(rpo.pass, `newest restorable point was ${rpoSeconds} s old at the disaster`).toBe(true);
  });
});

async function collect(c: StartedTestContainer): Promise<string> {
  const buffer = await docker().getContainer(c.getId()).logs({ stdout: true, stderr: true, tail: 500 });
  return buffer.toString('utf8');
}
