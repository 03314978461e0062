import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { PROMETHEUS_PORT, startPrometheus } from '../../services/prometheus/prometheus.ts';
import { startRabbitMq, type StartedRabbitMq } from '../../services/rabbitmq/rabbitmq.ts';
import { startRedisSentinelSet, type RedisSentinelSet } from '../../services/redis/redis.ts';
import { test as testProfile } from '../../monitoring/lib/profiles.ts';
import { renderPrometheusConfig } from '../../services/prometheus/config.ts';
import { runLabels } from '../core/docker/labels.ts';
import { imageRef } from '../core/images/catalog.ts';
import type { ApiKey } from '../load/traffic-mix.ts';
import { ROOT } from '../core/paths.ts';
import { startPostgresCluster, type PostgresCluster } from '../../services/postgres/cluster.ts';
import { READ_PORT, WRITE_PORT } from '../../services/haproxy/config.ts';
import { API_PORT, DEFAULT_CLIENTS, WORKER_METRICS_PORT, startSampleApp, type ClientSpec, type StartedSampleApp } from '../topologies/sample-app.ts';
import { prometheusClient, type PrometheusClient } from './prometheus.ts';

/**
 * The environment `refstack up` builds, composed from the topology handles with this run's labels
 * (src/env's `up` owns fixed names and ports and cannot run beside a user's environment): a
 * 3-member Patroni cluster behind HAProxy, Redis with Sentinel, RabbitMQ, API instances behind the
 * nginx web tier (images/nginx/nginx.conf), the worker, and Prometheus scraping the app every second.
 */
export interface LatencyEnvironment {
  /** nginx's published port on 127.0.0.1: where load goes. */
  baseUrl: string;
  apiInstances: number;
  keys: ApiKey[];
  cluster: PostgresCluster;
  prometheus: PrometheusClient;
  stop(): Promise<void>;
}

const NGINX_PORT = 8080;
/**
 * API clients (X-API-Key): the mix rotates over them, and each has the API's per-client rate limit
 * (targets.sampleApp.rateLimitPerSecond), so four keep a capacity search's top steps under it.
 */
export const LATENCY_CLIENTS: ClientSpec[] = [
  ...DEFAULT_CLIENTS,
  { name: 'partner', key: 'partner-key-0123456789' },
  { name: 'batch', key: 'batch-key-0123456789' },
];
const NGINX_CONFIG = join(ROOT, 'images', 'nginx', 'nginx.conf');

/** The web tier's configuration with its upstream servers pointed at this run's API aliases. */
export function nginxConfigFor(apiAliases: string[]): string {
  const config = readFileSync(NGINX_CONFIG, 'utf8');
  const server = /^(\s*)server sample-api-\d+:8080 (.*);$/m;
  const lines = config.split('\n');
  const first = lines.findIndex((l) => server.test(l));
  const count = lines.filter((l) => server.test(l)).length;
  if (first < 0 || count !== 2) throw new Error(`${NGINX_CONFIG}: expected two "server sample-api-N:8080 …;" upstream lines, found ${count}`);
  const [, indent, options] = server.exec(lines[first]!)!;
  const upstream = apiAliases.map((a) => `${indent}server ${a}:${API_PORT} ${options};`);
  return [...lines.slice(0, first), ...upstream, ...lines.slice(first + count)].join('\n');
}

export async function startLatencyEnvironment(options: { apiInstances: number }): Promise<LatencyEnvironment> {
  const { apiInstances } = options;
  if (!Number.isInteger(apiInstances) || apiInstances < 2 || apiInstances > 4) throw new Error(`apiInstances must be 2..4, got ${apiInstances}`);
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const cluster = await startPostgresCluster({ members: 3, synchronous: false, timing: 'test' });
    stops.push(() => cluster.teardown());
    const network = cluster.network;
    const [redis, rabbitmq]: [RedisSentinelSet, StartedRabbitMq] = await Promise.all([
      startRedisSentinelSet({ network }),
      startRabbitMq({ network, alias: 'rabbitmq' }),
    ]);
    stops.push(() => redis.stop(), () => rabbitmq.stop());
    const db = (port: number) => `postgres://postgres:${encodeURIComponent(cluster.password)}@haproxy:${port}/postgres`;
    const deps = {
      network,
      databaseWriteUrl: db(WRITE_PORT),
      databaseReadUrl: db(READ_PORT),
      redis: { sentinels: redis.sentinelsEnv, masterName: redis.masterName },
      amqpUrl: rabbitmq.amqpUrl,
      clients: LATENCY_CLIENTS,
    };
    // The first instance migrates the schema and declares the queues; the others find both.
    const apps: StartedSampleApp[] = [];
    for (let i = 1; i <= apiInstances; i++) {
      const app = await startSampleApp({ ...deps, name: `latency-${i}`, withWorker: i === 1 });
      apps.push(app);
      stops.push(() => app.stop());
    }
    const aliases = apps.map((_, i) => `latency-${i + 1}-api`);
    const nginx: StartedTestContainer = await new GenericContainer(imageRef('nginx'))
      .withLabels(runLabels())
      .withNetworkMode(network)
      .withNetworkAliases('nginx')
      .withExposedPorts(NGINX_PORT)
      .withCopyContentToContainer([{ content: nginxConfigFor(aliases), target: '/etc/nginx/nginx.conf', mode: 0o644 }])
      .withWaitStrategy(Wait.forHttp('/nginx-health', NGINX_PORT).forStatusCode(200))
      .withStartupTimeout(60_000)
      .start();
    stops.push(() => nginx.stop());
    const prometheus = await startPrometheus({
      networkName: network,
      config: renderPrometheusConfig(testProfile, {
        jobs: [
          { job: 'sample-api', targets: aliases.map((a) => `${a}:${API_PORT}`) },
          { job: 'sample-worker', targets: [`latency-1-worker:${WORKER_METRICS_PORT}`] },
        ],
        alertmanagers: [],
      }),
      rules: new Map(),
    });
    stops.push(() => prometheus.stop());
    const client = prometheusClient(`http://127.0.0.1:${prometheus.getMappedPort(PROMETHEUS_PORT)}`);
    await waitForScrapes(client, apiInstances);
    return {
      baseUrl: `http://127.0.0.1:${nginx.getMappedPort(NGINX_PORT)}`,
      apiInstances,
      keys: LATENCY_CLIENTS.map((c) => ({ name: c.name, key: c.key })),
      cluster,
      prometheus: client,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every API instance scraped, so a figure never silently covers only part of the tier. */
async function waitForScrapes(client: PrometheusClient, apiInstances: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let up = 0;
  while (Date.now() < deadline) {
    up = await client.scalar('sum(up{job="sample-api"})', new Date()).catch(() => 0);
    if (up === apiInstances) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Prometheus scrapes ${up} of ${apiInstances} API instances after 60 s`);
}
