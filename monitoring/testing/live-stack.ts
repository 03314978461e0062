import type { StartedTestContainer } from 'testcontainers';
import { ALERTMANAGER_PORT, startAlertmanager } from '../../services/alertmanager/alertmanager.ts';
import { PROMETHEUS_PORT, startPrometheus } from '../../services/prometheus/prometheus.ts';
import { docker } from '../../src/core/docker/engine.ts';
import { renderAlertmanagerConfig } from '../../services/alertmanager/config.ts';
import { test as testProfile } from '../lib/profiles.ts';
import { components } from '../mixin.ts';
import { renderPrometheusConfig, type ScrapeJob } from '../../services/prometheus/config.ts';
import { renderRuleFile, ruleFileName } from '../render/rules.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

export interface MonitoringStack {
  prometheus: StartedTestContainer;
  alertmanager: StartedTestContainer;
  webhook: WebhookReceiver;
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Instant query; throws with Prometheus' own error for an invalid expression. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Alertmanager's view of one alert: active, or suppressed (and by what). */
  alertmanagerAlerts(alertname: string): Promise<Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>>;
  stop(): Promise<void>;
}

/** The gateway address of a docker network: how its containers reach a server in the test process. */
export async function networkGateway(networkName: string): Promise<string> {
  const info = await docker().getNetwork(networkName).inspect();
  const gateway = (info as { IPAM?: { Config?: Array<{ Gateway?: string }> } }).IPAM?.Config?.[0]?.Gateway;
  if (!gateway) throw new Error(`network ${networkName} has no IPv4 gateway`);
  return gateway;
}

/**
 * Prometheus (test profile: 1 s scrape and evaluation, the generated test-profile rules) and
 * Alertmanager (group_wait 1 s) on `networkName`, notifying a webhook receiver in this process.
 */
export async function startMonitoringStack(options: { networkName: string; jobs: ScrapeJob[] }): Promise<MonitoringStack> {
  const webhook = new WebhookReceiver();
  const webhookBase = await webhook.listen(await networkGateway(options.networkName));
  const rules = new Map(components.map((c) => [ruleFileName(c), renderRuleFile(c, testProfile)]));
  const [prometheus, alertmanager] = await Promise.all([
    startPrometheus({
      networkName: options.networkName,
      config: renderPrometheusConfig(testProfile, { jobs: [...options.jobs, { job: 'prometheus', targets: ['localhost:9090'] }] }),
      rules,
    }),
    startAlertmanager({ networkName: options.networkName, config: renderAlertmanagerConfig(testProfile, webhookBase) }),
  ]);
  const prometheusUrl = `http://127.0.0.1:${prometheus.getMappedPort(PROMETHEUS_PORT)}`;
  const alertmanagerUrl = `http://127.0.0.1:${alertmanager.getMappedPort(ALERTMANAGER_PORT)}`;
  return {
    prometheus,
    alertmanager,
    webhook,
    prometheusUrl,
    alertmanagerUrl,
    async query(expr) {
      const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
      if (body.status !== 'success') throw new Error(`Prometheus rejected "${expr}": ${body.error}`);
      if (body.data?.resultType !== 'vector') throw new Error(`"${expr}" returned a ${body.data?.resultType}, not a vector`);
      return body.data.result as Array<{ metric: Record<string, string>; value: [number, string] }>;
    },
    async alertmanagerAlerts(alertname) {
      const filter = encodeURIComponent(`alertname="${alertname}"`);
      const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=${filter}`, { signal: AbortSignal.timeout(10_000) });
      return (await response.json()) as Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>;
    },
    async stop() {
      await Promise.allSettled([prometheus.stop(), alertmanager.stop(), webhook.close()]);
    },
  };
}
