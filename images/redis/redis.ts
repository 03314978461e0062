import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const REDIS_IMAGE = imageRef('redis');
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;

/** A standalone redis-server from refstack's Debian-built image. */
export function redisContainer(): GenericContainer {
  return new GenericContainer(REDIS_IMAGE)
    .withLabels(runLabels())
    .withCommand(['redis-server', '--appendonly', 'no', '--save', ''])
    .withExposedPorts(REDIS_PORT)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(60_000);
}

export interface RedisSentinelSet {
  masterName: string;
  /** Host:port pairs as seen from containers on the network (what an app container is given). */
  sentinels: Array<{ host: string; port: number }>;
  /** REDIS_SENTINELS value for an app container on the network. */
  sentinelsEnv: string;
  /** redis://host:port of the current master as seen from containers on the network. */
  masterUrl: string;
  /** redis://127.0.0.1:<published port> of the first master, for the test process. */
  hostMasterUrl: string;
  master: StartedTestContainer;
  replica: StartedTestContainer;
  sentinel: StartedTestContainer;
  stop(): Promise<void>;
}

/**
 * Master + replica + one Sentinel (quorum 1) on a network, with stable aliases
 * `<prefix>-master`, `<prefix>-replica`, `<prefix>-sentinel`. Sentinel announces hostnames, so
 * clients on the network are sent to an alias, never to a container IP.
 */
export async function startRedisSentinelSet(options: { network: string; prefix?: string; masterName?: string; downAfterMs?: number }): Promise<RedisSentinelSet> {
  const prefix = options.prefix ?? 'redis';
  const masterName = options.masterName ?? 'mymaster';
  const master = await redisContainer()
    .withNetworkMode(options.network)
    .withNetworkAliases(`${prefix}-master`)
    .withCommand(['redis-server', '--appendonly', 'no', '--save', '', '--replica-announce-ip', `${prefix}-master`])
    .start();
  const replica = await redisContainer()
    .withNetworkMode(options.network)
    .withNetworkAliases(`${prefix}-replica`)
    .withCommand(['redis-server', '--appendonly', 'no', '--save', '', '--replicaof', `${prefix}-master`, String(REDIS_PORT), '--replica-announce-ip', `${prefix}-replica`])
    .withWaitStrategy(Wait.forLogMessage(/MASTER <-> REPLICA sync: Finished with success/))
    .start();
  const sentinel = await new GenericContainer(REDIS_IMAGE)
    .withLabels(runLabels())
    .withNetworkMode(options.network)
    .withNetworkAliases(`${prefix}-sentinel`)
    .withCommand(['redis-sentinel'])
    .withEnvironment({
      SENTINEL_MASTER_NAME: masterName,
      SENTINEL_MASTER_HOST: `${prefix}-master`,
      SENTINEL_ANNOUNCE_HOSTNAME: `${prefix}-sentinel`,
      SENTINEL_DOWN_AFTER_MS: String(options.downAfterMs ?? 3_000),
    })
    .withExposedPorts(SENTINEL_PORT)
    .withWaitStrategy(Wait.forLogMessage(/\+monitor master/))
    .withStartupTimeout(60_000)
    .start();
  const sentinels = [{ host: `${prefix}-sentinel`, port: SENTINEL_PORT }];
  return {
    masterName,
    sentinels,
    sentinelsEnv: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    masterUrl: `redis://${prefix}-master:${REDIS_PORT}`,
    hostMasterUrl: `redis://127.0.0.1:${master.getMappedPort(REDIS_PORT)}`,
    master,
    replica,
    sentinel,
    async stop() {
      await Promise.allSettled([sentinel.stop(), replica.stop(), master.stop()]);
    },
  };
}
