import pg from 'pg';
import { docker } from '../../core/docker/engine.ts';
import { DATA_DIR, PATRONI_PORT, PG_PORT } from './patroni-config.ts';

export const HOST = '127.0.0.1';

/** What a member needs of its container: testcontainers' started handle, or one for a container it did not start. */
export interface MemberContainer {
  getId(): string;
  exec(command: string[], options: { user?: string }): Promise<{ exitCode: number; output: string }>;
}

/** A Patroni member container, reached from the host through its published ports (re-read after restarts). */
export class PostgresMember {
  constructor(
    readonly name: string,
    readonly container: MemberContainer,
    private readonly password: string,
  ) {}

  get id(): string {
    return this.container.getId();
  }

  private get handle() {
    return docker().getContainer(this.id);
  }

  async state(): Promise<{ running: boolean; paused: boolean }> {
    const info = await this.handle.inspect();
    return { running: info.State.Running, paused: info.State.Paused };
  }

  /** Host port published for a container port, or undefined while the container is not running. */
  async hostPort(containerPort: number): Promise<number | undefined> {
    const info = await this.handle.inspect();
    const bindings = info.NetworkSettings.Ports?.[`${containerPort}/tcp`] ?? [];
    const binding = bindings.find((b) => b.HostIp === '0.0.0.0') ?? bindings[0];
    return binding ? Number(binding.HostPort) : undefined;
  }

  async clientConfig(overrides: pg.ClientConfig = {}): Promise<pg.ClientConfig> {
    const port = await this.hostPort(PG_PORT);
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
    const port = await this.hostPort(PATRONI_PORT).catch(() => undefined);
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

  async exec(command: string[], user = 'root'): Promise<{ exitCode: number; output: string }> {
    const result = await this.container.exec(command, { user });
    return { exitCode: result.exitCode, output: result.output };
  }

  /** The container's log, optionally only lines since a unix time in seconds (it survives restarts). */
  async logs(tail = 200, sinceUnixSeconds?: number): Promise<string> {
    const buffer = await this.handle.logs({ stdout: true, stderr: true, tail, ...(sinceUnixSeconds ? { since: sinceUnixSeconds } : {}) });
    return buffer.toString('utf8');
  }

  // Fault verbs -------------------------------------------------------------------------------

  /** SIGKILL the whole member: Patroni and Postgres die at once, as in a node loss. */
  async kill(): Promise<void> {
    await this.handle.kill({ signal: 'SIGKILL' });
  }

  /** SIGKILL the postmaster only; Patroni stays alive and must notice. */
  async crashPostgres(): Promise<void> {
    const result = await this.exec(['sh', '-c', `kill -9 "$(head -1 ${DATA_DIR}/postmaster.pid)"`]);
    if (result.exitCode !== 0) throw new Error(`could not crash Postgres on ${this.name}: ${result.output}`);
  }

  /** Graceful stop: Patroni shuts Postgres down and releases the leader key. */
  async stop(timeoutSeconds = 30): Promise<void> {
    await this.handle.stop({ t: timeoutSeconds });
  }

  /** Freeze every process of the member (cgroup freezer); connections stay open but nothing answers. */
  async pause(): Promise<void> {
    await this.handle.pause();
  }

  async unpause(): Promise<void> {
    await this.handle.unpause();
  }

  /** Start a stopped or killed member again, or unfreeze a paused one. */
  async restart(): Promise<void> {
    const { running, paused } = await this.state();
    if (paused) return this.unpause();
    if (running) {
      await this.handle.restart({ t: 30 });
      return;
    }
    await this.handle.start();
  }
}
