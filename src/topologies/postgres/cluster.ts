import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { docker } from '../../core/docker/engine.ts';
import { runLabels } from '../../core/docker/labels.ts';
import { createNetwork, type LabelledNetwork } from '../../core/docker/network.ts';
import { imageRef } from '../../core/images/catalog.ts';
import { etcdHosts, startEtcdQuorum } from './etcd.ts';
import { HAPROXY_CONFIG_PATH, READ_PORT, STATS_PORT, WRITE_PORT, haproxyConfig } from './haproxy-config.ts';
import { HOST, PostgresMember } from './member.ts';
import { PATRONI_CONFIG_PATH, PATRONI_PORT, PG_PORT, patroniConfig, type ClusterSecrets } from './patroni-config.ts';
import { timingProfile, type TimingName, type TimingProfile } from './timing.ts';
import { waitFor } from '../../core/poll.ts';

export interface PostgresClusterOptions {
  members: 2 | 3;
  /** Patroni synchronous_mode: a commit is acknowledged only once a standby has it. */
  synchronous: boolean;
  timing: TimingName;
}

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
  readonly options: PostgresClusterOptions;
  readonly timing: TimingProfile;
  readonly members: PostgresMember[];
  readonly password: string;
  /** HAProxy's published port to the current primary. */
  readonly write: Endpoint;
  /** HAProxy's published port to the replicas (round robin). */
  readonly read: Endpoint;
  readonly network: string;
  member(name: string): PostgresMember;
  clientConfig(endpoint: Endpoint, overrides?: pg.ClientConfig): pg.ClientConfig;
  /** Each member's role as Patroni's DCS view reports it; members missing from it are `down`. */
  roles(): Promise<Record<string, MemberRole>>;
  /** The member holding the leader key once exactly one does. */
  primary(timeoutMs?: number): Promise<PostgresMember>;
  /** All members streaming from one primary (with a sync standby in synchronous mode) and HAProxy routing writes to it. */
  waitHealthy(timeoutMs?: number): Promise<PostgresMember>;
  kill(name: string): Promise<void>;
  crashPostgres(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  pause(name: string): Promise<void>;
  /** Disconnect the member from the cluster network: it loses etcd, its peers and HAProxy; the host still reaches it. */
  isolate(name: string): Promise<void>;
  /** Undo kill, stop, pause or isolate. */
  restart(name: string): Promise<void>;
  /** Patroni REST switchover from the current leader to `to` (or any healthy replica). */
  switchover(to?: string): Promise<{ from: string; to: string }>;
  /** Change synchronous_mode at run time through Patroni's dynamic configuration. */
  setSynchronous(enabled: boolean): Promise<void>;
  teardown(): Promise<void>;
}

const SCOPE = 'refstack';

export async function startPostgresCluster(options: PostgresClusterOptions): Promise<PostgresCluster> {
  if (options.members !== 2 && options.members !== 3) {
    throw new Error(`a Postgres cluster has 2 or 3 members, not ${String(options.members)}`);
  }
  const timing = timingProfile(options.timing);
  const network = await createNetwork('pg-ha');
  const started: StartedTestContainer[] = [];
  try {
    started.push(...(await startEtcdQuorum(network.name, `${SCOPE}-${network.name}`)));
    const secrets: ClusterSecrets = { superuser: secret(), replication: secret(), rewind: secret() };
    const names = Array.from({ length: options.members }, (_, i) => `pg${i + 1}`);
    const memberContainer = (name: string) =>
      new GenericContainer(imageRef('postgres'))
        .withLabels(runLabels())
        .withNetworkMode(network.name)
        .withNetworkAliases(name)
        .withExposedPorts(PG_PORT, PATRONI_PORT)
        .withCopyContentToContainer([
          {
            content: patroniConfig({ scope: SCOPE, member: name, etcdHosts: etcdHosts(), timing: timing.patroni, synchronous: options.synchronous, secrets }),
            target: PATRONI_CONFIG_PATH,
            mode: 0o644,
          },
        ])
        .withCommand(['patroni', PATRONI_CONFIG_PATH])
        .withStartupTimeout(120_000);
    // The first member bootstraps the cluster; the others clone from it with pg_basebackup.
    const [firstName, ...restNames] = names as [string, ...string[]];
    const first = await memberContainer(firstName).withWaitStrategy(Wait.forHttp('/primary', PATRONI_PORT).forStatusCode(200)).start();
    started.push(first);
    const rest = await Promise.all(
      restNames.map((n) => memberContainer(n).withWaitStrategy(Wait.forHttp('/health', PATRONI_PORT).forStatusCode(200)).start()),
    );
    started.push(...rest);
    const members = [first, ...rest].map((c, i) => new PostgresMember(names[i] as string, c, secrets.superuser));

    const proxy = await new GenericContainer(imageRef('haproxy'))
      .withLabels(runLabels())
      .withNetworkMode(network.name)
      .withNetworkAliases('haproxy')
      .withExposedPorts(WRITE_PORT, READ_PORT, STATS_PORT)
      .withCopyContentToContainer([{ content: haproxyConfig(names, timing.proxy), target: HAPROXY_CONFIG_PATH, mode: 0o644 }])
      .withWaitStrategy(Wait.forLogMessage(/Loading success|New worker/))
      .withStartupTimeout(60_000)
      .start();
    started.push(proxy);

    const cluster = attachPostgresCluster({
      options: { ...options },
      members,
      password: secrets.superuser,
      network: network.name,
      write: { host: HOST, port: proxy.getMappedPort(WRITE_PORT) },
      read: { host: HOST, port: proxy.getMappedPort(READ_PORT) },
      teardown: () => removeAll(started, network),
    });
    await cluster.waitHealthy(120_000);
    return cluster;
  } catch (error) {
    await removeAll(started, network);
    throw error;
  }
}

