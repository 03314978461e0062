import pg from 'pg';
import type { StartedTestContainer } from 'testcontainers';
import { docker } from '../../docker/engine.ts';
import type { Endpoint, MemberRole, PostgresCluster } from '../../topologies/postgres/cluster.ts';
import { HOST, PostgresMember } from '../../topologies/postgres/member.ts';
import { timingProfile } from '../../topologies/postgres/timing.ts';
import { waitFor } from '../../topologies/postgres/wait.ts';
import { ENV_SECRETS, PG_MEMBERS } from '../config-files.ts';
import { execIn } from '../exec.ts';
import { ENV_PORTS } from '../ports.ts';
import { ENV_NETWORK, PROFILE_LABEL, containerName, type EnvProfile } from '../service.ts';

/**
 * The environment's Patroni cluster behind the topology's PostgresCluster interface, so that the
 * drills run the suites' own measurement (measureWriteOutage, SplitBrainWatcher, NumberedWriter)
 * against long-lived containers instead of testcontainers-started ones.
 */
export async function attachEnvCluster(): Promise<PostgresCluster> {
  const infos = await Promise.all(PG_MEMBERS.map((m) => docker().getContainer(containerName(m)).inspect().catch(() => undefined)));
  const missing = PG_MEMBERS.filter((_, i) => !infos[i]);
  if (missing.length) throw new Error(`the environment is not up (no ${missing.map(containerName).join(', ')}): run \`refstack up\` first`);
  const profile = (infos[0]!.Config.Labels?.[PROFILE_LABEL] ?? 'production') as EnvProfile;
  const members = PG_MEMBERS.map((name, i) => new PostgresMember(name, existingContainer(infos[i]!.Id), ENV_SECRETS.superuser));
  return new EnvCluster(profile, members);
}

/**
 * PostgresMember reaches its container through getId() and exec() only; this gives it those two
 * for a container that testcontainers did not start.
 */
function existingContainer(id: string): StartedTestContainer {
  const handle = {
    getId: () => id,
    async exec(command: string[], options: { user?: string } = {}) {
      const { exitCode, output } = await execIn(id, command, options.user);
      return { exitCode, output, stdout: output, stderr: '' };
    },
  };
  return handle as unknown as StartedTestContainer;
}

function toRole(patroniRole: string): MemberRole {
  if (patroniRole === 'leader' || patroniRole === 'master' || patroniRole === 'primary') return 'primary';
  return patroniRole === 'sync_standby' ? 'sync_standby' : 'replica';
}

class EnvCluster implements PostgresCluster {
  readonly options: PostgresCluster['options'];
  readonly timing: PostgresCluster['timing'];
  readonly password = ENV_SECRETS.superuser;
  readonly write: Endpoint = { host: HOST, port: ENV_PORTS.postgresWrite };
  readonly read: Endpoint = { host: HOST, port: ENV_PORTS.postgresRead };
  readonly network = ENV_NETWORK;

  constructor(
    profile: EnvProfile,
    readonly members: PostgresMember[],
  ) {
    this.options = { members: 3, synchronous: true, timing: profile };
    this.timing = timingProfile(profile);
  }

  member(name: string): PostgresMember {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no member "${name}" (members: ${this.members.map((m) => m.name).join(', ')})`);
    return found;
  }

  clientConfig(endpoint: Endpoint, overrides: pg.ClientConfig = {}): pg.ClientConfig {
    return { host: endpoint.host, port: endpoint.port, user: 'postgres', password: this.password, database: 'postgres', ...overrides };
  }

  async roles(): Promise<Record<string, MemberRole>> {
    let view: Array<{ name: string; role: string; state: string }> = [];
    for (const m of this.members) {
      const answer = await m.rest<{ members?: typeof view }>('/cluster', {}, 1_000);
      if (answer?.status === 200 && Array.isArray(answer.body.members)) {
        view = answer.body.members;
        break;
      }
    }
    return Object.fromEntries(
      this.members.map((m) => {
        const entry = view.find((v) => v.name === m.name);
        return [m.name, !entry || entry.state !== 'running' && entry.state !== 'streaming' ? 'down' : toRole(entry.role)];
      }),
    );
  }

  async primary(timeoutMs = 60_000): Promise<PostgresMember> {
    return waitFor(
      'exactly one Patroni leader',
      async () => {
        const leaders = Object.entries(await this.roles()).filter(([, r]) => r === 'primary');
        return leaders.length === 1 ? this.member(leaders[0]![0]) : undefined;
      },
      { timeoutMs, intervalMs: 250 },
    );
  }

  async waitHealthy(timeoutMs = 90_000): Promise<PostgresMember> {
    return waitFor(
      'a healthy cluster (1 leader, 2 streaming replicas, HAProxy routing writes)',
      async () => {
        const roles = await this.roles();
        if (Object.values(roles).includes('down')) return undefined;
        const leader = await this.primary(1_000).catch(() => undefined);
        if (!leader) return undefined;
        const streaming = await leader.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_replication WHERE state = 'streaming'");
        if (Number(streaming[0]?.n) !== this.members.length - 1) return undefined;
        const viaProxy = await this.queryVia(this.write, 'SELECT NOT pg_is_in_recovery() AS ok');
        return viaProxy ? leader : undefined;
      },
      { timeoutMs, intervalMs: 300 },
    );
  }

  private async queryVia(endpoint: Endpoint, sql: string): Promise<boolean> {
    const client = new pg.Client(this.clientConfig(endpoint, { connectionTimeoutMillis: 1_000, query_timeout: 2_000 }));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.query<{ ok: boolean }>(sql)).rows[0]?.ok === true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
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

  async isolate(name: string): Promise<void> {
    await docker().getNetwork(ENV_NETWORK).disconnect({ Container: this.member(name).id, Force: true });
  }

  async restart(name: string): Promise<void> {
    const member = this.member(name);
    const info = await docker().getContainer(member.id).inspect();
    if (!Object.keys(info.NetworkSettings.Networks ?? {}).includes(ENV_NETWORK)) {
      await docker().getNetwork(ENV_NETWORK).connect({ Container: member.id, EndpointConfig: { Aliases: [name] } });
      if (info.State.Running && !info.State.Paused) return;
    }
    await member.restart();
  }

  async switchover(to?: string): Promise<{ from: string; to: string }> {
    const leader = await this.primary();
    const roles = await this.roles();
    // In synchronous mode Patroni only accepts the sync standby as the candidate.
    const candidate = to ?? Object.keys(roles).find((n) => roles[n] === 'sync_standby') ?? Object.keys(roles).find((n) => n !== leader.name && roles[n] === 'replica');
    if (!candidate) throw new Error(`no replica to switch over to (roles: ${JSON.stringify(roles)})`);
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
    const answer = await leader.rest('/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ synchronous_mode: enabled }) }, 10_000);
    if (answer?.status !== 200) throw new Error(`PATCH /config synchronous_mode=${enabled} failed: ${JSON.stringify(answer)}`);
    this.options.synchronous = enabled;
  }

  /** The environment outlives a drill: `refstack down` removes it. */
  async teardown(): Promise<void> {}
}
