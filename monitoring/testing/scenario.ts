import { expect } from 'vitest';
import { recordResult } from '../../src/core/results/results.ts';
import { targets } from '../../src/core/targets.ts';
import { RECEIVER_BY_SEVERITY } from '../../services/alertmanager/config.ts';
import { test as testProfile } from '../lib/profiles.ts';
import { allAlertRules, runbookUrl } from '../mixin.ts';
import type { MonitoringStack } from './live-stack.ts';

const RULES = new Map(allAlertRules(testProfile).map((r) => [r.alert, r]));

export interface Scenario {
  /** What is done to the stack, as a sentence. */
  fault: string;
  /** Alerts that must be notified, each to its severity's receiver. */
  fires: string[];
  /** Alerts that must become active but be inhibited by a higher-severity alert of their family. */
  inhibited?: string[];
  /** Labels an expected alert's notification must carry (what broke, where). */
  labels?: Record<string, Record<string, string>>;
  inject(): Promise<void>;
  remove(): Promise<void>;
}

export interface ScenarioOutcome {
  measured: Array<{ alert: string; fireSeconds: number; resolveSeconds: number }>;
  /** Other alerts notified while the fault was on (e.g. host CPU during a burst): reported, not measured. */
  alongside: string[];
}

const FIRE_TIMEOUT_MS = 45_000;
const RESOLVE_TIMEOUT_MS = 90_000;

/**
 * Runs one fault from a quiet stack: inject, wait for each expected notification (checking receiver,
 * labels and annotations), check inhibitions, remove, wait for each expected alert's resolution and
 * for Prometheus to have no active alert left. Records fire and resolve seconds of the expected
 * alerts the first time each is measured in the suite.
 */
export async function runScenario(stack: MonitoringStack, scenario: Scenario, recorded: Set<string>, suite: string): Promise<ScenarioOutcome> {
  const { webhook } = stack;
  const mine = new Set([...scenario.fires, ...(scenario.inhibited ?? [])]);
  await eventually('a quiet stack before the fault', 60_000, async () => (await activeAlerts(stack, mine)).length === 0, async () => (await activeAlerts(stack, mine)).join(', '));
  const since = performance.now();
  let removedAt = 0;
  const remove = async () => {
    if (removedAt) return;
    removedAt = performance.now();
    await scenario.remove();
  };
  try {
    await scenario.inject();
    for (const alert of scenario.fires) {
      const rule = RULES.get(alert);
      if (!rule) throw new Error(`scenario expects unknown alert ${alert}`);
      const event = await webhook.waitFor((e) => e.status === 'firing' && e.labels.alertname === alert, since, FIRE_TIMEOUT_MS, `${alert} firing (${scenario.fault})`);
      expect(event.receiver, `${alert} (${rule.severity}) must reach the ${RECEIVER_BY_SEVERITY[rule.severity]} receiver`).toBe(RECEIVER_BY_SEVERITY[rule.severity]);
      expect(event.labels).toMatchObject({ severity: rule.severity, family: rule.family, ...scenario.labels?.[alert] });
      expect(event.annotations.runbook_url).toBe(runbookUrl(alert));
      expect(event.annotations.summary).toBe(rule.summary);
      expect(event.annotations.description).not.toMatch(/\{\{|<no value>/);
    }
    for (const alert of scenario.inhibited ?? []) {
      await eventually(`${alert} inhibited in Alertmanager`, 15_000, async () => {
        const found = await stack.alertmanagerAlerts(alert);
        return found.some((a) => a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0);
      });
      const notified = webhook.events().some((e) => e.at >= since && e.labels.alertname === alert);
      expect(notified, `${alert} is inhibited and must not be notified`).toBe(false);
    }
    // Alerts that fire together (a page and its ticket, both latency bounds) get a moment to arrive.
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await remove();
  }
  const firing = webhook.events().filter((e) => e.at >= since && e.status === 'firing');
  const measured: ScenarioOutcome['measured'] = [];
  for (const alert of scenario.fires) {
    const first = firing.find((e) => e.labels.alertname === alert)!;
    const resolved = await webhook.waitFor((e) => e.status === 'resolved' && e.labels.alertname === alert, removedAt, RESOLVE_TIMEOUT_MS, `${alert} resolved (${scenario.fault}: removed)`);
    const fireSeconds = round((first.at - since) / 1000);
    const resolveSeconds = round((resolved.at - removedAt) / 1000);
    measured.push({ alert, fireSeconds, resolveSeconds });
    if (recorded.has(alert)) continue;
    recorded.add(alert);
    const fire = recordResult({ id: `alerts.${alert}.fire_seconds`, value: fireSeconds, unit: 's', target: targets.alerts.fireSeconds, suite, note: scenario.fault });
    recordResult({ id: `alerts.${alert}.resolve_seconds`, value: resolveSeconds, unit: 's', suite, note: `${scenario.fault}: removed` });
    expect(fire.pass, `${alert} took ${fireSeconds} s from fault to notification`).toBe(true);
  }
  const alongside = [...new Set(firing.map((e) => e.labels.alertname!))].filter((a) => !scenario.fires.includes(a));
  process.stderr.write(
    `  [${scenario.fault}] ${measured.map((m) => `${m.alert} fired ${m.fireSeconds} s, resolved ${m.resolveSeconds} s`).join('; ')}` +
      `${alongside.length ? `; alongside: ${alongside.join(', ')}` : ''}\n`,
  );
  await eventually('no alert left active after the fault was removed', 60_000, async () => (await activeAlerts(stack, mine)).length === 0, async () => (await activeAlerts(stack, mine)).join(', '));
  return { measured, alongside };
}

/**
 * Host-wide alerts: node_exporter sees the whole machine's CPU, which whatever else runs on it moves.
 * They do not block another scenario from starting; their own scenario waits for them like any other.
 */
export const HOST_WIDE_ALERTS = new Set(['CpuUsageHigh']);

/** Active (pending or firing) alerts in Prometheus, other than host-wide ones that `mine` does not name. */
export async function activeAlerts(stack: MonitoringStack, mine: Set<string> = new Set()): Promise<string[]> {
  const all = await stack.query('ALERTS');
  return all
    .filter((a) => mine.has(a.metric.alertname!) || !HOST_WIDE_ALERTS.has(a.metric.alertname!))
    .map((a) => `${a.metric.alertname}/${a.metric.alertstate}`);
}

async function eventually(what: string, timeoutMs: number, check: () => Promise<boolean>, describe?: () => Promise<string>): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  while (performance.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const state = describe ? await describe().catch((e: Error) => e.message) : '';
  throw new Error(`${what}: not true within ${timeoutMs} ms${state ? ` (now: ${state})` : ''}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
