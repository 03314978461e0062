import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { postgresContainer, type StartedPostgreSqlContainer } from '../../services/postgres/standalone.ts';
import { record as recordResult } from '../../src/testing/record.ts';
import { describeWithDocker } from '../../src/testing/integration.ts';
import { targets } from '../../src/core/targets.ts';

describeWithDocker('smoke: the offline-built postgres image is a drop-in for the official one', () => {
  let started: StartedPostgreSqlContainer | undefined;
  afterAll(async () => started?.stop());

  it('starts through @testcontainers/postgresql with POSTGRES_USER/PASSWORD/DB and answers a query', async () => {
    const t0 = performance.now();
    started = await postgresContainer().withDatabase('smoke').withUsername('refstack').withPassword('s3cret-smoke').start();
    const startSeconds = (performance.now() - t0) / 1000;

    const client = new pg.Client({ connectionString: started.getConnectionUri() });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; usr: string; version: string }>(
        'SELECT current_database() AS db, current_user AS usr, version() AS version',
      );
      expect(rows[0]).toMatchObject({ db: 'smoke', usr: 'refstack' });
      expect(rows[0]?.version).toMatch(/^PostgreSQL 15\./);
      // Password auth is enforced over TCP: a wrong password must be refused.
      const wrong = new pg.Client({ connectionString: started.getConnectionUri().replace('s3cret-smoke', 'wrong') });
      await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await client.end();
    }

    const record = recordResult({
      id: 'smoke.postgres_start_seconds',
      value: Number(startSeconds.toFixed(2)),
      unit: 's',
      target: targets.smoke.postgresStartSeconds,
    });
    expect(record.pass, `postgres took ${startSeconds.toFixed(1)} s to start`).toBe(true);
  });
});
