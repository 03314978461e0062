import type { ServiceSpec } from '../../src/core/spec.ts';
import { renderGrafanaFiles } from '../../monitoring/render/dashboards.ts';

const PORT = 3000;
/** Pinned upstream image: Grafana cannot be built from Debian's packages (and is not used on registry-less machines). */
export const GRAFANA_IMAGE = 'grafana/grafana-oss:11.3.0';

/** Grafana with the provisioned Prometheus data source and the plan's four dashboards, where its image can be pulled. */
export const grafana: ServiceSpec = {
  name: 'grafana',
  summary: "Grafana (laptops): the plan's four dashboards, provisioned from the services' panels",
  image: { pull: GRAFANA_IMAGE, laptopOnly: true },
  replicas: 1,
  dependsOn: ['prometheus'],
  env: () => ({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer', GF_ANALYTICS_REPORTING_ENABLED: 'false' }),
  files: (ctx) => renderGrafanaFiles(ctx.services(), `http://${ctx.address('prometheus', 'http')}`),
  ports: [{ name: 'http', container: PORT, publish: { env: [13000] }, http: '/' }],
  health: { command: `wget -q -O /dev/null http://127.0.0.1:${PORT}/api/health || curl -fsS -o /dev/null http://127.0.0.1:${PORT}/api/health` },
};
