import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const PROMETHEUS_IMAGE = imageRef('prometheus');
export const PROMETHEUS_PORT = 9090;

export interface PrometheusOptions {
  networkName: string;
  alias?: string;
  /** prometheus.yml content. */
  config: string;
  /** Rule files by file name, written to /etc/prometheus/rules/. */
  rules: Map<string, string>;
}

/** A Prometheus server with the given configuration and rules, its web port published on 127.0.0.1. */
export async function startPrometheus(options: PrometheusOptions): Promise<StartedTestContainer> {
  return new GenericContainer(PROMETHEUS_IMAGE)
    .withLabels(runLabels())
    .withNetworkMode(options.networkName)
    .withNetworkAliases(options.alias ?? 'prometheus')
    .withExposedPorts(PROMETHEUS_PORT)
    .withCopyContentToContainer([
      { content: options.config, target: '/etc/prometheus/prometheus.yml', mode: 0o644 },
      ...[...options.rules].map(([name, content]) => ({ content, target: `/etc/prometheus/rules/${name}`, mode: 0o644 })),
    ])
    .withWaitStrategy(Wait.forHttp('/-/ready', PROMETHEUS_PORT).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
}

/** The image with its tools (promtool) idle, for running checks with exec. */
export function prometheusToolbox(): GenericContainer {
  return new GenericContainer(PROMETHEUS_IMAGE).withLabels(runLabels()).withEntrypoint(['sleep']).withCommand(['600']);
}
