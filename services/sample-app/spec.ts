import { promises, type Profile } from '../../src/core/profiles.ts';
import { DEFAULT_PROMISES, PROMISE_ENV, type TimingPromises } from '../../sample-app/src/shared/budgets.ts';
import type { ServiceSpec, SpecContext } from '../../src/core/spec.ts';
import { haproxy } from '../haproxy/spec.ts';
import { jaeger } from '../jaeger/spec.ts';
import { searchService } from '../log-shipper/spec.ts';
import { rabbitmq } from '../rabbitmq/spec.ts';
import { MASTER_NAME, sentinel } from '../redis/spec.ts';
import { TOXIPROXY, routedAddress } from '../toxiproxy/routes.ts';
import { api } from './alerts/api.ts';
import { slo } from './alerts/slo.ts';
import { applicationPanels, businessPanels } from './panels.ts';

export const API_PORT = 8080;
export const WORKER_METRICS_PORT = 9464;

/**
 * The app reaches the database only through HAProxy, so a failover is invisible to its configuration.
 * With Toxiproxy in the stack, the routes named by `toxiproxy.routes` go through it (chaos experiments).
 */
function appEnv(ctx: SpecContext): Record<string, string> {
  const db = (port: 'write' | 'read') => `postgres://postgres:${ctx.secrets.postgresSuperuser}@${routedAddress(ctx, `postgres-${port}`, ctx.address(haproxy.name, port))}/postgres`;
  const s = ctx.secrets;
  return {
    DATABASE_WRITE_URL: db('write'),
    DATABASE_READ_URL: db('read'),
    REDIS_SENTINELS: ctx.addresses(sentinel.name, 'sentinel').join(','),
    REDIS_MASTER_NAME: MASTER_NAME,
    AMQP_URL: amqpUrls(ctx).join(','),
    API_CLIENTS: s.apiKeys.map((c) => [c.name, c.key, ...(c.ratePerSecond ? [String(c.ratePerSecond)] : [])].join(':')).join(','),
    ...promiseEnv(ctx.profile),
    LOG_LEVEL: ctx.option('sample-app.log-level') ?? 'info',
    // ECS JSON lines with trace.id/span.id: what the log shipper indexes as they are.
    LOG_FORMAT: 'ecs',
    ...(ctx.has(searchService(ctx)) ? { SEARCH_URL: `http://${ctx.address(searchService(ctx), 'http')}` } : {}),
    ...(ctx.has(jaeger.name) ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://${ctx.address(jaeger.name, 'otlp-http')}` } : {}),
    ...(ctx.option('sample-app.faults') === 'on' ? { SAMPLE_APP_FAULTS: '1' } : {}),
    ...(ctx.has('elasticsearch') ? { ELASTICSEARCH_URL: `http://${ctx.address('elasticsearch', 'http')}` } : {}),
    ...optionEnv(ctx),
  };
}

/**
 * One URL per RabbitMQ node, so the API and the worker reconnect to another node when theirs is lost; a stack
 * that routes the broker through Toxiproxy gets the one proxy (in front of the `rabbitmq` name, every node).
 */
function amqpUrls(ctx: SpecContext): string[] {
  const s = ctx.secrets;
  const routed = routedAddress(ctx, 'rabbitmq', '');
  const addresses = routed ? [routed] : ctx.addresses(rabbitmq.name, 'amqp');
  return addresses.map((a) => `amqp://${s.rabbitmqUser}:${s.rabbitmqPassword}@${a}`);
}

/** Stack option `sample-app.env=NAME=value,NAME=value`: further environment for the API and worker (e.g. SHUTDOWN_DELAY_MS). */
function optionEnv(ctx: SpecContext): Record<string, string> {
  const raw = ctx.option('sample-app.env') ?? '';
  return Object.fromEntries(raw ? raw.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]) : []);
}

/**
 * What the app's budgets are derived from (sample-app/src/shared/budgets.ts): the stack profile's promises,
 * so that every wait in the API and the worker covers the failure it waits out.
 */
export function appPromises(profile: Profile): TimingPromises {
  const p = promises(profile);
  return {
    ...DEFAULT_PROMISES,
    dbFailoverBudgetMs: Math.ceil(p.failoverRtoSeconds * 1000),
    cacheFailoverBudgetMs: Math.ceil(p.cacheFailoverSeconds * 1000),
    queueFailoverBudgetMs: Math.ceil(p.queueRecoverySeconds * 1000),
  };
}

function promiseEnv(profile: Profile): Record<string, string> {
  const values = appPromises(profile);
  return Object.fromEntries((Object.keys(PROMISE_ENV) as Array<keyof TimingPromises>).map((k) => [PROMISE_ENV[k], String(values[k])]));
}

/** GET /readyz with bash's /dev/tcp: a health check that starts no Node process (dozens run every few seconds). */
const readyProbe = (port: number) =>
  `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" >&3 && head -n 1 <&3 | grep -q " 200 "'`;
const BACKENDS = [haproxy.name, sentinel.name, rabbitmq.name];

/**
 * The instrumented API (Express) behind nginx, standing in for the plan's Flask + uWSGI tier. The first
 * instance migrates the schema and declares the queues; the others and the worker find both.
 */
export const sampleApi: ServiceSpec = {
  name: 'sample-api',
  summary: 'the instrumented sample API (Express): orders, users, sessions, cached product reads',
  image: { build: 'sample-app' },
  replicas: 2,
  dependsOn: BACKENDS,
  after: [TOXIPROXY],
  firstInstanceBootstraps: true,
  scale: { min: 1, max: 4 },
  options: {
    'sample-app.clients': 'API clients with their rate limits, name[:requests per second],… (default web,mobile); keys are generated',
    'sample-app.faults': 'on: enable PUT /internal/faults, which makes the API slow or failing for real (alert proofs)',
    'sample-app.log-level': 'pino level of the API and worker (default info)',
    'sample-app.env': 'further environment for the API and worker: NAME=value,NAME=value',
  },
  command: () => ['api'],
  env: appEnv,
  ports: [{ name: 'http', container: API_PORT, publish: {} }],
  health: { command: readyProbe(API_PORT) },
  // As a process supervisor would: a crashed app process is started again (drills count the restarts).
  restart: 'on-failure',
  scrape: [{ job: 'sample-api', port: 'http', down: { severity: 'high', blind: "that API instance's requests, errors and latency: a dead instance takes its errors with it, so the 5xx and SLO alerts cannot fire for it" } }],
  faults: [{ verb: 'app-faults', summary: 'make the API slow or failing for real (PUT /internal/faults, with sample-app.faults=on)' }],
  alerts: [api, slo],
  panels: [...applicationPanels, ...businessPanels],
};

/** The worker: consumes order events, processes orders, dead-letters poison messages. */
export const sampleWorker: ServiceSpec = {
  name: 'sample-worker',
  summary: 'the worker (RabbitMQ consumer): processes orders, retries with backoff, dead-letters poison',
  image: { build: 'sample-app' },
  replicas: 1,
  dependsOn: [...BACKENDS, 'sample-api'],
  after: [TOXIPROXY],
  command: () => ['worker'],
  env: appEnv,
  ports: [{ name: 'metrics', container: WORKER_METRICS_PORT, publish: {} }],
  health: { command: readyProbe(WORKER_METRICS_PORT) },
  restart: 'on-failure',
  scrape: [{ job: 'sample-worker', port: 'metrics', down: { severity: 'medium', blind: 'order processing, revenue and the queue as the worker sees it' } }],
};
