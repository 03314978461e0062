import { targets } from '../../src/core/targets.ts';
import { gauge, num, series } from '../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, PromtoolCase } from '../../src/core/monitoring.ts';

const threshold = targets.alertRules.queueDepth;
const MINUTES = 30;

/** RabbitMQ's own per-queue series (rabbitmq_prometheus per-object metrics): it still answers when the worker is down. */
function depth(name: string, ready: number): PromtoolCase {
  const labels = { instance: 'rabbitmq:15692', job: 'rabbitmq', queue: 'events.process', vhost: '/' };
  return {
    name,
    interval: '1m',
    inputSeries: [{ series: series('rabbitmq_queue_messages_ready', labels), values: gauge(ready, MINUTES) }],
    evalTime: `${MINUTES}m`,
    expectLabels: { queue: 'events.process', vhost: '/' },
  };
}

const queueDepth: AlertDefinition = {
  rule: (p) => ({
    alert: 'QueueDepthHigh',
    severity: 'medium',
    family: 'queue',
    expr: `max by (vhost, queue) (rabbitmq_queue_messages_ready) > ${num(threshold)}`,
    for: p.forBySeverity.medium,
    summary: `Queue depth above ${num(threshold)}`,
    description: `Queue {{ $labels.queue }} holds more than ${num(threshold)} ready messages: its consumers are gone or too slow.`,
  }),
  tests: () => ({
    fires: depth(`QueueDepthHigh fires at ${threshold + 1} ready messages`, threshold + 1),
    boundary: { ...depth(`QueueDepthHigh stays quiet at exactly ${threshold} ready messages`, threshold), expectLabels: null },
  }),
};

export const queue: Component = { name: 'queue', recordingRules: () => [], alerts: [queueDepth] };
