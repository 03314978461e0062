import { WRITE_PORT, READ_PORT } from '../../topologies/postgres/haproxy-config.ts';
import { API_PORT, DEFAULT_CLIENTS, WORKER_METRICS_PORT } from '../../topologies/sample-app.ts';
import { SENTINEL_PORT } from '../../../images/redis/redis.ts';
import { AMQP_PORT } from '../../../images/rabbitmq/rabbitmq.ts';
import { ENV_SECRETS } from '../config-files.ts';
import { ENV_PORTS } from '../ports.ts';
import { healthcheck, type EnvContext, type ServiceDefinition } from '../service.ts';
import { published } from './options.ts';
import { RABBITMQ, REDIS_MASTER_NAME } from './messaging.ts';

/** The web tier: nginx (images/nginx/nginx.conf) balances over these API instances. */
export const API_INSTANCES = ['sample-api-1', 'sample-api-2'] as const;
export const NGINX_PORT = 8080;
export const ELASTICSEARCH_PORT = 9200;

/** The sample-app reaches the database only through HAProxy, so a failover is invisible to its configuration. */
function appEnv(ctx: EnvContext): string[] {
  const db = (port: number) => `postgres://postgres:${ENV_SECRETS.superuser}@haproxy:${port}/postgres`;
  return [
    `DATABASE_WRITE_URL=${db(WRITE_PORT)}`,
    `DATABASE_READ_URL=${db(READ_PORT)}`,
    `REDIS_SENTINELS=redis-sentinel:${SENTINEL_PORT}`,
    `REDIS_MASTER_NAME=${REDIS_MASTER_NAME}`,
    `AMQP_URL=amqp://${RABBITMQ.user}:${RABBITMQ.password}@rabbitmq:${AMQP_PORT}`,
    `API_CLIENTS=${DEFAULT_CLIENTS.map((c) => [c.name, c.key, ...(c.ratePerSecond ? [String(c.ratePerSecond)] : [])].join(':')).join(',')}`,
    'LOG_LEVEL=info',
    ...(ctx.available.has('elasticsearch') ? [`ELASTICSEARCH_URL=http://elasticsearch:${ELASTICSEARCH_PORT}`] : []),
  ];
}

const readyProbe = (port: number) =>
  `node -e "fetch('http://127.0.0.1:${port}/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`;

const BACKENDS = ['haproxy', 'redis-sentinel', 'rabbitmq'];
/** As a process supervisor would: a crashed app process is started again (the drills count these restarts). */
const SUPERVISED = { Name: 'on-failure', MaximumRetryCount: 10 };

// The first instance migrates the schema and declares the queues; the second and the worker find both.
const apis = API_INSTANCES.map(
  (name, i): ServiceDefinition => ({
    name,
    dependsOn: i === 0 ? BACKENDS : [...BACKENDS, API_INSTANCES[0]],
    image: { build: 'sample-app' },
    // Prometheus scrapes `sample-api` (monitoring/prometheus/config.ts): Docker's DNS answers with both.
    aliases: ['sample-api'],
    endpoints: [],
    create: (ctx) => ({
      Cmd: ['api'],
      Env: appEnv(ctx),
      Healthcheck: healthcheck(readyProbe(API_PORT)),
      HostConfig: { RestartPolicy: SUPERVISED },
    }),
  }),
);

const worker: ServiceDefinition = {
  name: 'sample-worker',
  dependsOn: [...BACKENDS, API_INSTANCES[0]],
  image: { build: 'sample-app' },
  endpoints: [],
  create: (ctx) => ({
    Cmd: ['worker'],
    Env: appEnv(ctx),
    Healthcheck: healthcheck(readyProbe(WORKER_METRICS_PORT)),
    HostConfig: { RestartPolicy: SUPERVISED },
  }),
};

const nginx: ServiceDefinition = {
  name: 'nginx',
  dependsOn: [...API_INSTANCES],
  image: { build: 'nginx' },
  endpoints: [{ name: 'API (nginx → sample-api ×2)', url: `http://127.0.0.1:${ENV_PORTS.api}/v1/products/1  (X-API-Key: ${DEFAULT_CLIENTS[0]!.key})` }],
  create: () => ({
    // nginx's own liveness: the API's /readyz turns 503 while a dependency fails over, which is not nginx's health.
    Healthcheck: healthcheck(`curl -fsS -o /dev/null http://127.0.0.1:${NGINX_PORT}/nginx-health`),
    HostConfig: { PortBindings: published(ENV_PORTS.api, NGINX_PORT) },
  }),
  describe: async () => {
    const r = await fetch(`http://127.0.0.1:${ENV_PORTS.api}/readyz`, { signal: AbortSignal.timeout(1_500) });
    return `/readyz ${r.status} from ${r.headers.get('x-upstream') ?? '?'}`;
  },
};

export const APP_SERVICES: ServiceDefinition[] = [...apis, worker, nginx];
