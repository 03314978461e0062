import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const POSTGRES_EXPORTER_PORT = 9187;

/** postgres_exporter for one server; `url` is a postgres:// URL as seen from the network. */
export function startPostgresExporter(options: { networkName: string; alias: string; url: string }): Promise<StartedTestContainer> {
  const dsn = options.url.includes('sslmode=') ? options.url : `${options.url}${options.url.includes('?') ? '&' : '?'}sslmode=disable`;
  return new GenericContainer(imageRef('postgres-exporter'))
    .withLabels(runLabels())
    .withNetworkMode(options.networkName)
    .withNetworkAliases(options.alias)
    .withEnvironment({ DATA_SOURCE_NAME: dsn })
    .withExposedPorts(POSTGRES_EXPORTER_PORT)
    .withWaitStrategy(Wait.forHttp('/metrics', POSTGRES_EXPORTER_PORT).forStatusCode(200))
    .start();
}
