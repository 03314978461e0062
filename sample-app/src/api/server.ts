import { createServer, type Server } from 'node:http';
import { AmqpConnection, declareTopology } from '../shared/amqp.ts';
import { retryDelaySet } from '../shared/budgets.ts';
import { breakerStateValue, CircuitBreaker } from '../shared/breaker.ts';
import type { Config } from '../shared/config.ts';
import { Db } from '../shared/db.ts';
import { closeServer, listen } from '../shared/lifecycle.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { createMetrics } from '../shared/metrics.ts';
import { createRedis } from '../shared/redis.ts';
import { Deadline } from '../shared/deadline.ts';
import { backoffMs, sleep } from '../shared/retry.ts';
import { migrate } from '../shared/schema.ts';
import { createApp } from './app.ts';
import { Cache } from './cache.ts';
import { Domain } from './domain.ts';
import { Faults } from './faults.ts';
import { purgeExpired } from './janitor.ts';
import { OutboxRelay } from './outbox.ts';
import { RateLimiter } from './rate-limit.ts';
import { LogSearch } from './search.ts';

export interface RunningApi {
  server: Server;
  log: Logger;
  /** Readiness 503 and Connection: close, wait shutdownDelayMs, stop accepting, drain, close clients. */
  stop(): Promise<void>;
}

export async function startApi(config: Config): Promise<RunningApi> {
  const t = config.thresholds;
  const b = config.budgets;
  const log = createLogger('sample-api', config.logFormat, config.logLevel);
  const metrics = createMetrics('sample-api');
  const db = new Db({
    writeUrl: config.databaseWriteUrl,
    readUrl: config.databaseReadUrl,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: b.db.statementTimeoutMs,
    connectTimeoutMs: b.db.connectTimeoutMs,
    attempts: b.db.attempts,
    slowQuerySeconds: t.slowQuerySeconds,
    metrics,
    log,
  });
  await untilDone('database migration', () => migrate(db), log);
  log.info({ promises: b.promises }, 'timing budgets derived from the dependencies\' promises');

  const breaker = (dependency: string) =>
    new CircuitBreaker(dependency, {
      failureThreshold: b.cache.breakerFailureThreshold,
      openMs: b.cache.breakerOpenMs,
      onState: (state) => metrics.breakerState.set({ dependency }, breakerStateValue(state)),
    });
  const redisBreaker = breaker('redis');
  metrics.breakerState.set({ dependency: 'redis' }, 0);
  const redisHandle = createRedis(config.redis, { commandTimeoutMs: b.cache.commandTimeoutMs, reconnectCapMs: b.cache.reconnectCapMs }, log);
  const redis = redisHandle.client;
  const cache = new Cache(redis, redisBreaker, t.cacheTtlSeconds, metrics, log, t.cacheTtlJitter);
  const rateLimiter = new RateLimiter(redis, redisBreaker, metrics);

  // The relay is created first so that the connection can wake it; it is started once the app is listening.
  let relay: OutboxRelay | undefined;
  const amqp = new AmqpConnection({
    urls: config.amqpUrls,
    log,
    name: 'sample-api',
    reconnectCapMs: b.queue.reconnectCapMs,
    onChannel: async (channel) => {
      await declareTopology(channel, retryDelaySet(b));
      setImmediate(() => relay?.wake());
    },
    onBlocked: (blocked) => {
      metrics.outboxBlocked.set(blocked ? 1 : 0);
      if (!blocked) relay?.wake();
    },
  });
  void amqp.start();
  relay = new OutboxRelay({ db, amqp, budgets: b, metrics, log });
  metrics.outboxBlocked.set(0);
  const domain = new Domain({ db, cache, relay, metrics, inFlightRetryAfterSeconds: b.inFlightRetryAfterSeconds, idempotencyKeyTtlSeconds: t.idempotencyKeyTtlSeconds });

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
      rabbitmq: amqp.connected ? (amqp.blocked ? 'blocked (events wait in the outbox)' : 'up') : 'down (events wait in the outbox)',
      shutting_down: draining,
    };
    return { ready: !draining && write === 'up', checks };
  };

  const faults = config.faultsEnabled ? new Faults() : undefined;
  if (faults) log.warn('SAMPLE_APP_FAULTS=1: fault injection enabled at PUT /internal/faults');
  // One attempt within a fraction of the request budget: a down or hung search tier is a quick 503.
  const search = new LogSearch(config.searchUrl, Math.min(2_000, Math.floor(b.request.budgetMs / 2)));
  const app = createApp({
    search,
    domain,
    metrics,
    log,
    clients: config.clients,
    rateLimiter,
    maxBodyBytes: t.maxBodyBytes,
    budgets: b,
    readiness,
    beforeScrape: () => db.sampleConnections(),
    draining: () => draining,
    ...(faults ? { faults } : {}),
  });
  // Node keeps idle sockets longer than nginx's upstream keepalive_timeout: nginx always closes first (budgets.http).
  const server = createServer({ requestTimeout: b.http.requestTimeoutMs, headersTimeout: b.http.headersTimeoutMs, keepAliveTimeout: b.http.keepAliveTimeoutMs }, app);

  const samplers = setInterval(() => void sample(), 5_000);
  samplers.unref();
  async function sample(): Promise<void> {
    db.sampleConnections();
    try {
      metrics.replicationLag.set(await db.replicationLagSeconds(1_000));
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
      metrics.activeUsers.set(await domain.activeUsers(Deadline.after(1_000)));
    } catch {
      // Keeps the last value; the read endpoint's failure shows in db_up and replication_lag.
    }
    await relay?.sampleBacklog(1_000).catch(() => undefined);
  }
  await sample();
  const janitor = setInterval(() => void purgeExpired(db, t.outboxRetentionSeconds, 5_000).catch((error: unknown) => log.warn({ err: error }, 'purge failed')), 60_000);
  janitor.unref();
  relay.start();
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
      clearInterval(janitor);
      await relay?.stop();
      await Promise.allSettled([amqp.close(), db.close(), redisHandle.close(), search.close()]);
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
