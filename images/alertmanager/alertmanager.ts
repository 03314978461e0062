import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const ALERTMANAGER_IMAGE = imageRef('alertmanager');
export const ALERTMANAGER_PORT = 9093;

/** An Alertmanager with the given configuration, its web port published on 127.0.0.1. */
export async function startAlertmanager(options: { networkName: string; alias?: string; config: string }): Promise<StartedTestContainer> {
  return new GenericContainer(ALERTMANAGER_IMAGE)
    .withLabels(runLabels())
    .withNetworkMode(options.networkName)
    .withNetworkAliases(options.alias ?? 'alertmanager')
    .withExposedPorts(ALERTMANAGER_PORT)
    .withCopyContentToContainer([{ content: options.config, target: '/etc/alertmanager/alertmanager.yml', mode: 0o644 }])
    .withWaitStrategy(Wait.forHttp('/-/ready', ALERTMANAGER_PORT).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
}

/** The image with amtool idle, for running checks with exec. */
export function alertmanagerToolbox(): GenericContainer {
  return new GenericContainer(ALERTMANAGER_IMAGE).withLabels(runLabels()).withEntrypoint(['sleep']).withCommand(['600']);
}
