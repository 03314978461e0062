import { AMQP_PORT, PROMETHEUS_PORT as RABBITMQ_METRICS_PORT } from '../../../images/rabbitmq/rabbitmq.ts';
import { REDIS_PORT, SENTINEL_PORT } from '../../../images/redis/redis.ts';
import { ENV_PORTS } from '../ports.ts';
import { healthcheck, tcpProbe, type ServiceDefinition } from '../service.ts';
import { published, volume } from './options.ts';
import { redisInfo, sentinelMaster } from './redis-probe.ts';

export const REDIS_MEMBERS = ['redis1', 'redis2'] as const;
export const REDIS_MASTER_NAME = 'mymaster';
export const RABBITMQ = { user: 'refstack', password: 'refstack-secret', cookie: 'refstack-env-erlang-cookie' } as const;

const redisArgs = (name: string) => ['redis-server', '--appendonly', 'no', '--save', '', '--replica-announce-ip', name];

/**
 * Redis master + replica + one Sentinel, as in images/redis/redis.ts: every node announces its DNS
 * name so that Sentinel hands clients a name, never a container address. A role-agnostic health
 * check, because the drills swap the roles.
 */
const redis = REDIS_MEMBERS.map(
  (name, i): ServiceDefinition => ({
    name,
    dependsOn: i === 0 ? [] : [REDIS_MEMBERS[0]],
    image: { build: 'redis' },
    endpoints: [{ name: `Redis ${name}`, url: `redis://127.0.0.1:${ENV_PORTS.redis[i]}` }],
    create: () => ({
      Cmd: i === 0 ? redisArgs(name) : [...redisArgs(name), '--replicaof', REDIS_MEMBERS[0], String(REDIS_PORT)],
      Healthcheck: healthcheck(`redis-cli info replication | grep -Eq 'role:master|master_link_status:up'`),
      HostConfig: { PortBindings: published(ENV_PORTS.redis[i]!, REDIS_PORT) },
    }),
    describe: async () => {
      const info = await redisInfo(ENV_PORTS.redis[i]!, 'replication');
      if (info.role === 'master') {
        // slaveN:ip=redis2,port=6379,state=online,offset=…,lag=… (lag: seconds since the replica's last ack)
        const replicas = Object.entries(info)
          .filter(([k]) => /^slave\d+$/.test(k))
          .map(([, v]) => Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string])))
          .map((r) => `${r.ip} ${r.state}, ${Number(info.master_repl_offset ?? 0) - Number(r.offset ?? 0)} B behind, last ack ${r.lag ?? '?'} s ago`);
        return `master; replicas: ${replicas.join('; ') || 'none'}`;
      }
      return `replica of ${info.master_host ?? '?'}, link ${info.master_link_status ?? '?'}, last I/O ${info.master_last_io_seconds_ago ?? '?'} s ago`;
    },
  }),
);

const sentinel: ServiceDefinition = {
  name: 'redis-sentinel',
  dependsOn: [...REDIS_MEMBERS],
  image: { build: 'redis' },
  endpoints: [{ name: 'Redis Sentinel', url: `redis://127.0.0.1:${ENV_PORTS.sentinel}` }],
  create: () => ({
    Cmd: ['redis-sentinel'],
    Env: [`SENTINEL_MASTER_NAME=${REDIS_MASTER_NAME}`, `SENTINEL_MASTER_HOST=${REDIS_MEMBERS[0]}`, 'SENTINEL_ANNOUNCE_HOSTNAME=redis-sentinel'],
    Healthcheck: healthcheck(`redis-cli -p ${SENTINEL_PORT} sentinel get-master-addr-by-name ${REDIS_MASTER_NAME} | grep -q redis`),
    HostConfig: { PortBindings: published(ENV_PORTS.sentinel, SENTINEL_PORT) },
  }),
  describe: async () => `master ${REDIS_MASTER_NAME} → ${(await sentinelMaster(ENV_PORTS.sentinel, REDIS_MASTER_NAME)).join(':')}`,
};

const REDIS_EXPORTER_PORT = 9121;
const redisExporter: ServiceDefinition = {
  name: 'redis-exporter',
  dependsOn: [REDIS_MEMBERS[0]],
  image: { build: 'redis-exporter' },
  endpoints: [],
  create: () => ({
    Env: [`REDIS_ADDR=redis://${REDIS_MEMBERS[0]}:${REDIS_PORT}`],
    Healthcheck: healthcheck(tcpProbe(REDIS_EXPORTER_PORT)),
  }),
};

const rabbitmq: ServiceDefinition = {
  name: 'rabbitmq',
  dependsOn: [],
  image: { build: 'rabbitmq' },
  endpoints: [
    { name: 'RabbitMQ AMQP', url: `amqp://${RABBITMQ.user}:${RABBITMQ.password}@127.0.0.1:${ENV_PORTS.amqp}` },
    { name: 'RabbitMQ metrics', url: `http://127.0.0.1:${ENV_PORTS.rabbitmqMetrics}/metrics` },
  ],
  create: () => ({
    // The node name (rabbit@<hostname>) names its data directory: fixed, so kept data is found again.
    Hostname: 'rabbitmq',
    Env: [`RABBITMQ_DEFAULT_USER=${RABBITMQ.user}`, `RABBITMQ_DEFAULT_PASS=${RABBITMQ.password}`, `RABBITMQ_ERLANG_COOKIE=${RABBITMQ.cookie}`],
    // The metrics listener starts with the broker's plugins, after the AMQP listener.
    Healthcheck: healthcheck(`${tcpProbe(AMQP_PORT)} && ${tcpProbe(RABBITMQ_METRICS_PORT)}`, { intervalS: 3, startPeriodS: 180 }),
    HostConfig: {
      PortBindings: { ...published(ENV_PORTS.amqp, AMQP_PORT), ...published(ENV_PORTS.rabbitmqMetrics, RABBITMQ_METRICS_PORT) },
      Mounts: [volume('refstack-rabbitmq-data', '/var/lib/rabbitmq')],
    },
  }),
};

export const MESSAGING_SERVICES: ServiceDefinition[] = [...redis, sentinel, redisExporter, rabbitmq];
