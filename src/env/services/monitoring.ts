import { join } from 'node:path';
import { ALERTMANAGER_PORT } from '../../../images/alertmanager/alertmanager.ts';
import { DEFAULT_WEBHOOK_BASE } from '../../../monitoring/alertmanager/config.ts';
import { PROMETHEUS_PORT } from '../../../images/prometheus/prometheus.ts';
import { ROOT } from '../../core/paths.ts';
import { ENV_PORTS } from '../ports.ts';
import { healthcheck, tcpProbe, type ServiceDefinition } from '../service.ts';
import { bind, published, volume } from './options.ts';
import { ELASTICSEARCH_PORT } from './app.ts';

/** Pinned upstream images of the laptop-only services (they cannot be built from Debian packages). */
export const GRAFANA_IMAGE = 'grafana/grafana-oss:11.3.0';
export const ELASTICSEARCH_IMAGE = 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3';
const GRAFANA_PORT = 3000;
const NODE_EXPORTER_PORT = 9100;
const GRAFANA_DIR = join(ROOT, 'monitoring', 'generated', 'grafana');

const json = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(1_500) })).json();

// Prometheus and Alertmanager run the generated configuration baked into their images (monitoring/generated).
const prometheus: ServiceDefinition = {
  name: 'prometheus',
  dependsOn: ['alertmanager'],
  image: { build: 'prometheus' },
  endpoints: [{ name: 'Prometheus', url: `http://127.0.0.1:${ENV_PORTS.prometheus}/` }],
  create: () => ({
    Healthcheck: healthcheck(`curl -fsS -o /dev/null http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`),
    HostConfig: { PortBindings: published(ENV_PORTS.prometheus, PROMETHEUS_PORT), Mounts: [volume('refstack-prometheus-data', '/prometheus')] },
  }),
  describe: async () => {
    const body = (await json(`http://127.0.0.1:${ENV_PORTS.prometheus}/api/v1/targets?state=active`)) as { data: { activeTargets: Array<{ health: string }> } };
    const targets = body.data.activeTargets;
    return `${targets.filter((t) => t.health === 'up').length}/${targets.length} scrape targets up`;
  },
};

const WEBHOOK_PORT = Number(new URL(DEFAULT_WEBHOOK_BASE).port);

/** The receiver the generated Alertmanager configuration posts to (page, ticket and chat paths). */
const alertReceiver: ServiceDefinition = {
  name: new URL(DEFAULT_WEBHOOK_BASE).hostname,
  dependsOn: [],
  image: { build: 'webhook-receiver' },
  endpoints: [{ name: 'Alert notifications', url: `http://127.0.0.1:${ENV_PORTS.alertReceiver}/` }],
  create: () => ({
    Healthcheck: healthcheck(tcpProbe(WEBHOOK_PORT)),
    HostConfig: { PortBindings: published(ENV_PORTS.alertReceiver, WEBHOOK_PORT) },
  }),
};

const alertmanager: ServiceDefinition = {
  name: 'alertmanager',
  dependsOn: [alertReceiver.name],
  image: { build: 'alertmanager' },
  endpoints: [{ name: 'Alertmanager', url: `http://127.0.0.1:${ENV_PORTS.alertmanager}/` }],
  create: () => ({
    Healthcheck: healthcheck(`curl -fsS -o /dev/null http://127.0.0.1:${ALERTMANAGER_PORT}/-/ready`),
    HostConfig: { PortBindings: published(ENV_PORTS.alertmanager, ALERTMANAGER_PORT) },
  }),
  describe: async () => {
    const alerts = (await json(`http://127.0.0.1:${ENV_PORTS.alertmanager}/api/v2/alerts?active=true`)) as Array<{ labels: { alertname: string } }>;
    return alerts.length ? `${alerts.length} active: ${[...new Set(alerts.map((a) => a.labels.alertname))].join(', ')}` : 'no active alerts';
  },
};

const nodeExporter: ServiceDefinition = {
  name: 'node-exporter',
  dependsOn: [],
  image: { build: 'node-exporter' },
  endpoints: [],
  create: () => ({ Healthcheck: healthcheck(tcpProbe(NODE_EXPORTER_PORT)) }),
};

const grafana: ServiceDefinition = {
  name: 'grafana',
  dependsOn: ['prometheus'],
  image: { pull: GRAFANA_IMAGE },
  laptop: true,
  endpoints: [{ name: 'Grafana (laptop)', url: `http://127.0.0.1:${ENV_PORTS.grafana}/` }],
  create: () => ({
    Env: ['GF_AUTH_ANONYMOUS_ENABLED=true', 'GF_AUTH_ANONYMOUS_ORG_ROLE=Viewer', 'GF_ANALYTICS_REPORTING_ENABLED=false'],
    Healthcheck: healthcheck(`wget -q -O /dev/null http://127.0.0.1:${GRAFANA_PORT}/api/health || curl -fsS -o /dev/null http://127.0.0.1:${GRAFANA_PORT}/api/health`),
    HostConfig: {
      PortBindings: published(ENV_PORTS.grafana, GRAFANA_PORT),
      Mounts: [bind(join(GRAFANA_DIR, 'provisioning'), '/etc/grafana/provisioning'), bind(join(GRAFANA_DIR, 'dashboards'), '/var/lib/grafana/dashboards')],
    },
  }),
};

const elasticsearch: ServiceDefinition = {
  name: 'elasticsearch',
  dependsOn: [],
  image: { pull: ELASTICSEARCH_IMAGE },
  laptop: true,
  endpoints: [{ name: 'Elasticsearch (laptop)', url: `http://127.0.0.1:${ENV_PORTS.elasticsearch}/` }],
  create: () => ({
    Env: ['discovery.type=single-node', 'xpack.security.enabled=false', 'ES_JAVA_OPTS=-Xms512m -Xmx512m'],
    Healthcheck: healthcheck(`curl -fsS -o /dev/null http://127.0.0.1:${ELASTICSEARCH_PORT}/_cluster/health`, { intervalS: 5, startPeriodS: 240 }),
    HostConfig: { PortBindings: published(ENV_PORTS.elasticsearch, ELASTICSEARCH_PORT), Mounts: [volume('refstack-elasticsearch-data', '/usr/share/elasticsearch/data')] },
  }),
};

export const MONITORING_SERVICES: ServiceDefinition[] = [alertReceiver, alertmanager, prometheus, nodeExporter];
export const LAPTOP_SERVICES: ServiceDefinition[] = [grafana, elasticsearch];