export interface AttachOptions {
  options: PostgresClusterOptions;
  members: PostgresMember[];
  password: string;
  /** The Docker network the members, etcd and HAProxy share. */
  network: string;
  write: Endpoint;
  read: Endpoint;
  /** What teardown() removes; nothing for a cluster that outlives its handle (the `refstack up` environment). */
  teardown?: () => Promise<void>;
}

/** The PostgresCluster handle over members that already run: test topologies and the environment alike. */
export function attachPostgresCluster(init: AttachOptions): PostgresCluster {
  return new Cluster(init);
}

class Cluster implements PostgresCluster {
  readonly options: PostgresClusterOptions;
  readonly timing: TimingProfile;
  readonly members: PostgresMember[];
  readonly password: string;
  readonly network: string;
  readonly write: Endpoint;
  readonly read: Endpoint;
  private readonly onTeardown: () => Promise<void>;

  constructor(init: AttachOptions) {
    this.options = init.options;
    this.timing = timingProfile(init.options.timing);
    this.members = init.members;
    this.password = init.password;
    this.network = init.network;
    this.write = init.write;
    this.read = init.read;
    this.onTeardown = init.teardown ?? (async () => undefined);
  }

  member(name: string): PostgresMember {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no member "${name}" in this cluster (members: ${this.members.map((m) => m.name).join(', ')})`);
    return found;
  }

  clientConfig(endpoint: Endpoint, overrides: pg.ClientConfig = {}): pg.ClientConfig {
    return { host: endpoint.host, port: endpoint.port, user: 'postgres', password: this.password, database: 'postgres', ...overrides };
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
      `a healthy cluster (1 primary, ${expectedReplicas} streaming replicas${this.options.synchronous ? ', a sync standby' : ''}, HAProxy routing writes)`,
      async () => {
        const roles = await this.roles();
        const leaders = Object.keys(roles).filter((n) => roles[n] === 'primary');
        if (leaders.length !== 1) return undefined;
        if (this.options.synchronous && !Object.values(roles).includes('sync_standby')) return undefined;
        if (Object.values(roles).includes('down')) return undefined;
        const primary = this.member(leaders[0]!);
        const streaming = await primary.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_replication WHERE state = 'streaming'",
        );
        if (Number(streaming[0]?.n) !== expectedReplicas) return undefined;
        const client = new pg.Client(this.clientConfig(this.write, { connectionTimeoutMillis: 1_000, query_timeout: 2_000 }));
        client.on('error', () => undefined);
        try {
          await client.connect();
          const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
          return rows[0]?.r === false ? primary : undefined;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs, intervalMs: 300 },
    );
  }

  kill(name: string): Promise<void> {
    return this.member(name).kill();
  }

  crashPostgres(name: string): Promise<void> {
    return this.member(name).crashPostgres();
  }

  stop(name: string): Promise<void> {
    return this.member(name).stop();
  }

  pause(name: string): Promise<void> {
    return this.member(name).pause();
  }

  /**
   * Containers started with network aliases are also attached to Docker's default bridge (testcontainers
   * does it that way); the published ports live there, so the host keeps reaching an isolated member,
   * while etcd, its peers and HAProxy only ever address it by its alias on the cluster network.
   */
  async isolate(name: string): Promise<void> {
    await docker().getNetwork(this.network).disconnect({ Container: this.member(name).id, Force: true });
  }

  async restart(name: string): Promise<void> {
    const member = this.member(name);
    const info = await docker().getContainer(member.id).inspect();
    const attached = Object.keys(info.NetworkSettings.Networks ?? {}).includes(this.network);
    if (!attached) {
      await docker().getNetwork(this.network).connect({ Container: member.id, EndpointConfig: { Aliases: [name] } });
      if (info.State.Running && !info.State.Paused) return;
    }
    await member.restart();
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
    this.options.synchronous = enabled;
    // Patroni applies it on its next HA loop: wait until Postgres reflects the change.
    await waitFor(
      `synchronous_standby_names ${enabled ? 'set' : 'cleared'} on ${leader.name}`,
      async () => {
        const rows = await leader.query<{ s: string }>('SHOW synchronous_standby_names');
        return (rows[0]?.s ?? '') !== '' === enabled ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }

  teardown(): Promise<void> {
    return this.onTeardown();
  }
}

function toRole(patroniRole: string): MemberRole {
  if (patroniRole === 'leader' || patroniRole === 'master' || patroniRole === 'primary') return 'primary';
  if (patroniRole === 'sync_standby') return 'sync_standby';
  return 'replica';
}

function secret(): string {
  return randomBytes(18).toString('base64url');
}

async function removeAll(containers: StartedTestContainer[], network: LabelledNetwork): Promise<void> {
  await Promise.all(
    containers.map((c) => docker().getContainer(c.getId()).remove({ force: true, v: true }).catch(() => undefined)),
  );
  await network.remove();
}
