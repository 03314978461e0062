import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const NODE_EXPORTER_PORT = 9100;
/** A small tmpfs the disk alerts are proven on: filling it is fast, bounded and harmless. */
export const SMALL_FS_MOUNTPOINT = '/data/small';

/**
 * node_exporter in a container: CPU, memory and network are the host's (/proc is not namespaced for
 * those); filesystems are the container's own, including a `smallFsMiB` tmpfs at SMALL_FS_MOUNTPOINT.
 */
export function startNodeExporter(options: { networkName: string; alias: string; smallFsMiB: number }): Promise<StartedTestContainer> {
  return new GenericContainer(imageRef('node-exporter'))
    .withLabels(runLabels())
    .withNetworkMode(options.networkName)
    .withNetworkAliases(options.alias)
    .withTmpFs({ [SMALL_FS_MOUNTPOINT]: `rw,size=${options.smallFsMiB}m` })
    .withExposedPorts(NODE_EXPORTER_PORT)
    .withWaitStrategy(Wait.forHttp('/metrics', NODE_EXPORTER_PORT).forStatusCode(200))
    .start();
}
