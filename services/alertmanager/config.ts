import { stringify } from 'yaml';
import { RECEIVER_BY_SEVERITY, type MonitoringTiming, type Severity } from '../../src/core/monitoring.ts';

export { RECEIVER_BY_SEVERITY };


/** Labels that tell two alerts of one family apart: inhibition only applies when all of them match. */
export const INHIBIT_EQUAL = ['family', 'service', 'instance', 'mountpoint', 'queue'];

/** `webhookBase`: the alert receiver's URL as Alertmanager reaches it (receivers post to <base>/page, /ticket, /chat). */
export function alertmanagerConfig(profile: MonitoringTiming, webhookBase: string): Record<string, unknown> {
  const receivers = (['page', 'ticket', 'chat'] as const).map((name) => ({
    name,
    webhook_configs: [{ url: `${webhookBase}/${name}`, send_resolved: true, max_alerts: 0 }],
  }));
  return {
    route: {
      receiver: 'chat',
      group_by: ['alertname', ...INHIBIT_EQUAL.filter((l) => l !== 'family')],
      group_wait: profile.alertmanager.groupWait,
      group_interval: profile.alertmanager.groupInterval,
      repeat_interval: profile.alertmanager.repeatInterval,
      routes: (Object.entries(RECEIVER_BY_SEVERITY) as Array<[Severity, string]>).map(([severity, receiver]) => ({
        matchers: [`severity="${severity}"`],
        receiver,
      })),
    },
    receivers,
    inhibit_rules: [
      { source_matchers: ['severity="high"'], target_matchers: ['severity=~"medium|low"'], equal: [...INHIBIT_EQUAL] },
      { source_matchers: ['severity="medium"'], target_matchers: ['severity="low"'], equal: [...INHIBIT_EQUAL] },
    ],
  };
}

export function renderAlertmanagerConfig(profile: MonitoringTiming, webhookBase: string): string {
  return `# Generated from services/alertmanager/config.ts (${profile.name} profile). Do not edit.\n${stringify(alertmanagerConfig(profile, webhookBase), { lineWidth: 0 })}`;
}
