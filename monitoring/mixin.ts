import type { AlertRule, Component, MonitoringTiming } from '../src/core/monitoring.ts';
import type { ServiceSpec } from '../src/core/spec.ts';
import { scrapeHealth } from '../services/prometheus/scrape-health.ts';
import { STACK } from '../src/stack/definition.ts';

/** The folder of the service that owns a component: its image folder; the scrape-health family is Prometheus'. */
const ownerFolder = (s: ServiceSpec) => ('build' in s.image ? s.image.build : s.name);

/** Every service's alert components, in the stack's order, then the scrape-health family of its jobs: refstack's monitoring mixin. */
export function components(stack: readonly ServiceSpec[] = STACK): Component[] {
  return [...stack.flatMap((s) => s.alerts ?? []), scrapeHealth(stack.map((spec) => ({ spec })))];
}

/** Every alert rule with the folder of the service that defines it (services/<folder>/). */
export function allAlertRules(timing: MonitoringTiming, stack: readonly ServiceSpec[] = STACK): Array<AlertRule & { component: string; service: string }> {
  const owned = stack.flatMap((s) => (s.alerts ?? []).map((c) => ({ c, folder: ownerFolder(s) })));
  const all = [...owned, { c: scrapeHealth(stack.map((spec) => ({ spec }))), folder: 'prometheus' }];
  return all.flatMap(({ c, folder }) => c.alerts.map((a) => ({ ...a.rule(timing), component: c.name, service: folder })));
}
