import { afterEach, describe, expect, it } from 'vitest';
import { Db } from '../../src/shared/db.ts';
import { Deadline } from '../../src/shared/deadline.ts';
import { classify, CommitOutcomeUnknownError } from '../../src/shared/transient.ts';
import { startFakePostgres, type FakeAnswer, type FakePostgres } from '../support/fake-postgres.ts';
import { metric } from '../support/metrics.ts';
import { freshMetrics, quietLog } from '../support/quiet.ts';

const servers: FakePostgres[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  await Promise.allSettled(dbs.splice(0).map((db) => db.close()));
  await Promise.allSettled(servers.splice(0).map((s) => s.close()));
});

async function fake(answer: (sql: string) => FakeAnswer): Promise<FakePostgres> {
  const server = await startFakePostgres(answer);
  servers.push(server);
  return server;
}

function db(writeUrl: string, readUrl = writeUrl) {
  const metrics = freshMetrics();
  const instance = new Db({ writeUrl, readUrl, poolSize: 2, connectTimeoutMs: 1_000, statementTimeoutMs: 3_000, attempts: 3, slowQuerySeconds: 10, metrics, log: quietLog });
  dbs.push(instance);
  return { db: instance, metrics };
}

const elapsed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  const outcome = await run().then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );
  return { ...outcome, ms: performance.now() - started };
};

describe('Db: a hung server is waited out once, by the deadline, and its connection destroyed', () => {
  it('a statement on a hung primary fails at the deadline, the connection is destroyed and never sent ROLLBACK', async () => {
    const server = await fake((sql) => (sql.startsWith('INSERT') ? 'hang' : 'ok'));
    const { db: d, metrics } = db(server.url);
    const result = await elapsed(() => d.transaction('order_insert', (tx) => tx.query('INSERT INTO orders DEFAULT VALUES'), { deadline: Deadline.after(400) }));
    expect(result.error, 'the write fails').toBeDefined();
    expect(classify(result.error)).toMatchObject({ class: 'transient', reason: 'read-timeout', discardConnection: true });
    expect(result.ms, 'one wait, not two (no ROLLBACK on the hung connection)').toBeLessThan(700);
    expect(server.queries.map((q) => q.sql)).toEqual(['BEGIN', 'INSERT INTO orders DEFAULT VALUES']);
    await expect.poll(() => server.closed, { timeout: 2_000 }).toBe(1);
    expect(metric(await metrics.register.metrics(), 'db_connections_discarded_total', { reason: 'read-timeout' })).toBe(1);
  });

  it('a COMMIT that gets no answer is an unknown outcome: no retry, no ROLLBACK', async () => {
    const server = await fake((sql) => (sql === 'COMMIT' ? 'hang' : 'ok'));
    const { db: d } = db(server.url);
    const result = await elapsed(() => d.transaction('order_insert', (tx) => tx.query('INSERT INTO orders DEFAULT VALUES'), { deadline: Deadline.after(400) }));
    expect(result.error).toBeInstanceOf(CommitOutcomeUnknownError);
    expect(server.queries.map((q) => q.sql)).toEqual(['BEGIN', 'INSERT INTO orders DEFAULT VALUES', 'COMMIT']);
    expect(result.ms).toBeLessThan(700);
  });

  it('an error the server answers rolls back on the same connection, which is reused', async () => {
    const server = await fake((sql) => (sql.startsWith('INSERT') ? { error: '23505', message: 'duplicate key' } : 'ok'));
    const { db: d } = db(server.url);
    for (let i = 0; i < 2; i++) {
      const result = await elapsed(() => d.transaction('user_insert', (tx) => tx.query('INSERT INTO users DEFAULT VALUES'), { deadline: Deadline.after(2_000) }));
      expect((result.error as { code?: string }).code).toBe('23505');
    }
    expect(server.queries.filter((q) => q.sql === 'ROLLBACK')).toHaveLength(2);
    expect(server.opened, 'one connection for both transactions').toBe(1);
  });

  it('a transaction whose connection is refused is retried within the budget and answered before the deadline', async () => {
    const server = await fake(() => 'ok');
    const url = server.url;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const { db: d } = db(url);
    const result = await elapsed(() => d.transaction('order_insert', (tx) => tx.query('SELECT 1'), { deadline: Deadline.after(1_500) }));
    expect(classify(result.error).reason).toBe('socket-econnrefused');
    expect(result.ms).toBeLessThan(1_600);
  });

  it('a read on a hung replica falls back to the primary once, within the budget (half of it for the replica)', async () => {
    const replica = await fake(() => 'hang');
    const primary = await fake(() => 'ok');
    const { db: d, metrics } = db(primary.url, replica.url);
    const result = await elapsed(() => d.readWithFallback('order_by_id', 'SELECT 1', [], { deadline: Deadline.after(1_000) }));
    expect(result.error).toBeUndefined();
    expect((result.value as { path: string }).path).toBe('primary');
    expect(result.ms).toBeGreaterThanOrEqual(450);
    expect(result.ms).toBeLessThan(900);
    expect(metric(await metrics.register.metrics(), 'db_read_fallbacks_total', { operation: 'order_by_id' })).toBe(1);
  });

  it('a healthy replica answers the read itself', async () => {
    const replica = await fake(() => 'ok');
    const primary = await fake(() => 'ok');
    const { db: d } = db(primary.url, replica.url);
    const { path } = await d.readWithFallback('order_by_id', 'SELECT 1', [], { deadline: Deadline.after(1_000) });
    expect(path).toBe('replica');
    expect(primary.queries).toEqual([]);
  });
});
