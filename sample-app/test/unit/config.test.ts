import { describe, expect, it } from 'vitest';
import { targets } from '../../../src/core/targets.ts';
import { ConfigError, loadConfig, parseClients } from '../../src/shared/config.ts';

const base = {
  DATABASE_WRITE_URL: 'postgres://u:p@primary:5432/app',
  AMQP_URL: 'amqp://u:p@rabbitmq:5672',
  REDIS_URL: 'redis://redis:6379',
  API_CLIENTS: 'web:web-key-0123456789,tiny:tiny-key-0123456789:5',
};

describe('sample-app configuration', () => {
  it('reads writes and reads from two URLs, the read URL defaulting to the write URL', () => {
    expect(loadConfig('api', base).databaseReadUrl).toBe(base.DATABASE_WRITE_URL);
    expect(loadConfig('api', { ...base, DATABASE_READ_URL: 'postgres://u:p@replica:5432/app' }).databaseReadUrl).toBe('postgres://u:p@replica:5432/app');
  });

  it('takes thresholds from the targets file and clients with optional rate limits', () => {
    const config = loadConfig('api', base);
    expect(config.thresholds.slowQuerySeconds).toBe(targets.sampleApp.slowQuerySeconds);
    expect(config.clients).toEqual([
      { name: 'web', key: 'web-key-0123456789', ratePerSecond: targets.sampleApp.rateLimitPerSecond },
      { name: 'tiny', key: 'tiny-key-0123456789', ratePerSecond: 5 },
    ]);
    expect(config.faultsEnabled, 'fault injection is off unless SAMPLE_APP_FAULTS=1').toBe(false);
    expect(config.elasticsearchUrl, 'Elasticsearch is optional and off by default').toBeUndefined();
  });

  it('takes one AMQP URL per broker node, comma-separated, and refuses a bad one by name', () => {
    expect(loadConfig('api', base).amqpUrls).toEqual([base.AMQP_URL]);
    expect(loadConfig('api', { ...base, AMQP_URL: 'amqp://u:p@rabbitmq-1:5672, amqp://u:p@rabbitmq-2:5672' }).amqpUrls).toEqual(['amqp://u:p@rabbitmq-1:5672', 'amqp://u:p@rabbitmq-2:5672']);
    expect(() => loadConfig('api', { ...base, AMQP_URL: 'amqp://u:p@rabbitmq-1:5672,http://rabbitmq-2' })).toThrow(/AMQP_URL must use amqp: or amqps:, got http:/);
  });

  it('parses Redis Sentinel addresses', () => {
    const { REDIS_URL: _, ...rest } = base;
    const config = loadConfig('api', { ...rest, REDIS_SENTINELS: 'sentinel-a:26379, other:26380', REDIS_MASTER_NAME: 'cache' });
    expect(config.redis).toEqual({ sentinels: [{ host: 'sentinel-a', port: 26379 }, { host: 'other', port: 26380 }], masterName: 'cache' });
  });

  it('names every problem at once', () => {
    let message = '';
    try {
      loadConfig('api', { DATABASE_WRITE_URL: 'mysql://x', PORT: 'eighty', LOG_FORMAT: 'xml' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    for (const expected of ['DATABASE_WRITE_URL must use postgres:', 'AMQP_URL is required', 'REDIS_URL or REDIS_SENTINELS', 'API_CLIENTS must name', 'PORT must be an integer', 'LOG_FORMAT must be json or ecs']) {
      expect(message).toContain(expected);
    }
  });

  it('the worker needs no API clients', () => {
    const { API_CLIENTS: _, ...rest } = base;
    expect(loadConfig('worker', rest).clients).toEqual([]);
  });

  it('rejects short keys, bad names, bad rates and duplicates', () => {
    const problems: string[] = [];
    parseClients('Web:short,ok:key-0123456789:0,ok:key-9876543210', problems);
    expect(problems.join('\n')).toMatch(/client name "Web"/);
    expect(problems.join('\n')).toMatch(/at least 8 characters/);
    expect(problems.join('\n')).toMatch(/rate of "ok" must be a positive integer/);
    expect(problems.join('\n')).toMatch(/must be unique/);
  });
});
