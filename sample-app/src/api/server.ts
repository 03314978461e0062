import { createServer, type Server } from 'node:http';
import { AmqpConnection, declareTopology } from '../shared/amqp.ts';
import { breakerStateValue, CircuitBreaker } from '../shared/breaker.ts';
import type { Config } from '../shared/config.ts';
import { Db } from '../shared/db.ts';
import { closeServer, listen } from '../shared/lifecycle.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { createRedis } from '../shared/redis.ts';
import { backoffMs, sleep } from '../shared/retry.ts';
import { migrate } from '../shared/schema.ts';
import { createApp } from './app.ts';
import { Cache } from './cache.ts';
import { Domain } from './domain.ts';
import { EventPublisher } from './events.ts';
import { Faults } from './faults.ts';
import { RateLimiter } from './rate-limit.ts';

export interface RunningApi {
  server: Server;
  log: Logger;
  /** Readiness 503 and Connection: close, wait shutdownDelayMs, stop accepting, drain, close clients. */
  stop(): Promise<void>;
}

export async function startApi(config: Config): Promise<RunningApi> {
  const t = config.thresholds;
  const log = createLogger('sample-api', config.logFormat, config.logLevel);
  const metrics = createMetrics('sample-api');
  const db = new Db({
    writeUrl: config.databaseWriteUrl,
    readUrl: config.databaseReadUrl,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: t.dbStatementTimeoutMs,
    connectTimeoutMs: t.dbConnectTimeoutMs,
    slowQuerySeconds: t.slowQuerySeconds,
    metrics,
    log,
  });
  await untilDone('database migration', () => migrate(db), log);

  const breaker = (dependency: string) =>
    new CircuitBreaker(dependency, {
      failureThreshold: t.breakerFailureThreshold,
      openMs: t.breakerOpenMs,
      onState: (state) => metrics.breakerState.set({ dependency }, breakerStateValue(state)),
    });
  const redisBreaker = breaker('redis');
  metrics.breakerState.set({ dependency: 'redis' }, 0);
  const redis = createRedis(config.redis, t.redisCommandTimeoutMs, log);
  const cache = new Cache(redis, redisBreaker, t.cacheTtlSeconds, metrics, log);
  const rateLimiter = new RateLimiter(redis, redisBreaker, metrics);

  const amqp = new AmqpConnection({
    url: config.amqpUrl,
    log,
    name: 'sample-api',
    onChannel: (channel) => declareTopology(channel, t.maxDeliveryAttempts, t.retryBaseDelayMs),
  });
  void amqp.start();
  const events = new EventPublisher(db, amqp, t.amqpConfirmTimeoutMs, metrics, log);
  events.startRelay();
  const domain = new Domain(db, cache, events, metrics);

  let draining = false;
  const readiness = async () => {
    const probe = async (run: () => Promise<unknown>) => {
      try {
        await run();
        return 'up';
      } catch (error) {
        return `down: ${(error as Error).message}`;
      }
    };
    const [write, read, redisState] = await Promise.all([
      probe(() => db.ping('write', 1_000)),
      probe(() => db.ping('read', 1_000)),
      probe(() => redis.ping()),
    ]);
    const checks = {
      database_write: write,
      database_read: read,
      redis: redis.status === 'ready' ? redisState : `down: ${redis.status}`,
      redis_breaker: redisBreaker.state,
      rabbitmq: amqp.connected ? 'up' : 'down (writes are kept in the outbox)',
      shutting_down: draining,
    };
    return { ready: !draining && write === 'up', checks };
  };

  const faults = config.faultsEnabled ? new Faults() : undefined;
  if (faults) log.warn('SAMPLE_APP_FAULTS=1: fault injection enabled at PUT /internal/faults');
  const app = createApp({
    domain,
    metrics,
    log,
    clients: config.clients,
    rateLimiter,
    maxBodyBytes: t.maxBodyBytes,
    readiness,
    beforeScrape: () => db.sampleConnections(),
    draining: () => draining,
    ...(faults ? { faults } : {}),
  });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, app);

  const samplers = setInterval(() => void sample(), 5_000);
  samplers.unref();
  async function sample(): Promise<void> {
    db.sampleConnections();
    try {
      metrics.replicationLag.set(await db.replicationLagSeconds());
      metrics.dbUp.set({ pool: 'read' }, 1);
    } catch {
      metrics.replicationLag.set(-1);
      metrics.dbUp.set({ pool: 'read' }, 0);
    }
    try {
      await db.ping('write', 1_000);
      metrics.dbUp.set({ pool: 'write' }, 1);
    } catch {
      metrics.dbUp.set({ pool: 'write' }, 0);
    }
    try {
      metrics.activeUsers.set(await domain.activeUsers());
    } catch {
      // Keeps the last value; the read endpoint's failure shows in db_up and replication_lag.
    }
  }
  await sample();
  await listen(server, config.port);
  log.info({ port: config.port, readUrlIsWriteUrl: config.databaseReadUrl === config.databaseWriteUrl }, 'sample-api listening');

  return {
    server,
    log,
    async stop() {
      draining = true;
      if (config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
      await closeServer(server);
      clearInterval(samplers);
      await events.stop();
      await Promise.allSettled([amqp.close(), db.close(), redis.quit()]);
    },
  };
}

/** Start-up dependencies may come up after the process: retry with backoff for up to a minute. */
async function untilDone(what: string, run: () => Promise<void>, log: Logger, deadlineMs = 60_000): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (Date.now() - started > deadlineMs) throw new Error(`${what} failed for ${deadlineMs / 1000} s: ${(error as Error).message}`);
      log.warn({ err: error, attempt }, `${what} failed, retrying`);
      await sleep(backoffMs(attempt, 250, 3_000));
    }
  }
}
