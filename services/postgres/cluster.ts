import pg from 'pg';
import { waitFor } from '../../src/core/poll.ts';
import type { Profile } from '../../src/core/profiles.ts';
import type { StackHandle } from '../../src/core/spec.ts';
import { HOST, PostgresMember } from './member.ts';
import { synchronousOption } from './spec.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export type MemberRole = 'primary' | 'sync_standby' | 'replica' | 'down';

interface PatroniClusterMember {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
}

export interface PostgresCluster {
  /** The stack's timing profile: Patroni's lease and loop, HAProxy's checks. */
  readonly profile: Profile;
  /** Patroni synchronous_mode as last set: a commit is acknowledged only once a standby has it. */
  readonly synchronous: boolean;
  readonly members: PostgresMember[];
  readonly password: string;
  /** HAProxy's published port to the current primary. */
  readonly write: Endpoint;
  /** HAProxy's published port to the replicas (round robin). */
  readonly read: Endpoint;
  member(name: string): PostgresMember;
  clientConfig(endpoint: Endpoint, overrides?: pg.ClientConfig): pg.ClientConfig;
  /**
   * One connection for `run`, always closed after it: HAProxy may cut it during a fault, so its 'error'
   * event is absorbed and the failure surfaces as the rejected query. Throws what connect or `run` throws.
   */
  withClient<T>(endpoint: Endpoint, run: (client: pg.Client) => Promise<T>, overrides?: pg.ClientConfig): Promise<T>;
  /** Each member's role as Patroni's DCS view reports it; members missing from it are `down`. */
  roles(): Promise<Record<string, MemberRole>>;
  /** The member holding the leader key once exactly one does. */
  primary(timeoutMs?: number): Promise<PostgresMember>;
  /** All members streaming from one primary (with a sync standby in synchronous mode) and HAProxy routing writes to it. */
  waitHealthy(timeoutMs?: number): Promise<PostgresMember>;
  /** Whether the write port reaches a primary now (pg_is_in_recovery() false; connect 1 s, query 2 s); rejects when it cannot connect or query. */
  writable(): Promise<boolean>;
  /** Undo a kill, stop, pause or isolate of a member (the member's instance handle holds the verbs themselves). */
  restart(name: string): Promise<void>;
  /** Patroni REST switchover from the current leader to `to` (or any healthy replica). */
  switchover(to?: string): Promise<{ from: string; to: string }>;
  /** Change synchronous_mode at run time through Patroni's dynamic configuration. */
  setSynchronous(enabled: boolean): Promise<void>;
}

/**
 * The Postgres HA handle over a stack's Patroni members and HAProxy: the same object for a suite's
 * ephemeral stack and for the `refstack up` environment.
 */
export async function postgresCluster(stack: StackHandle): Promise<PostgresCluster> {
  const proxy = stack.first('haproxy');
  return new Cluster({
    members: stack.instances('postgres').map((i) => new PostgresMember(i, stack.secrets.postgresSuperuser)),
    password: stack.secrets.postgresSuperuser,
    profile: stack.profile,
    synchronous: synchronousOption(stack.option('postgres.synchronous')),
    write: { host: HOST, port: await proxy.hostPort('write') },
    read: { host: HOST, port: await proxy.hostPort('read') },
  });
}

interface ClusterInit {
  members: PostgresMember[];
  password: string;
  profile: Profile;
  synchronous: boolean;
  write: Endpoint;
  read: Endpoint;
}

class Cluster implements PostgresCluster {
  readonly profile: Profile;
  synchronous: boolean;
  readonly members: PostgresMember[];
  readonly password: string;
  readonly write: Endpoint;
  readonly read: Endpoint;

  constructor(init: ClusterInit) {
    this.profile = init.profile;
    this.synchronous = init.synchronous;
    this.members = init.members;
    this.password = init.password;
    this.write = init.write;
    this.read = init.read;
  }

