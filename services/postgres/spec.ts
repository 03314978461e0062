import { waitFor } from '../../src/core/poll.ts';
import { httpProbe, type InstanceProbe, type ServiceSpec, type SpecContext } from '../../src/core/spec.ts';
import { database } from './alerts.ts';
import { postgresPanels } from './panels.ts';
import { CONFIG_PATH as PGBACKREST_CONFIG_PATH, PGBACKREST, STANZA, memberConfig, tlsEnv } from '../pgbackrest/config.ts';
import { DATA_DIR, PATRONI_CONFIG_PATH, PATRONI_PORT, PG_PORT, patroniConfig, patroniPasswordEnv } from './patroni-config.ts';

/** Where libfaketime reads the wall-clock offset from (the clock-skew fault writes it). */
export const FAKETIME_FILE = '/etc/refstack-faketime';
/**
 * libfaketime for Postgres only: Patroni runs postgres from this directory (postgres.faketime=on), where
 * `postgres` is a wrapper that preloads the library (the Dockerfile makes it); Patroni itself keeps the real
 * clock (under libfaketime its Python sleeps fail with EINVAL). The offset is re-read every second;
 * monotonic clocks stay real so that durations and timeouts never jump.
 */
const FAKETIME_BIN_DIR = '/usr/local/lib/refstack-faketime/bin';
const FAKETIME_ENV = {
  FAKETIME_TIMESTAMP_FILE: FAKETIME_FILE,
  FAKETIME_CACHE_DURATION: '1',
  FAKETIME_DONT_FAKE_MONOTONIC: '1',
};

/** A stack that runs pgBackRest's repository host (services/pgbackrest) archives every member's WAL there. */
const archiving = (ctx: SpecContext) => ctx.has(PGBACKREST);

/** Patroni's scope: the cluster's name in etcd. */
export const PATRONI_SCOPE = 'refstack';

/** Stack option `postgres.synchronous=off` runs Patroni without synchronous_mode (asynchronous replication). */
export const synchronousOption = (value: string | undefined) => value !== 'off';

/**
 * PostgreSQL 15 under Patroni ×3 (pg1 bootstraps, pg2 and pg3 clone from it with pg_basebackup),
 * synchronous mode by default, leader lease in etcd. Patroni's REST API (/primary, /replica, /health)
 * is what HAProxy routes by.
 */
