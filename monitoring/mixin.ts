import type { AlertRule, Component, MonitoringTiming } from '../src/core/monitoring.ts';
import type { ServiceSpec } from '../src/core/spec.ts';
import { STACK } from '../src/stack/definition.ts';

/** Every service's alert components, in the stack's order: refstack's monitoring mixin. */
export function components(stack: readonly ServiceSpec[] = STACK): Component[] {
  return stack.flatMap((s) => s.alerts ?? []);
}

/** Every alert rule with the image folder of the service that defines it (services/<folder>/). */
export function allAlertRules(timing: MonitoringTiming, stack: readonly ServiceSpec[] = STACK): Array<AlertRule & { component: string; service: string }> {
  return stack.flatMap((s) => (s.alerts ?? []).flatMap((c) => c.alerts.map((a) => ({ ...a.rule(timing), component: c.name, service: 'build' in s.image ? s.image.build : s.name }))));
}
