import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const REDIS_EXPORTER_PORT = 9121;

/** redis_exporter for one Redis; `redisUrl` is redis://host:port as seen from the network. */
export function startRedisExporter(options: { networkName: string; alias: string; redisUrl: string }): Promise<StartedTestContainer> {
  return new GenericContainer(imageRef('redis-exporter'))
    .withLabels(runLabels())
    .withNetworkMode(options.networkName)
    .withNetworkAliases(options.alias)
    .withEnvironment({ REDIS_ADDR: options.redisUrl })
    .withExposedPorts(REDIS_EXPORTER_PORT)
    .withWaitStrategy(Wait.forHttp('/metrics', REDIS_EXPORTER_PORT).forStatusCode(200))
    .start();
}
