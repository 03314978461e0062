import { api } from './api/alerts.ts';
import { cache } from './cache/alerts.ts';
import { database } from './database/alerts.ts';
import type { AlertRule, Component, Profile } from './lib/types.ts';
import { queue } from './queue/alerts.ts';
import { slo } from './slo/alerts.ts';
import { system } from './system/alerts.ts';

/** Every component of refstack's monitoring mixin, in the order their rule files are written. */
export const components: Component[] = [api, slo, database, cache, queue, system];

/** Where runbook_url points: the generated runbook page, one anchor per alert. */
export const RUNBOOK_PATH = 'monitoring/RUNBOOKS.md';

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_PATH}#${alert.toLowerCase()}`;
}

export function allAlertRules(profile: Profile): Array<AlertRule & { component: string }> {
  return components.flatMap((c) => c.alerts.map((a) => ({ ...a.rule(profile), component: c.name })));
}
