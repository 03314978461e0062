import { afterAll, beforeAll } from 'vitest';
import type { AlertRule } from '../../src/core/monitoring.ts';
import type { RunningStack } from '../../src/stack/docker/stack.ts';
import { allAlertRules } from '../mixin.ts';
import { monitoringOf, type Monitoring } from './observe.ts';
import { AlertProofs } from './scenario.ts';
import { startHealthyDay, type HealthyDay } from './traffic.ts';

export interface LiveMonitoring {
  monitoring(): Monitoring;
  proofs(): AlertProofs;
  /** The healthy day's traffic, running from before the first test to after the last. */
  day(): HealthyDay;
  /** The stack's alert rules by name. */
  rules(): Map<string, AlertRule>;
}

/**
 * For a live alert suite: before its tests, the stack's Prometheus, Alertmanager and alert receiver, and a
 * healthy day's traffic ({@link startHealthyDay}, stopped after the tests or after `maxTrafficSeconds`).
 */
export function useLiveMonitoring(stack: () => RunningStack, maxTrafficSeconds: number): LiveMonitoring {
  let monitoring: Monitoring | undefined;
  let proofs: AlertProofs | undefined;
  let day: HealthyDay | undefined;
  beforeAll(async () => {
    monitoring = await monitoringOf(stack());
    proofs = new AlertProofs(monitoring, stack().profile);
    day = await startHealthyDay(stack(), maxTrafficSeconds);
  }, 300_000);
  afterAll(async () => {
    await Promise.all(day?.all.map((l) => l.stop()) ?? []);
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('live monitoring did not start (see the error of beforeAll above)');
    return value;
  };
  return {
    monitoring: () => ready(monitoring),
    proofs: () => ready(proofs),
    day: () => ready(day),
    rules: () => new Map(allAlertRules(stack().profile.monitoring).map((r) => [r.alert, r])),
  };
}
