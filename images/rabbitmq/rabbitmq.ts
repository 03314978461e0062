import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { runLabels } from '../../src/core/docker/labels.ts';
import { imageRef } from '../../src/core/images/catalog.ts';

export const RABBITMQ_IMAGE = imageRef('rabbitmq');
export const AMQP_PORT = 5672;
export const PROMETHEUS_PORT = 15692;

export interface StartedRabbitMq {
  container: StartedTestContainer;
  /** amqp://user:pass@<alias>:5672 for containers on the network. */
  amqpUrl: string;
  /** amqp://user:pass@127.0.0.1:<published> for the test process. */
  hostAmqpUrl: string;
  /** http://127.0.0.1:<published>/metrics (rabbitmq_prometheus, per-object series). */
  hostMetricsUrl: string;
  stop(): Promise<void>;
}

export interface RabbitMqOptions {
  network?: string;
  alias?: string;
  user?: string;
  password?: string;
  /** The Erlang cookie; nodes of one cluster must share it. A random one is made when omitted. */
  erlangCookie?: string;
}

/** rabbitmq-server from Debian with rabbitmq_prometheus, as a labelled container. */
export function rabbitmqContainer(options: RabbitMqOptions = {}): GenericContainer {
  let container = new GenericContainer(RABBITMQ_IMAGE)
    .withLabels(runLabels())
    .withEnvironment({
      RABBITMQ_DEFAULT_USER: options.user ?? 'refstack',
      RABBITMQ_DEFAULT_PASS: options.password ?? 'refstack-secret',
      ...(options.erlangCookie ? { RABBITMQ_ERLANG_COOKIE: options.erlangCookie } : {}),
    })
    .withExposedPorts(AMQP_PORT, PROMETHEUS_PORT)
    .withWaitStrategy(Wait.forLogMessage(/Server startup complete/))
    .withStartupTimeout(120_000);
  if (options.network) container = container.withNetworkMode(options.network).withNetworkAliases(options.alias ?? 'rabbitmq');
  return container;
}

export async function startRabbitMq(options: RabbitMqOptions = {}): Promise<StartedRabbitMq> {
  const user = options.user ?? 'refstack';
  const password = options.password ?? 'refstack-secret';
  const container = await rabbitmqContainer({ ...options, user, password }).start();
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return {
    container,
    amqpUrl: `amqp://${auth}@${options.alias ?? 'rabbitmq'}:${AMQP_PORT}`,
    hostAmqpUrl: `amqp://${auth}@127.0.0.1:${container.getMappedPort(AMQP_PORT)}`,
    hostMetricsUrl: `http://127.0.0.1:${container.getMappedPort(PROMETHEUS_PORT)}/metrics`,
    async stop() {
      await container.stop();
    },
  };
}
