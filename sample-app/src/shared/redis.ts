import { Redis } from 'ioredis';
import type { RedisConfig } from './config.ts';
import type { Logger } from './logger.ts';

/**
 * ioredis through Sentinel (follows a promoted master) or a plain URL. Commands fail fast instead
 * of queueing while Redis is away, so callers can degrade to Postgres.
 */
export function createRedis(config: RedisConfig, commandTimeoutMs: number, log: Logger): Redis {
  const common = {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: false,
    retryStrategy: (times: number) => Math.min(2_000, 100 * times),
    ...(config.password ? { password: config.password } : {}),
  };
  const redis = config.sentinels
    ? new Redis({
        ...common,
        sentinels: config.sentinels,
        name: config.masterName,
        sentinelRetryStrategy: (times: number) => Math.min(2_000, 100 * times),
        // Subscribe to +switch-master: drop the old master at once, even when it went silent instead of closing.
        failoverDetector: true,
      })
    : new Redis(config.url ?? '', common);
  let lastError = '';
  redis.on('error', (error: Error) => {
    // Reconnect loops repeat the same error many times a second: log each change once.
    if (error.message !== lastError) log.warn({ err: error }, 'redis error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
    log.info('redis ready');
  });
  return redis;
}
