import { ETCD_CLIENT_PORT, etcdCommand, etcdMemberNames } from '../../topologies/postgres/etcd.ts';
import { HAPROXY_CONFIG_PATH, READ_PORT, STATS_PORT, WRITE_PORT } from '../../topologies/postgres/haproxy-config.ts';
import { DATA_DIR, PATRONI_CONFIG_PATH, PATRONI_PORT, PG_PORT } from '../../topologies/postgres/patroni-config.ts';
import { timingProfile } from '../../topologies/postgres/timing.ts';
import { ENV_SECRETS, PG_MEMBERS, haproxyFile, patroniFile } from '../config-files.ts';
import { ENV_PORTS } from '../ports.ts';
import { execIn } from '../exec.ts';
import { containerName, healthcheck, tcpProbe, type EnvContext, type ServiceDefinition } from '../service.ts';
import { bind, published, volume } from './options.ts';

const ETCD_MEMBERS = etcdMemberNames();
const ETCD_TOKEN = 'refstack-env';

/** etcd ×3: a real quorum for Patroni's leader key, with the test topologies' command line. */
const etcd = ETCD_MEMBERS.map(
  (name): ServiceDefinition => ({
    name,
    dependsOn: [],
    image: { build: 'etcd' },
    endpoints: [],
    create: () => ({
      Cmd: etcdCommand(name, ETCD_MEMBERS, ETCD_TOKEN),
      Healthcheck: healthcheck(`etcdctl --endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT} --command-timeout=2s endpoint health`),
      HostConfig: { Mounts: [volume(`refstack-${name}-data`, '/var/lib/etcd')] },
    }),
    describe: () => describeEtcd(name),
  }),
);

/** Patroni members: pg1 bootstraps the cluster, pg2 and pg3 clone from it. */
const members = PG_MEMBERS.map((name, i): ServiceDefinition => {
  const pgPort = ENV_PORTS.memberPostgres[i]!;
  const restPort = ENV_PORTS.memberPatroni[i]!;
  return {
    name,
    dependsOn: i === 0 ? [...ETCD_MEMBERS] : [...ETCD_MEMBERS, PG_MEMBERS[0]],
    image: { build: 'postgres' },
    // Prometheus scrapes the members as patroni1..3 (monitoring/prometheus/config.ts).
    aliases: [`patroni${i + 1}`],
    endpoints: [
      { name: `Postgres ${name} (direct)`, url: `postgres://postgres:${ENV_SECRETS.superuser}@127.0.0.1:${pgPort}/postgres` },
      { name: `Patroni REST ${name}`, url: `http://127.0.0.1:${restPort}/patroni` },
    ],
    create: (ctx) => ({
      Cmd: ['patroni', PATRONI_CONFIG_PATH],
      // Patroni's /health answers 200 once Postgres runs, as leader or as a streaming replica.
      Healthcheck: healthcheck(`curl -fsS -o /dev/null http://127.0.0.1:${PATRONI_PORT}/health`, { startPeriodS: 180 }),
      StopSignal: 'SIGINT',
      ExposedPorts: { [`${PG_PORT}/tcp`]: {}, [`${PATRONI_PORT}/tcp`]: {} },
      HostConfig: {
        PortBindings: { ...published(pgPort, PG_PORT), ...published(restPort, PATRONI_PORT) },
        Mounts: [bind(patroniFile(ctx.profile, name), PATRONI_CONFIG_PATH), volume(`refstack-${name}-data`, DATA_DIR)],
      },
    }),
    describe: () => describeMember(name, restPort),
    afterHealthy: i === 0 ? (ctx) => alignDcsTiming(ctx, restPort) : undefined,
  };
});

const haproxy: ServiceDefinition = {
  name: 'haproxy',
  dependsOn: [PG_MEMBERS[0]],
  image: { build: 'haproxy' },
  endpoints: [
    { name: 'Postgres writes (HAProxy → leader)', url: `postgres://postgres:${ENV_SECRETS.superuser}@127.0.0.1:${ENV_PORTS.postgresWrite}/postgres` },
    { name: 'Postgres reads (HAProxy → replicas)', url: `postgres://postgres:${ENV_SECRETS.superuser}@127.0.0.1:${ENV_PORTS.postgresRead}/postgres` },
    { name: 'HAProxy stats', url: `http://127.0.0.1:${ENV_PORTS.haproxyStats}/` },
  ],
  create: (ctx) => ({
    // Healthy once the stats page lists a write backend server that is UP (18th CSV column: status).
    Healthcheck: healthcheck(
      `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${STATS_PORT}; printf "GET /;csv HTTP/1.0\\r\\n\\r\\n" >&3; grep -Eq "^primary,[^,]+,([^,]*,){15}UP" <&3'`,
    ),
    ExposedPorts: { [`${WRITE_PORT}/tcp`]: {}, [`${READ_PORT}/tcp`]: {}, [`${STATS_PORT}/tcp`]: {} },
    HostConfig: {
      PortBindings: { ...published(ENV_PORTS.postgresWrite, WRITE_PORT), ...published(ENV_PORTS.postgresRead, READ_PORT), ...published(ENV_PORTS.haproxyStats, STATS_PORT) },
      Mounts: [bind(haproxyFile(ctx.profile), HAPROXY_CONFIG_PATH)],
    },
  }),
  describe: describeHaproxy,
};

