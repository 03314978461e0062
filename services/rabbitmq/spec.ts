import { tcpProbe, type ServiceSpec, type SpecContext } from '../../src/core/spec.ts';
import { queue } from './alerts.ts';
import { queuePanels } from './panels.ts';

export const AMQP_PORT = 5672;
export const METRICS_PORT = 15692;

/** The Erlang node names of the stack's RabbitMQ nodes: rabbit@<instance name> (each node's hostname). */
export function brokerNodes(ctx: SpecContext): string[] {
  return ctx.addresses('rabbitmq', 'amqp').map((a) => `rabbit@${a.slice(0, a.lastIndexOf(':'))}`);
}

/**
 * RabbitMQ (Debian) with the rabbitmq_prometheus plugin (per-queue series): the order events' broker. Three
 * nodes form one cluster by classic peer discovery, with pause_minority (a node cut off from the majority
 * stops serving clients, which reconnect to the others); the work queues are quorum queues with a member on
 * every node. Every node also answers to `rabbitmq`.
 */
export const rabbitmq: ServiceSpec = {
  name: 'rabbitmq',
  summary: 'RabbitMQ ×3 (one cluster, pause_minority): quorum queue of order events on every node, a dead-letter queue; per-queue metrics',
  image: { build: 'rabbitmq' },
  replicas: 3,
  scale: { min: 1, max: 3 },
  dependsOn: [],
  aliases: () => ['rabbitmq'],
  // The node name (rabbit@<hostname>) names its data directory: fixed, so kept data is found again.
  hostname: true,
  env: (ctx) => {
    const nodes = brokerNodes(ctx);
    return {
      RABBITMQ_DEFAULT_USER: ctx.secrets.rabbitmqUser,
      RABBITMQ_DEFAULT_PASS: ctx.secrets.rabbitmqPassword,
      RABBITMQ_ERLANG_COOKIE: ctx.secrets.rabbitmqCookie,
      ...(nodes.length > 1 ? { RABBITMQ_CLUSTER_NODES: nodes.join(',') } : {}),
      // No scheduler busy-waiting: three idle Erlang VMs would otherwise spin on a 2-core machine.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-kernel net_ticktime ${ctx.profile.broker.netTicktimeSeconds} +sbwt none +sbwtdcpu none +sbwtdio none`,
    };
  },
  ports: [
    { name: 'amqp', container: AMQP_PORT, publish: { env: [15672, 15673, 15674] } },
    { name: 'metrics', container: METRICS_PORT, publish: { env: [15692, 15693, 15694] }, http: '/metrics' },
  ],
  // The metrics listener starts with the broker's plugins, after the AMQP listener.
  health: { command: `${tcpProbe(AMQP_PORT)} && ${tcpProbe(METRICS_PORT)}`, startPeriodSeconds: 180 },
  volumes: [{ name: 'data', target: '/var/lib/rabbitmq' }],
  // As a supervisor would (Kubernetes restarts a pod whose liveness probe fails): the entrypoint's watchdog
  // kills a node stuck restarting after a partition.
  restart: 'on-failure',
  scrape: [{ job: 'rabbitmq', port: 'metrics', down: { severity: 'medium', blind: 'queue depths and broker health: a backlog would grow unseen' } }],
  faults: [{ verb: 'memory-alarm', summary: 'set the memory high watermark to 0: every publisher is blocked until it is lifted' }],
  alerts: [queue],
  panels: queuePanels,
};
