import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';

const PORT = 9121;

/** redis_exporter (Debian) on the first Redis instance. */
export const redisExporter: ServiceSpec = {
  name: 'redis-exporter',
  summary: 'redis_exporter: keyspace hits and misses, memory, replication of the Redis tier',
  image: { build: 'redis-exporter' },
  replicas: 1,
  dependsOn: ['redis'],
  env: (ctx) => ({ REDIS_ADDR: `redis://${ctx.address('redis', 'redis')}` }),
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  scrape: [{ job: 'redis', port: 'metrics' }],
};
