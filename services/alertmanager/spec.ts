import { httpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { renderAlertmanagerConfig } from './config.ts';

const PORT = 9093;

/** Alertmanager: routes by severity (page / ticket / chat) to the alert receiver, inhibits lower severities of a family. */
export const alertmanager: ServiceSpec = {
  name: 'alertmanager',
  summary: 'Alertmanager: severity routing (high → page, medium → ticket, low → chat) and inhibition',
  image: { build: 'alertmanager' },
  replicas: 1,
  dependsOn: ['alert-receiver'],
  files: (ctx) => [{ path: '/etc/alertmanager/alertmanager.yml', content: renderAlertmanagerConfig(ctx.profile.monitoring, `http://${ctx.address('alert-receiver', 'http')}`) }],
  ports: [{ name: 'http', container: PORT, publish: { env: [19093] }, http: '/' }],
  health: { command: httpProbe(PORT, '/-/ready') },
  describe: async (instance) => {
    const response = await fetch(`http://127.0.0.1:${await instance.hostPort('http')}/api/v2/alerts?active=true`, { signal: AbortSignal.timeout(1_500) });
    const alerts = (await response.json()) as Array<{ labels: { alertname: string } }>;
    return alerts.length ? `${alerts.length} active: ${[...new Set(alerts.map((a) => a.labels.alertname))].join(', ')}` : 'no active alerts';
  },
};
