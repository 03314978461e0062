import pg from 'pg';
import { Deadline, DeadlineExceededError } from './deadline.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { backoffMs, sleep } from './retry.ts';
import { classify, CommitOutcomeUnknownError } from './transient.ts';

export type PoolName = 'write' | 'read';
/** Which path answered a read: the read endpoint, or the write endpoint after the read path failed. */
export type ReadPath = 'replica' | 'primary';

export interface DbOptions {
  writeUrl: string;
  readUrl: string;
  poolSize: number;
  /** ms to open a connection (budgets.db.connectTimeoutMs / budgets.worker.connectTimeoutMs). */
  connectTimeoutMs: number;
  /** ms server-side statement_timeout; the client's read timeout is this plus a grace, or the deadline when nearer. */
  statementTimeoutMs: number;
  /** Attempts of a call while nothing was committed (budgets.db.attempts). */
  attempts: number;
  slowQuerySeconds: number;
  metrics: Metrics;
  log: Logger;
}

export interface CallOptions {
  /** The request's deadline; every connect and statement takes its timeout from it. */
  deadline?: Deadline;
  attempts?: number;
}

/** The statement runner a transaction's work receives: timeouts come from the call's deadline. */
export interface Tx {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** ms the client waits beyond statement_timeout, so the server's own cancel (57014, connection reusable) normally comes first. */
const READ_TIMEOUT_GRACE_MS = 500;
/** A new attempt needs at least this much budget left, and so does COMMIT (less → abort: a safe retry, not an ambiguous one). */
const MIN_ATTEMPT_MS = 250;
const MIN_COMMIT_MS = 100;
/** ROLLBACK on a healthy connection; if it takes longer, the connection is destroyed instead. */
const ROLLBACK_TIMEOUT_MS = 1_000;

/**
 * Two pg pools — writes to the primary (or the HA write endpoint), reads to a replica (or the read
 * endpoint). Every connect and statement has a timeout from the caller's deadline; a connection
 * that saw a connection-level error or a read timeout is destroyed (never sent ROLLBACK: on a hung
 * server that doubles the wait); calls are retried while nothing was committed and the budget allows.
 */
export class Db {
  readonly write: pg.Pool;
  readonly read: pg.Pool;
  private readonly readTimeoutCapMs: number;

