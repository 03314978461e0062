import { Redis } from 'ioredis';
import type { RedisConfig } from './config.ts';
import type { Logger } from './logger.ts';

export interface RedisTimings {
  /** ms per command (budgets.cache.commandTimeoutMs). */
  commandTimeoutMs: number;
  /** ms cap of the reconnect backoff, and the delay before reviving an ended client (budgets.cache.reconnectCapMs). */
  reconnectCapMs: number;
}

export interface RedisHandle {
  client: Redis;
  /** QUIT; the client is not revived afterwards. */
  close(): Promise<void>;
}

/**
 * ioredis through Sentinel (follows a promoted master) or a plain URL. Commands fail fast instead
 * of queueing while Redis is away, so callers can degrade to Postgres.
 *
 * Why the client is revived on 'end': with `failoverDetector`, Sentinel's +switch-master makes
 * ioredis call `connector.disconnect()`. When that lands while the client is reconnecting — the
 * old master is gone, so it is busy asking Sentinel for the master — SentinelConnector.connect
 * finds `connecting === false` after its await and throws "Connection is closed."; Redis#connect
 * then sets the status to 'end' and never reconnects (ioredis 6.0.0,
 * built/connectors/SentinelConnector/index.js and built/Redis.js). The API then degrades to
 * Postgres for good: the flaky "API caches on the new master" case. A stopped master's hostname
 * no longer resolving only makes that reconnect loop — and the window — more frequent.
 */
export function createRedis(config: RedisConfig, timings: RedisTimings, log: Logger): RedisHandle {
  const retry = (times: number) => Math.min(timings.reconnectCapMs, 100 * times);
  const common = {
    commandTimeout: timings.commandTimeoutMs,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: retry,
    ...(config.password ? { password: config.password } : {}),
  };
  const client = config.sentinels
    ? new Redis({
        ...common,
        sentinels: config.sentinels,
        name: config.masterName,
        sentinelRetryStrategy: retry,
        // The failover detector's own Sentinel connections: ioredis retries them once a minute by default, so
        // after the Sentinels restart the client would miss every +switch-master for that minute — and stay on
        // a master that went silent (a network partition times commands out without closing the connection).
        sentinelReconnectStrategy: retry,
        sentinelCommandTimeout: 2_000,
        // Subscribe to +switch-master: drop the old master at once, even when it went silent instead of closing.
        failoverDetector: true,
      })
    : new Redis(config.url ?? '', common);
  let closing = false;
  let lastError = '';
  client.on('error', (error: Error) => {
    // Reconnect loops repeat the same error many times a second: log each change once.
    if (error.message !== lastError) log.warn({ err: error }, 'redis error');
    lastError = error.message;
  });
  client.on('ready', () => {
    lastError = '';
    log.info('redis ready');
  });
  client.on('end', () => {
    if (closing) return;
    log.warn({ delayMs: timings.reconnectCapMs }, 'redis client ended without being closed; reconnecting');
    setTimeout(() => {
      if (!closing && client.status === 'end') client.connect().catch(() => undefined);
    }, timings.reconnectCapMs).unref();
  });
  return {
    client,
    async close() {
      closing = true;
      await client.quit().catch(() => client.disconnect());
    },
  };
}