const POSTGRES_EXPORTER_PORT = 9187;
const postgresExporter: ServiceDefinition = {
  name: 'postgres-exporter',
  dependsOn: ['haproxy'],
  image: { build: 'postgres-exporter' },
  endpoints: [],
  create: () => ({
    Env: [`DATA_SOURCE_NAME=postgresql://postgres:${ENV_SECRETS.superuser}@haproxy:${WRITE_PORT}/postgres?sslmode=disable`],
    Healthcheck: healthcheck(tcpProbe(POSTGRES_EXPORTER_PORT)),
  }),
};

export const POSTGRES_SERVICES: ServiceDefinition[] = [...etcd, ...members, haproxy, postgresExporter];

/** Raft role of one etcd member (ids compared as text: they exceed JavaScript's safe integers). */
async function describeEtcd(name: string): Promise<string> {
  const { exitCode, output } = await execIn(containerName(name), ['etcdctl', `--endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT}`, '--command-timeout=2s', 'endpoint', 'status', '-w', 'json']);
  if (exitCode !== 0) return `? ${output.trim().split('\n')[0]}`;
  const member = /"member_id":(\d+)/.exec(output)?.[1];
  const leader = /"leader":(\d+)/.exec(output)?.[1];
  const term = /"raft_term":(\d+)/.exec(output)?.[1];
  return `${member && member === leader ? 'leader' : 'follower'}, raft term ${term ?? '?'}`;
}

interface PatroniMemberView {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
  timeline?: number;
}

async function patroniCluster(restPort: number): Promise<PatroniMemberView[]> {
  const response = await fetch(`http://127.0.0.1:${restPort}/cluster`, { signal: AbortSignal.timeout(1_500) });
  return ((await response.json()) as { members?: PatroniMemberView[] }).members ?? [];
}

async function describeMember(name: string, restPort: number): Promise<string> {
  const me = (await patroniCluster(restPort)).find((m) => m.name === name);
  if (!me) return 'not in the Patroni cluster view';
  const role = me.role === 'leader' || me.role === 'master' ? 'leader' : me.role;
  const lag = role === 'leader' ? '' : `, lag ${typeof me.lag === 'number' ? `${me.lag} B` : String(me.lag ?? '?')}`;
  return `${role}, ${me.state}${lag}, timeline ${me.timeline ?? '?'}`;
}

async function describeHaproxy(): Promise<string> {
  const csv = await (await fetch(`http://127.0.0.1:${ENV_PORTS.haproxyStats}/;csv`, { signal: AbortSignal.timeout(1_500) })).text();
  const up = (proxy: string) =>
    csv
      .split('\n')
      .map((l) => l.split(','))
      .filter((c) => c[0] === proxy && c[1] !== 'FRONTEND' && c[1] !== 'BACKEND' && c[17] === 'UP')
      .map((c) => c[1]);
  return `writes → ${up('primary').join(', ') || 'none'}; reads → ${up('replicas').join(', ') || 'none'}`;
}

/**
 * Patroni applies bootstrap.dcs only when it creates the cluster: with data kept from an `up` with
 * the other profile, the leader key's timings are set to this profile's through the REST API.
 */
async function alignDcsTiming(ctx: EnvContext, restPort: number): Promise<void> {
  const t = timingProfile(ctx.profile).patroni;
  const wanted = { ttl: t.ttl, loop_wait: t.loopWait, retry_timeout: t.retryTimeout };
  const current = (await (await fetch(`http://127.0.0.1:${restPort}/config`, { signal: AbortSignal.timeout(5_000) })).json()) as Record<string, unknown>;
  if (Object.entries(wanted).every(([k, v]) => current[k] === v)) return;
  const response = await fetch(`http://127.0.0.1:${restPort}/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(wanted),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`could not set Patroni's ${ctx.profile} timings: ${response.status} ${await response.text()}`);
}
