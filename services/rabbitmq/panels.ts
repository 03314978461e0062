import { type DashboardPanel } from '../../src/core/monitoring.ts';
import { targets } from '../../src/core/targets.ts';

const t = targets.alertRules;

export const queuePanels: DashboardPanel[] = [
  {
    dashboard: 'application',
    row: 'Cache and queue',
    title: 'Queue depth',
    description: 'Ready messages per queue, from RabbitMQ.',
    kind: 'timeseries',
    unit: 'short',
    queries: [{ expr: 'sum by (queue) (rabbitmq_queue_messages_ready)', legend: '{{queue}}' }],
    thresholds: [t.queueDepth],
  },
];
