import pg from 'pg';
import type { InstanceHandle } from '../../src/core/spec.ts';
import { DATA_DIR } from './patroni-config.ts';

export const HOST = '127.0.0.1';

/** A Patroni member: its instance handle, plus Postgres and Patroni REST clients through its published ports. */
export class PostgresMember {
  constructor(
    readonly instance: InstanceHandle,
    private readonly password: string,
  ) {}

  get name(): string {
    return this.instance.name;
  }

  async clientConfig(overrides: pg.ClientConfig = {}): Promise<pg.ClientConfig> {
    const port = await this.instance.hostPort('pg').catch(() => undefined);
    if (!port) throw new Error(`${this.name} has no published Postgres port (is it running?)`);
    return { host: HOST, port, user: 'postgres', password: this.password, database: 'postgres', ...overrides };
  }

  /** Runs one query directly on this member with short timeouts. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], timeoutMs = 3_000): Promise<R[]> {
    const client = new pg.Client(await this.clientConfig({ connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs }));
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Patroni's REST API on this member; undefined when the member does not answer. */
  async rest<T>(path: string, init: RequestInit = {}, timeoutMs = 2_000): Promise<{ status: number; body: T } | undefined> {
    const port = await this.instance.hostPort('rest').catch(() => undefined);
    if (!port) return undefined;
    try {
      const response = await fetch(`http://${HOST}:${port}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // plain-text answers (e.g. a switchover message) stay strings
      }
      return { status: response.status, body: body as T };
    } catch {
      return undefined;
    }
  }

  /** The member's log (it survives restarts), optionally only lines since a unix time in seconds. */
  logs(tail = 200, sinceUnixSeconds?: number): Promise<string> {
    return this.instance.logs({ tail, ...(sinceUnixSeconds ? { sinceUnixSeconds } : {}) });
  }

  /** SIGKILL the postmaster only; Patroni stays alive and must notice (the `crash-postgres` fault). */
  async crashPostgres(): Promise<void> {
    await this.instance.sh(`kill -9 "$(head -1 ${DATA_DIR}/postmaster.pid)"`);
  }
}
