import type { ServiceSpec, SpecContext } from '../../src/core/spec.ts';
import { cache } from './alerts.ts';
import { redisInfo, sentinelMaster } from './probe.ts';

export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** The name Sentinel monitors the master by, and the app asks for (REDIS_MASTER_NAME). */
export const MASTER_NAME = 'mymaster';

/**
 * A master refuses writes while no replica has acknowledged within min-replicas-max-lag: what a master cut off
 * from its replicas accepts (and loses when Sentinel's promotion wins) is bounded by that window. Persistence
 * is off, and a replica deletes the snapshot of its last full sync once loaded (`rdb-del-sync-files`), so a
 * restarted node never serves entries from an old sync.
 */
const serverArgs = (ctx: SpecContext) => [
  'redis-server',
  ...['--appendonly', 'no', '--save', '', '--rdb-del-sync-files', 'yes', '--replica-announce-ip', ctx.instance],
  ...['--min-replicas-to-write', '1', '--min-replicas-max-lag', String(ctx.profile.sentinel.minReplicasMaxLagSeconds)],
];

/**
 * Redis master + two replicas. Every node announces its DNS name, so Sentinel hands clients a name, never a
 * container address. The options apply on every start; `--replicaof` is the *first* role only: the entrypoint
 * writes it to /data/redis.conf once, and Sentinel's CONFIG REWRITE keeps the node's current role there, so a
 * restarted node does not come back as a replica of whoever was master at creation. The health check is
 * role-agnostic.
 */
export const redis: ServiceSpec = {
  name: 'redis',
  summary: 'Redis 7 (Debian) master + two replicas: the cache and rate-limit store',
  image: { build: 'redis' },
  replicas: 3,
  instanceName: (i) => `redis${i + 1}`,
  dependsOn: [],
  firstInstanceBootstraps: true,
  command: (ctx) => (ctx.index === 0 ? serverArgs(ctx) : [...serverArgs(ctx), '--replicaof', ctx.instances('redis')[0]!, String(REDIS_PORT)]),
  ports: [{ name: 'redis', container: REDIS_PORT, publish: { env: [16379, 16380, 16381] } }],
  volumes: [{ name: 'data', target: '/data' }],
  health: { command: `redis-cli info replication | grep -Eq 'role:master|master_link_status:up'` },
  scrape: [],
  alerts: [cache],
  faults: [{ verb: 'maxmemory', summary: 'maxmemory 1 B with noeviction: every write refused with OOM, reads still answer' }],
  describe: async (instance) => {
    const info = await redisInfo(await instance.hostPort('redis'), 'replication');
    if (info.role === 'master') {
      // slaveN:ip=redis2,port=6379,state=online,offset=…,lag=… (lag: seconds since the replica's last ack)
      const replicas = Object.entries(info)
        .filter(([k]) => /^slave\d+$/.test(k))
        .map(([, v]) => Object.fromEntries(v.split(',').map((kv) => kv.split('=') as [string, string])))
        .map((r) => `${r.ip} ${r.state}, ${Number(info.master_repl_offset ?? 0) - Number(r.offset ?? 0)} B behind, last ack ${r.lag ?? '?'} s ago`);
      return `master; replicas: ${replicas.join('; ') || 'none'}`;
    }
    return `replica of ${info.master_host ?? '?'}, link ${info.master_link_status ?? '?'}, last I/O ${info.master_last_io_seconds_ago ?? '?'} s ago`;
  },
};

const sentinelEnv = (ctx: SpecContext): Record<string, string> => ({
  SENTINEL_MASTER_NAME: MASTER_NAME,
  SENTINEL_MASTER_HOST: ctx.instances('redis')[0]!,
  SENTINEL_QUORUM: String(ctx.profile.sentinel.quorum),
  SENTINEL_ANNOUNCE_HOSTNAME: ctx.instance,
  SENTINEL_DOWN_AFTER_MS: String(ctx.profile.sentinel.downAfterMs),
  SENTINEL_FAILOVER_TIMEOUT_MS: String(ctx.profile.sentinel.failoverTimeoutMs),
});

/**
 * Three Redis Sentinels (quorum 2): a master down for down-after on two of them is failed over by the one a
 * majority elects. Each keeps its state — current master, epoch, known Sentinels and replicas — in
 * /data/sentinel.conf on its volume; the entrypoint creates that file on the first start only (and sets the
 * profile's quorum and timings in it on every start), so a restarted Sentinel names the master it last knew,
 * not the one the stack was created with.
 */
export const sentinel: ServiceSpec = {
  name: 'redis-sentinel',
  summary: 'Redis Sentinel ×3, quorum 2: failure detection and promotion for the Redis tier; clients ask them for the master',
  image: { build: 'redis' },
  replicas: 3,
  dependsOn: ['redis'],
  command: () => ['redis-sentinel'],
  env: sentinelEnv,
  ports: [{ name: 'sentinel', container: SENTINEL_PORT, publish: { env: [16391, 16392, 16393] } }],
  volumes: [{ name: 'data', target: '/data' }],
  health: { command: `redis-cli -p ${SENTINEL_PORT} sentinel get-master-addr-by-name ${MASTER_NAME} | grep -q redis` },
  describe: async (instance) => `master ${MASTER_NAME} → ${(await sentinelMaster(await instance.hostPort('sentinel'), MASTER_NAME)).join(':')}`,
};
