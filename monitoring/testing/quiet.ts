import { sleep } from '../../src/core/poll.ts';
import { detail } from '../../src/core/progress.ts';
import type { AlertRule } from '../../src/core/monitoring.ts';
import type { Monitoring, Sample } from './observe.ts';

/** The families whose alerts describe the machine itself: CPU, memory, disk. */
const HOST_FAMILIES = new Set(['cpu', 'memory', 'disk']);

/**
 * A host condition: an alert of a machine family on the host's own view (node_exporter, job `node`).
 * Other work on the machine (a build, a full disk) causes those truthfully; a suite reports them, with
 * their value, and neither waits for them nor counts them as false.
 */
export function isHostCondition(labels: Record<string, string>, rules: ReadonlyMap<string, AlertRule>): boolean {
  const rule = rules.get(labels.alertname ?? '');
  return labels.job === 'node' && rule !== undefined && HOST_FAMILIES.has(rule.family);
}

const key = (labels: Record<string, string>) =>
  `${labels.alertname}{${Object.entries(labels)
    .filter(([k]) => !['alertname', 'alertstate', 'severity', 'family', '__name__'].includes(k))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;

/** Host conditions active now, each with the value its rule's expression has for it ("DiskUsageHigh{…} = 0.78"). */
export async function hostConditions(monitoring: Monitoring, rules: ReadonlyMap<string, AlertRule>): Promise<string[]> {
  const active = (await monitoring.query('ALERTS')).filter((a) => isHostCondition(a.metric, rules));
  return Promise.all(
    active.map(async (a) => {
      const rule = rules.get(a.metric.alertname!)!;
      const values: Sample[] = await monitoring.query(rule.expr).catch(() => []);
      const mine = values.find((v) => Object.entries(v.metric).every(([k, val]) => a.metric[k] === val));
      return `${key(a.metric)} ${a.metric.alertstate} = ${mine ? Number(mine.value[1]).toFixed(3) : '?'}`;
    }),
  );
}

export interface QuietReport {
  /** Alerts that fired (in Prometheus, or notified) during the window and are not host conditions. */
  falseAlerts: string[];
  /** Host conditions seen during the window, with their values. */
  hostConditions: string[];
  samples: number;
}

/**
 * Watches for `seconds`: every `everySeconds` it reads Prometheus' firing alerts and, at the end, every
 * notification the alert receiver got since the window began. Pending alerts do not count; firing ones do.
 */
export async function watchQuiet(monitoring: Monitoring, rules: ReadonlyMap<string, AlertRule>, seconds: number, everySeconds = 5): Promise<QuietReport> {
  const from = Date.now() / 1000;
  const end = performance.now() + seconds * 1000;
  const falseAlerts = new Set<string>();
  const host = new Set<string>();
  let samples = 0;
  detail(`watching ${seconds} s for any alert firing (every ${everySeconds} s)`);
  while (performance.now() < end) {
    const firing = await monitoring.query('ALERTS{alertstate="firing"}');
    samples += 1;
    for (const a of firing) (isHostCondition(a.metric, rules) ? host : falseAlerts).add(key(a.metric));
    for (const condition of await hostConditions(monitoring, rules)) host.add(condition.replace(/ (pending|firing) = .*$/, ''));
    await sleep(Math.min(everySeconds * 1000, Math.max(0, end - performance.now())));
  }
  for (const e of await monitoring.notifications(from)) if (e.status === 'firing') (isHostCondition(e.labels, rules) ? host : falseAlerts).add(key(e.labels));
  return { falseAlerts: [...falseAlerts].sort(), hostConditions: [...host].sort(), samples };
}