export const postgres: ServiceSpec = {
  name: 'postgres',
  summary: 'PostgreSQL 15 + Patroni ×3: automatic failover, synchronous standby, pg_rewind on rejoin',
  image: { build: 'postgres' },
  replicas: 3,
  instanceName: (i) => `pg${i + 1}`,
  dependsOn: ['etcd'],
  firstInstanceBootstraps: true,
  scale: { min: 2, max: 3 },
  options: {
    'postgres.synchronous': 'on (default): a commit is acknowledged once the synchronous standby has it; off: asynchronous replication',
    'postgres.data-mib': "each member's data volume is an in-memory filesystem of this many MiB (chaos: a disk that can fill up; a stopped member comes back empty and is cloned again)",
    'postgres.faketime': 'on: every member runs under libfaketime, its wall clock offset read from /etc/refstack-faketime (+0; the clock-skew fault writes it)',
  },
  command: () => ['patroni', PATRONI_CONFIG_PATH],
  env: (ctx) => ({
    ...patroniPasswordEnv({ superuser: ctx.secrets.postgresSuperuser, replication: ctx.secrets.postgresReplication, rewind: ctx.secrets.postgresRewind }),
    ...(ctx.option('postgres.faketime') === 'on' ? FAKETIME_ENV : {}),
    ...(archiving(ctx) ? tlsEnv(ctx.secrets.backup!, ctx.instance) : {}),
  }),
  files: (ctx) => [
    ...(ctx.option('postgres.faketime') === 'on' ? [{ path: FAKETIME_FILE, content: '+0\n', mode: 0o666 }] : []),
    {
      path: PATRONI_CONFIG_PATH,
      content: patroniConfig({
        scope: PATRONI_SCOPE,
        member: ctx.instance,
        etcdHosts: ctx.addresses('etcd', 'client'),
        timing: ctx.profile.patroni,
        synchronous: synchronousOption(ctx.option('postgres.synchronous')),
        ...(ctx.option('postgres.faketime') === 'on' ? { binDir: FAKETIME_BIN_DIR } : {}),
        ...(archiving(ctx) ? { archive: { stanza: STANZA, timeoutSeconds: ctx.profile.backup.archiveTimeoutSeconds } } : {}),
      }),
    },
    ...(archiving(ctx) ? [{ path: PGBACKREST_CONFIG_PATH, content: memberConfig(PGBACKREST) }] : []),
  ],
  ports: [
    { name: 'pg', container: PG_PORT, publish: { env: [15441, 15442, 15443] } },
    { name: 'rest', container: PATRONI_PORT, publish: { env: [18001, 18002, 18003] }, http: '/patroni' },
  ],
  // Patroni's /health answers 200 once Postgres runs, as leader or as a streaming replica.
  health: { command: httpProbe(PATRONI_PORT, '/health'), startPeriodSeconds: 180 },
  volumes: [
    {
      name: 'data',
      target: DATA_DIR,
      sizeMiB: (ctx) => (ctx.option('postgres.data-mib') ? Number(ctx.option('postgres.data-mib')) : undefined),
      // The image's postgres user (Debian's package made it uid 100, gid 102): PGDATA must be its own, mode 0700.
      tmpfsOwner: 'uid=100,gid=102,mode=0700',
    },
  ],
  // Patroni as PID 1 stops Postgres cleanly on SIGINT (SIGTERM would make it wait out its own timeout).
  stopSignal: 'SIGINT',
  stopGraceSeconds: 30,
  scrape: [{ job: 'patroni', port: 'rest', path: '/metrics', down: { severity: 'high', blind: "that member's Patroni role and state: a failover would go unwatched" } }],
  faults: [
    { verb: 'crash-postgres', summary: 'SIGKILL the postmaster only; Patroni stays alive and must restart it' },
    { verb: 'switchover', summary: "planned leader change through Patroni's REST API" },
    { verb: 'clock-skew', summary: 'offset the wall clock of a member (libfaketime, needs postgres.faketime=on)' },
  ],
  alerts: [database],
  panels: postgresPanels,
  describe: describeMember,
  afterHealthy: async (instance, ctx) => {
    if (ctx.index === 0) await alignDcsTiming(instance, ctx);
  },
};

interface PatroniMemberView {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
  timeline?: number;
}

async function patroniRest(instance: InstanceProbe, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${await instance.hostPort('rest')}${path}`, { ...init, signal: AbortSignal.timeout(5_000) });
}

async function describeMember(instance: InstanceProbe): Promise<string> {
  const view = ((await (await patroniRest(instance, '/cluster')).json()) as { members?: PatroniMemberView[] }).members ?? [];
  const me = view.find((m) => m.name === instance.name);
  if (!me) return 'not in the Patroni cluster view';
  const role = me.role === 'leader' || me.role === 'master' ? 'leader' : me.role;
  const lag = role === 'leader' ? '' : `, lag ${typeof me.lag === 'number' ? `${me.lag} B` : String(me.lag ?? '?')}`;
  return `${role}, ${me.state}${lag}, timeline ${me.timeline ?? '?'}`;
}

/**
 * Patroni applies bootstrap.dcs only when it creates the cluster: with data kept from a start with the
 * other profile, the leader lease's timings are set to this profile's through the REST API.
 */
async function alignDcsTiming(instance: InstanceProbe, ctx: SpecContext): Promise<void> {
  const t = ctx.profile.patroni;
  const wanted = { ttl: t.ttl, loop_wait: t.loopWait, retry_timeout: t.retryTimeout };
  // Right after the bootstrap, /config may answer an error page until the dynamic configuration is in etcd.
  const current = await waitFor(
    `Patroni's dynamic configuration on ${instance.name}`,
    async () => {
      const r = await patroniRest(instance, '/config');
      return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  if (Object.entries(wanted).every(([k, v]) => current[k] === v)) return;
  const response = await patroniRest(instance, '/config', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(wanted) });
  if (!response.ok) throw new Error(`could not set Patroni's ${ctx.profile.name} timings: ${response.status} ${await response.text()}`);
}
