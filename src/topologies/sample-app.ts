import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { postgresContainer, type StartedPostgreSqlContainer } from '../../services/postgres/postgres.ts';
import { startRabbitMq, type StartedRabbitMq } from '../../services/rabbitmq/rabbitmq.ts';
import { startRedisSentinelSet, type RedisSentinelSet } from '../../services/redis/redis.ts';
import { docker } from '../core/docker/engine.ts';
import { runLabels } from '../core/docker/labels.ts';
import { imageRef } from '../core/images/catalog.ts';

export const API_PORT = 8080;
export const WORKER_METRICS_PORT = 9464;

/** What the API and worker containers are wired to; URLs as seen from containers on `network`. */
export interface SampleAppDeps {
  network: string;
  /** The Postgres primary, or the HA cluster's HAProxy write endpoint. */
  databaseWriteUrl: string;
  /** A replica, or the HA cluster's HAProxy read endpoint. */
  databaseReadUrl: string;
  redis: { url: string } | { sentinels: string; masterName: string };
  amqpUrl: string;
  /** API_CLIENTS entries; defaults to {@link DEFAULT_CLIENTS}. */
  clients?: Array<{ name: string; key: string; ratePerSecond?: number }>;
  /** Extra environment for both processes (LOG_FORMAT, SAMPLE_APP_FAULTS, SHUTDOWN_DELAY_MS…). */
  env?: Record<string, string>;
  /** Alias prefix, so that two app stacks can share a network. */
  name?: string;
  withWorker?: boolean;
}

export interface ClientSpec {
  name: string;
  key: string;
  ratePerSecond?: number;
}

export const DEFAULT_CLIENTS: ClientSpec[] = [
  { name: 'web', key: 'web-key-0123456789' },
  { name: 'mobile', key: 'mobile-key-0123456789' },
];

