import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { redis } from '../redis/spec.ts';

const PORT = 9121;

/** redis_exporter (Debian) beside each Redis instance: a failover never leaves the new master unwatched. */
export const redisExporter: ServiceSpec = {
  name: 'redis-exporter',
  summary: 'redis_exporter per Redis instance: keyspace hits and misses, memory, role and replication',
  image: { build: 'redis-exporter' },
  replicas: 1,
  perInstanceOf: 'redis',
  instanceName: (i) => `${redis.instanceName!(i)}-exporter`,
  dependsOn: ['redis'],
  env: (ctx) => ({ REDIS_ADDR: `redis://${ctx.addresses('redis', 'redis')[ctx.index]}` }),
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  scrape: [{ job: 'redis', port: 'metrics', down: { severity: 'medium', blind: 'cache hits, misses, memory and replication of that Redis instance' } }],
};