  constructor(private readonly o: DbOptions) {
    this.readTimeoutCapMs = o.statementTimeoutMs + READ_TIMEOUT_GRACE_MS;
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

  /** One statement that is safe to repeat (a read, or an idempotent write), retried on transient errors. */
  async query<R extends pg.QueryResultRow>(pool: PoolName, operation: string, text: string, values: unknown[] = [], options: CallOptions = {}): Promise<pg.QueryResult<R>> {
    const deadline = options.deadline ?? Deadline.none();
    return this.retrying(pool, operation, options.attempts ?? this.o.attempts, deadline, () => this.once<R>(pool, operation, text, values, deadline));
  }

  /**
   * A read on the read path; when that fails transiently it falls back to the primary path once.
   * The read path gets half of the remaining budget, so the fallback always has the other half.
   */
  async readWithFallback<R extends pg.QueryResultRow>(operation: string, text: string, values: unknown[] = [], options: CallOptions = {}): Promise<{ result: pg.QueryResult<R>; path: ReadPath }> {
    const deadline = options.deadline ?? Deadline.none();
    if (this.read === this.write) return { result: await this.query<R>('write', operation, text, values, { deadline }), path: 'primary' };
    try {
      return { result: await this.query<R>('read', operation, text, values, { deadline: deadline.within(deadline.remaining() / 2), attempts: 1 }), path: 'replica' };
    } catch (error) {
      const c = classify(error);
      if (c.class !== 'transient') throw error;
      this.o.metrics.readFallbacks.inc({ operation });
      this.o.log.warn({ operation, reason: c.reason }, 'read path failed, falling back to the primary once');
      return { result: await this.query<R>('write', operation, text, values, { deadline, attempts: 1 }), path: 'primary' };
    }
  }

  /**
   * Runs `work` in a transaction on the write pool. Retried (within the budget) when it failed
   * before COMMIT was sent. When COMMIT was sent and no answer came, the outcome is unknown:
   * {@link CommitOutcomeUnknownError}, never retried here — an Idempotency-Key resolves it.
   */
  async transaction<T>(operation: string, work: (tx: Tx) => Promise<T>, options: CallOptions = {}): Promise<T> {
    const deadline = options.deadline ?? Deadline.none();
    return this.retrying('write', operation, options.attempts ?? this.o.attempts, deadline, async () => {
      const client = await this.connect('write', deadline);
      const tx: Tx = {
        query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
          client.query<R>({ text, values: values ?? [], query_timeout: deadline.timeoutFor(operation, this.readTimeoutCapMs) } as pg.QueryConfig),
      };
      let discard: unknown;
      try {
        await tx.query('BEGIN');
        const result = await this.timed('write', operation, () => work(tx));
        if (deadline.remaining() < MIN_COMMIT_MS) throw new DeadlineExceededError(`${operation} COMMIT`);
        const commitTimeout = deadline.timeoutFor(`${operation} COMMIT`, this.readTimeoutCapMs);
        try {
          await client.query({ text: 'COMMIT', query_timeout: commitTimeout } as pg.QueryConfig);
        } catch (error) {
          // The server answered with an error: the transaction is aborted, the outcome is known.
          if (!classify(error).discardConnection) throw error;
          discard = error;
          throw new CommitOutcomeUnknownError(error);
        }
        return result;
      } catch (error) {
        if (discard === undefined) discard = await this.rollbackOrDiscard(client, error, deadline);
        throw error;
      } finally {
        this.release(client, 'write', discard);
      }
    });
  }

  /** ROLLBACK on a connection that answered; `undefined` when it can be reused, else the reason to destroy it. */
  private async rollbackOrDiscard(client: pg.PoolClient, error: unknown, deadline: Deadline): Promise<unknown> {
    if (classify(error).discardConnection || deadline.remaining() <= 0) return error;
    try {
      await client.query({ text: 'ROLLBACK', query_timeout: Math.min(ROLLBACK_TIMEOUT_MS, Math.max(1, deadline.remaining())) } as pg.QueryConfig);
      return undefined;
    } catch (rollbackError) {
      return rollbackError;
    }
  }

  private release(client: pg.PoolClient, pool: PoolName, discard: unknown): void {
    if (discard === undefined) return client.release();
    this.o.metrics.connectionsDiscarded.inc({ pool, reason: classify(discard).reason });
    // release(error) makes the pool end the client; with a query still outstanding pg destroys the socket.
    client.release(discard instanceof Error ? discard : new Error(String(discard)));
  }

  private async once<R extends pg.QueryResultRow>(pool: PoolName, operation: string, text: string, values: unknown[], deadline: Deadline): Promise<pg.QueryResult<R>> {
    const client = await this.connect(pool, deadline);
    let discard: unknown;
    try {
      const queryTimeout = deadline.timeoutFor(operation, this.readTimeoutCapMs);
      return await this.timed(pool, operation, () => client.query<R>({ text, values, query_timeout: queryTimeout } as pg.QueryConfig));
    } catch (error) {
      if (classify(error).discardConnection) discard = error;
      throw error;
    } finally {
      this.release(client, pool, discard);
    }
  }

  /** A pooled connection within the deadline; a connect that outlives the deadline is released when it lands. */
  private async connect(pool: PoolName, deadline: Deadline): Promise<pg.PoolClient> {
    const ms = deadline.timeoutFor(`${pool} connect`, this.o.connectTimeoutMs);
    const pending = this.poolOf(pool).connect();
    if (ms >= this.o.connectTimeoutMs) return pending;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DeadlineExceededError(`${pool} connect`)), ms);
        }),
      ]);
    } catch (error) {
      pending.then((client) => client.release(), () => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async retrying<T>(pool: PoolName, operation: string, attempts: number, deadline: Deadline, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        const c = classify(error);
        const delay = backoffMs(attempt, 100, 1_000);
        const again =
          c.class === 'transient' && !(error instanceof CommitOutcomeUnknownError) && c.reason !== 'deadline' && attempt < attempts && deadline.remaining() > delay + MIN_ATTEMPT_MS;
        if (!again) {
          if (c.class === 'transient') this.o.metrics.errors.inc({ kind: 'dependency' });
          throw error;
        }
        this.o.log.warn({ pool, operation, attempt, reason: c.reason, err: error }, 'database call failed, retrying');
        await sleep(delay);
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
  async replicationLagSeconds(timeoutMs: number): Promise<number> {
    const { rows } = await this.query<{ lag: string | null }>(
      'read',
      'replication_lag',
      `SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                   WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   ELSE GREATEST(0, EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())) END AS lag`,
      [],
      { deadline: Deadline.after(timeoutMs), attempts: 1 },
    );
    return Number(rows[0]?.lag ?? 0);
  }

  /** One `SELECT 1` within `timeoutMs`; a hung connection is destroyed, not left checked out. */
  async ping(pool: PoolName, timeoutMs: number): Promise<void> {
    await this.query(pool, 'ping', 'SELECT 1', [], { deadline: Deadline.after(timeoutMs), attempts: 1 });
  }

  async close(): Promise<void> {
    await this.write.end();
    if (this.read !== this.write) await this.read.end();
  }
}