export interface StartedSampleApp {
  /** http://127.0.0.1:<published>: the API for the test process. */
  baseUrl: string;
  /** http://<container ip>:8080: the API without docker's port proxy (for connection-level assertions). */
  directUrl: string;
  apiMetricsUrl: string;
  workerMetricsUrl: string | undefined;
  clients: Array<{ name: string; key: string; ratePerSecond?: number }>;
  /** X-API-Key of the first client. */
  apiKey: string;
  api: StartedTestContainer;
  worker: StartedTestContainer | undefined;
  /** Sends a signal to the API process and resolves with its exit code and how long it took to exit. */
  signalApi(signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL'): Promise<{ exitCode: number; exitSeconds: number }>;
  stopWorker(): Promise<void>;
  killWorker(): Promise<void>;
  pauseWorker(): Promise<void>;
  unpauseWorker(): Promise<void>;
  startWorker(): Promise<void>;
  logs(which: 'api' | 'worker'): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the sample-app API (and its worker) from the refstack/sample-app image on `deps.network`. */
export async function startSampleApp(deps: SampleAppDeps): Promise<StartedSampleApp> {
  const name = deps.name ?? 'sample';
  const clients: ClientSpec[] = deps.clients ?? DEFAULT_CLIENTS;
  const env: Record<string, string> = {
    DATABASE_WRITE_URL: deps.databaseWriteUrl,
    DATABASE_READ_URL: deps.databaseReadUrl,
    AMQP_URL: deps.amqpUrl,
    API_CLIENTS: clients.map((c) => [c.name, c.key, ...(c.ratePerSecond ? [String(c.ratePerSecond)] : [])].join(':')).join(','),
    ...('url' in deps.redis ? { REDIS_URL: deps.redis.url } : { REDIS_SENTINELS: deps.redis.sentinels, REDIS_MASTER_NAME: deps.redis.masterName }),
    LOG_LEVEL: 'warn',
    ...deps.env,
  };
  const container = (role: 'api' | 'worker', port: number) =>
    new GenericContainer(imageRef('sample-app'))
      .withLabels(runLabels())
      .withCommand([role])
      .withEnvironment(env)
      .withNetworkMode(deps.network)
      .withNetworkAliases(`${name}-${role}`)
      .withExposedPorts(port)
      .withWaitStrategy(Wait.forHttp('/readyz', port).forStatusCode(200))
      .withStartupTimeout(90_000);

  const api = await container('api', API_PORT).start();
  // The API migrates the schema and declares the queues first; the worker then finds both.
  let worker = deps.withWorker === false ? undefined : await container('worker', WORKER_METRICS_PORT).start();
  const ip = (await docker().getContainer(api.getId()).inspect()).NetworkSettings.Networks[deps.network]?.IPAddress;
  const baseUrl = `http://127.0.0.1:${api.getMappedPort(API_PORT)}`;
  const workerUrl = () => (worker ? `http://127.0.0.1:${worker.getMappedPort(WORKER_METRICS_PORT)}/metrics` : undefined);
  const workerContainer = () => {
    if (!worker) throw new Error('this sample-app was started without a worker');
    return docker().getContainer(worker.getId());
  };

  return {
    baseUrl,
    directUrl: `http://${ip}:${API_PORT}`,
    apiMetricsUrl: `${baseUrl}/metrics`,
    get workerMetricsUrl() {
      return workerUrl();
    },
    clients,
    apiKey: clients[0]!.key,
    api,
    get worker() {
      return worker;
    },
    async signalApi(signal) {
      const handle = docker().getContainer(api.getId());
      const started = performance.now();
      const exited = handle.wait() as Promise<{ StatusCode: number }>;
      await handle.kill({ signal });
      const { StatusCode } = await exited;
      return { exitCode: StatusCode, exitSeconds: (performance.now() - started) / 1000 };
    },
    async stopWorker() {
      await workerContainer().stop({ t: 10 });
    },
    async killWorker() {
      await workerContainer().kill({ signal: 'SIGKILL' });
    },
    async pauseWorker() {
      await workerContainer().pause();
    },
    async unpauseWorker() {
      await workerContainer().unpause();
    },
    async startWorker() {
      if (worker) await worker.stop().catch(() => undefined);
      worker = await container('worker', WORKER_METRICS_PORT).start();
    },
    async logs(which) {
      const target = which === 'api' ? api : worker;
      if (!target) return '';
      const buffer = (await docker().getContainer(target.getId()).logs({ stdout: true, stderr: true, tail: 200 })) as unknown as Buffer;
      return demuxDockerLogs(buffer);
    },
    async stop() {
      await Promise.allSettled([api.stop({ timeout: 10_000 }), worker?.stop({ timeout: 10_000 })]);
    },
  };
}

/** Docker's multiplexed log stream: frames of [stream, 0, 0, 0, size(uint32 BE)] + payload. */
export function demuxDockerLogs(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && buffer[offset + 1] === 0 && buffer[offset]! <= 2) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

export interface PostgresPair {
  primary: StartedPostgreSqlContainer;
  replica: StartedTestContainer;
  /** URLs for containers on the network. */
  writeUrl: string;
  readUrl: string;
  /** URLs for the test process (published ports on 127.0.0.1). */
  hostWriteUrl: string;
  hostReadUrl: string;
  stop(): Promise<void>;
}

const PG = { user: 'app', password: 'app-secret', database: 'app', replicator: 'replicator', replicatorPassword: 'replicator-secret' };

/**
 * A standalone primary and one asynchronous streaming replica (pg_basebackup -R), for the
 * read-path; the HA cluster (Patroni + HAProxy) plugs into the same two URLs later.
 */
export async function startPostgresPair(options: { network: string; prefix?: string }): Promise<PostgresPair> {
  const prefix = options.prefix ?? 'pg';
  const initReplication = [
    'as_postgres psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \\',
    `  -c "CREATE ROLE ${PG.replicator} WITH REPLICATION LOGIN PASSWORD '${PG.replicatorPassword}'"`,
    `echo "host replication ${PG.replicator} all scram-sha-256" >> "$PGDATA/pg_hba.conf"`,
    '',
  ].join('\n');
  const primary = await postgresContainer()
    .withDatabase(PG.database)
    .withUsername(PG.user)
    .withPassword(PG.password)
    .withNetworkMode(options.network)
    .withNetworkAliases(`${prefix}-primary`)
    .withCopyContentToContainer([{ content: initReplication, target: '/docker-entrypoint-initdb.d/10-replication.sh', mode: 0o755 }])
    .start();
  const asPostgres = 'setpriv --reuid=postgres --regid=postgres --init-groups';
  const replica = await new GenericContainer(imageRef('postgres'))
    .withLabels(runLabels())
    .withNetworkMode(options.network)
    .withNetworkAliases(`${prefix}-replica`)
    .withEnvironment({ PGPASSWORD: PG.replicatorPassword })
    .withCommand([
      'bash',
      '-c',
      [
        'set -e',
        'mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"; chmod 0700 "$PGDATA"',
        `until ${asPostgres} pg_basebackup -h ${prefix}-primary -U ${PG.replicator} -D "$PGDATA" -R -X stream -c fast; do rm -rf "$PGDATA"/*; sleep 1; done`,
        `exec ${asPostgres} postgres -c hot_standby_feedback=on`,
      ].join('\n'),
    ])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept read-only connections/))
    .withStartupTimeout(90_000)
    .start();
  const url = (host: string, port: number) => `postgres://${PG.user}:${PG.password}@${host}:${port}/${PG.database}`;
  return {
    primary,
    replica,
    writeUrl: url(`${prefix}-primary`, 5432),
    readUrl: url(`${prefix}-replica`, 5432),
    hostWriteUrl: url('127.0.0.1', primary.getMappedPort(5432)),
    hostReadUrl: url('127.0.0.1', replica.getMappedPort(5432)),
    async stop() {
      await Promise.allSettled([replica.stop(), primary.stop()]);
    },
  };
}

export interface SampleAppBackends {
  postgres: PostgresPair;
  redis: RedisSentinelSet;
  rabbitmq: StartedRabbitMq;
  /** The deps for {@link startSampleApp} (without the network's app-level options). */
  deps: Omit<SampleAppDeps, 'network'> & { network: string };
  stop(): Promise<void>;
}

/** Postgres primary + replica, Redis master + replica + Sentinel and RabbitMQ, started in parallel. */
export async function startSampleAppBackends(network: string): Promise<SampleAppBackends> {
  const [postgres, redis, rabbitmq] = await Promise.all([
    startPostgresPair({ network }),
    startRedisSentinelSet({ network }),
    startRabbitMq({ network, alias: 'rabbitmq' }),
  ]);
  return {
    postgres,
    redis,
    rabbitmq,
    deps: {
      network,
      databaseWriteUrl: postgres.writeUrl,
      databaseReadUrl: postgres.readUrl,
      redis: { sentinels: redis.sentinelsEnv, masterName: redis.masterName },
      amqpUrl: rabbitmq.amqpUrl,
    },
    async stop() {
      await Promise.allSettled([postgres.stop(), redis.stop(), rabbitmq.stop()]);
    },
  };
}
