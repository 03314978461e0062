import pg from 'pg';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { backoffMs, isConnectionError, sleep } from './retry.ts';

export type PoolName = 'write' | 'read';

export interface DbOptions {
  writeUrl: string;
  readUrl: string;
  poolSize: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  slowQuerySeconds: number;
  metrics: Metrics;
  log: Logger;
}

/** Serialization/deadlock failures: the transaction can simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/**
 * Two pg pools — writes to the primary (or the HA write endpoint), reads to a replica (or the read
 * endpoint) — with a timeout on every statement, per-operation timing, and retries on connection
 * errors so that a failover is ridden out without a restart: a broken connection is discarded by
 * the pool and the next attempt connects to whatever the endpoint now points at.
 */
export class Db {
  readonly write: pg.Pool;
  readonly read: pg.Pool;

  constructor(private readonly o: DbOptions) {
    this.write = this.pool('write', o.writeUrl);
    this.read = o.readUrl === o.writeUrl ? this.write : this.pool('read', o.readUrl);
    o.metrics.connectionsMax.set({ pool: 'write' }, o.poolSize);
    o.metrics.connectionsMax.set({ pool: 'read' }, o.poolSize);
  }

  private pool(name: PoolName, connectionString: string): pg.Pool {
    const pool = new pg.Pool({
      connectionString,
      max: this.o.poolSize,
      connectionTimeoutMillis: this.o.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: this.o.statementTimeoutMs,
      query_timeout: this.o.statementTimeoutMs + 1_000,
      keepAlive: true,
      application_name: `sample-app-${name}`,
    });
    // A client losing its server (failover, restart) must not crash the process: idle clients report
    // through the pool, checked-out clients between two queries through their own 'error' event.
    pool.on('error', (error) => this.o.log.warn({ err: error, pool: name }, 'idle database connection lost'));
    pool.on('connect', (client) => {
      client.on('error', (error) => this.o.log.warn({ err: error, pool: name }, 'database connection lost'));
    });
    return pool;
  }

  /** Updates connections_used; called before each scrape. */
  sampleConnections(): void {
    const used = (p: pg.Pool) => p.totalCount - p.idleCount;
    this.o.metrics.connectionsUsed.set({ pool: 'write' }, used(this.write));
    this.o.metrics.connectionsUsed.set({ pool: 'read' }, this.read === this.write ? 0 : used(this.read));
  }

  /**
   * Runs one idempotent statement (a read, or a write that is safe to repeat), retrying on
   * connection errors with backoff.
   */
  async query<R extends pg.QueryResultRow>(pool: PoolName, operation: string, text: string, values: unknown[] = [], attempts = 3): Promise<pg.QueryResult<R>> {
    return this.retrying(pool, operation, attempts, () => this.timed(pool, operation, () => this.poolOf(pool).query<R>(text, values)));
  }

  /**
   * Runs `work` in a transaction on the write pool. Retried when the connection could not be
   * obtained or broke before COMMIT was sent (nothing was committed), and on serialization failures.
   * A failure during COMMIT itself is not retried: the outcome is unknown and the caller gets a 503.
   */
  async transaction<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>, attempts = 3): Promise<T> {
    return this.retrying('write', operation, attempts, async () => {
      const client = await this.write.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await this.timed('write', operation, () => work(client));
        await client.query('COMMIT').catch((error: unknown) => {
          broken = true;
          throw new CommitUnknownError(error);
        });
        return result;
      } catch (error) {
        if (!(error instanceof CommitUnknownError)) {
          broken = isConnectionError(error);
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
        }
        throw error;
      } finally {
        client.release(broken);
      }
    });
  }

  private async retrying<T>(pool: PoolName, operation: string, attempts: number, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        const retryable = !(error instanceof CommitUnknownError) && (isConnectionError(error) || RETRYABLE_SQLSTATES.has(code));
        if (!retryable || attempt >= attempts) {
          if (isConnectionError(error) || error instanceof CommitUnknownError) this.o.metrics.errors.inc({ kind: 'dependency' });
          throw error;
        }
        this.o.log.warn({ pool, operation, attempt, code, err: error }, 'database call failed, retrying');
        await sleep(backoffMs(attempt, 100, 1_000));
      }
    }
  }

  private async timed<T>(pool: PoolName, operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.o.metrics.queryDuration.observe({ pool, operation }, seconds);
      if (seconds >= this.o.slowQuerySeconds) {
        this.o.metrics.slowQueries.inc({ pool, operation });
        this.o.log.warn({ pool, operation, seconds }, 'slow query');
      }
    }
  }

  private poolOf(name: PoolName): pg.Pool {
    return name === 'write' ? this.write : this.read;
  }

  /** Seconds the read endpoint lags behind (0 on a primary, or when fully replayed). */
  async replicationLagSeconds(): Promise<number> {
    const { rows } = await this.timed('read', 'replication_lag', () =>
      this.read.query<{ lag: string | null }>(
        `SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())) END AS lag`,
      ),
    );
    return Number(rows[0]?.lag ?? 0);
  }

  async ping(pool: PoolName, timeoutMs: number): Promise<void> {
    const target = this.poolOf(pool);
    await withDeadline(target.query('SELECT 1'), timeoutMs, `${pool} database did not answer`);
  }

  async close(): Promise<void> {
    await this.write.end();
    if (this.read !== this.write) await this.read.end();
  }
}

export class CommitUnknownError extends Error {
  constructor(cause: unknown) {
    super(`COMMIT failed, outcome unknown: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