  member(name: string): PostgresMember {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no member "${name}" in this cluster (members: ${this.members.map((m) => m.name).join(', ')})`);
    return found;
  }

  clientConfig(endpoint: Endpoint, overrides: pg.ClientConfig = {}): pg.ClientConfig {
    return { host: endpoint.host, port: endpoint.port, user: 'postgres', password: this.password, database: 'postgres', ...overrides };
  }

  async withClient<T>(endpoint: Endpoint, run: (client: pg.Client) => Promise<T>, overrides: pg.ClientConfig = {}): Promise<T> {
    const client = new pg.Client(this.clientConfig(endpoint, overrides));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await run(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Patroni's /cluster view, asked of each member in turn until one answers. */
  private async dcsView(): Promise<PatroniClusterMember[] | undefined> {
    for (const m of this.members) {
      const answer = await m.rest<{ members?: PatroniClusterMember[] }>('/cluster', {}, 1_000);
      if (answer?.status === 200 && Array.isArray(answer.body.members)) return answer.body.members;
    }
    return undefined;
  }

  async roles(): Promise<Record<string, MemberRole>> {
    const view = (await this.dcsView()) ?? [];
    const roles: Record<string, MemberRole> = {};
    for (const m of this.members) {
      const entry = view.find((v) => v.name === m.name);
      // Patroni reports a healthy replica as `running` or, in later releases, `streaming`.
      roles[m.name] = !entry || (entry.state !== 'running' && entry.state !== 'streaming') ? 'down' : toRole(entry.role);
    }
    return roles;
  }

  async primary(timeoutMs = 60_000): Promise<PostgresMember> {
    return waitFor(
      'exactly one Patroni leader',
      async () => {
        const leaders = Object.entries(await this.roles()).filter(([, role]) => role === 'primary');
        return leaders.length === 1 ? this.member(leaders[0]![0]) : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  async waitHealthy(timeoutMs = 90_000): Promise<PostgresMember> {
    const expectedReplicas = this.members.length - 1;
    return waitFor(
      `a healthy cluster (1 primary, ${expectedReplicas} streaming replicas${this.synchronous ? ', a sync standby' : ''}, HAProxy routing writes)`,
      async () => {
        const roles = await this.roles();
        const leaders = Object.keys(roles).filter((n) => roles[n] === 'primary');
        if (leaders.length !== 1) return undefined;
        if (this.synchronous && !Object.values(roles).includes('sync_standby')) return undefined;
        if (Object.values(roles).includes('down')) return undefined;
        const primary = this.member(leaders[0]!);
        const streaming = await primary.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_replication WHERE state = 'streaming'",
        );
        if (Number(streaming[0]?.n) !== expectedReplicas) return undefined;
        return (await this.writable()) ? primary : undefined;
      },
      { timeoutMs, intervalMs: 300 },
    );
  }

  async writable(): Promise<boolean> {
    return this.withClient(this.write, async (c) => (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false, { connectionTimeoutMillis: 1_000, query_timeout: 2_000 });
  }

  /** Reattaches, unfreezes or starts the member, whatever fault it is under. */
  async restart(name: string): Promise<void> {
    await this.member(name).instance.recover();
  }

  async switchover(to?: string): Promise<{ from: string; to: string }> {
    const leader = await this.primary();
    const roles = await this.roles();
    // In synchronous mode Patroni only accepts the sync standby as candidate.
    const candidate =
      to ??
      Object.keys(roles).find((n) => roles[n] === 'sync_standby') ??
      Object.keys(roles).find((n) => n !== leader.name && roles[n] === 'replica');
    if (!candidate) throw new Error(`no replica to switch over to (roles: ${JSON.stringify(roles)})`);
    if (candidate === leader.name) throw new Error(`${candidate} is already the leader`);
    const answer = await leader.rest<string>(
      '/switchover',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ leader: leader.name, candidate }) },
      60_000,
    );
    if (answer?.status !== 200) throw new Error(`switchover ${leader.name} -> ${candidate} refused: ${answer ? `${answer.status} ${JSON.stringify(answer.body)}` : 'no answer'}`);
    return { from: leader.name, to: candidate };
  }

  async setSynchronous(enabled: boolean): Promise<void> {
    const leader = await this.primary();
    const answer = await leader.rest(
      '/config',
      { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ synchronous_mode: enabled }) },
      10_000,
    );
    if (answer?.status !== 200) throw new Error(`PATCH /config synchronous_mode=${enabled} failed: ${JSON.stringify(answer)}`);
    this.synchronous = enabled;
    // Patroni applies it on its next HA loop: wait until Postgres reflects the change.
    await waitFor(
      `synchronous_standby_names ${enabled ? 'set' : 'cleared'} on ${leader.name}`,
      async () => {
        const rows = await leader.query<{ s: string }>("SELECT current_setting('synchronous_standby_names') AS s");
        return (rows[0]?.s ?? '') !== '' === enabled ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }
}

function toRole(patroniRole: string): MemberRole {
  if (patroniRole === 'leader' || patroniRole === 'master' || patroniRole === 'primary') return 'primary';
  if (patroniRole === 'sync_standby') return 'sync_standby';
  return 'replica';
}
