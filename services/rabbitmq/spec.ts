import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { queue } from './alerts.ts';
import { queuePanels } from './panels.ts';

export const AMQP_PORT = 5672;
export const METRICS_PORT = 15692;

/** RabbitMQ (Debian) with the rabbitmq_prometheus plugin (per-queue series): the order events' broker. */
export const rabbitmq: ServiceSpec = {
  name: 'rabbitmq',
  summary: 'RabbitMQ: quorum queue of order events with a dead-letter queue; per-queue metrics',
  image: { build: 'rabbitmq' },
  replicas: 1,
  dependsOn: [],
  // The node name (rabbit@<hostname>) names its data directory: fixed, so kept data is found again.
  hostname: true,
  env: (ctx) => ({
    RABBITMQ_DEFAULT_USER: ctx.secrets.rabbitmqUser,
    RABBITMQ_DEFAULT_PASS: ctx.secrets.rabbitmqPassword,
    RABBITMQ_ERLANG_COOKIE: ctx.secrets.rabbitmqCookie,
  }),
  ports: [
    { name: 'amqp', container: AMQP_PORT, publish: { env: [15672] } },
    { name: 'metrics', container: METRICS_PORT, publish: { env: [15692] }, http: '/metrics' },
  ],
  // The metrics listener starts with the broker's plugins, after the AMQP listener.
  health: { command: `${tcpProbe(AMQP_PORT)} && ${tcpProbe(METRICS_PORT)}`, startPeriodSeconds: 180 },
  volumes: [{ name: 'data', target: '/var/lib/rabbitmq' }],
  scrape: [{ job: 'rabbitmq', port: 'metrics', down: { severity: 'medium', blind: 'queue depths and broker health: a backlog would grow unseen' } }],
  faults: [{ verb: 'memory-alarm', summary: 'set the memory high watermark to 0: every publisher is blocked until it is lifted' }],
  alerts: [queue],
  panels: queuePanels,
};
