import { expect } from 'vitest';
import { RECEIVER_BY_SEVERITY } from '../../services/alertmanager/config.ts';
import { runbookUrl, type AlertRule } from '../../src/core/monitoring.ts';
import { promises, seconds, type Profile } from '../../src/core/profiles.ts';
import { record } from '../../src/testing/record.ts';
import { allAlertRules } from '../mixin.ts';
import type { AlertEvent, Monitoring } from './observe.ts';
import { waitUntil } from './wait.ts';

/** One fault on the running stack and the alerts it must raise, each identified by name and labels. */
export interface AlertScenario {
  /** What is done to the stack, as a sentence. */
  fault: string;
  /** Alerts that must be notified, each to its severity's receiver. */
  fires: string[];
  /** Alerts that must become active but be inhibited by a higher-severity alert of their family. */
  inhibited?: string[];
  /**
   * Labels of the series this fault affects, per alert (instance, job, mountpoint…): only alerts with
   * these labels are this scenario's. The same alert on another target (the host's disk, say) is not.
   */
  labels?: Record<string, Record<string, string>>;
  /**
   * Per alert, how long the fault needs before its condition can be true at all, in seconds: a paused
   * replay must first fall `replicationLagSeconds` behind. Added to the alert's detection promise.
   */
  onsetSeconds?: Record<string, number>;
  /**
   * Puts the fault in place. It may say when (unix seconds) the fault was complete for an alert whose
   * condition needs the whole injection (a backlog of 1200 published events); others count from the start.
   */
  inject(): Promise<void | { faultAt: Record<string, number> }>;
  remove(): Promise<void>;
}

export interface Measured {
  alert: string;
  /** Fault injected → firing notification at the alert receiver, in seconds. */
  fireSeconds: number;
  /** Fault removed → resolved notification at the alert receiver, in seconds. */
  resolveSeconds: number;
  /** The promise it is judged by: {@link detectionPromise}, plus the scenario's onset for it. */
  promiseSeconds: number;
}

export interface ScenarioOutcome {
  measured: Measured[];
  /** Other alerts notified while the fault was on (e.g. the API's scrape alert while its instance is stopped): reported, not measured. */
  alongside: string[];
}

/** How long a scenario waits for a notification past its promise before it gives up: time for a loaded machine to be slow and say so. */
const GRACE_SECONDS = 45;
const QUIET_WITHIN_MS = 90_000;

/** The longest window an expression reads, in seconds: `[10s]` selectors and `…_rate10s` recording rules. */
export function longestWindowSeconds(expr: string): number {
  const windows = [...expr.matchAll(/\[(\d+[smhd])\]|rate(\d+[smhd])\b/g)].map((m) => seconds((m[1] ?? m[2])!));
  return Math.max(0, ...windows);
}

/**
 * The time from fault to notification an alert is judged by: promises(profile).alertDetectionSeconds for
 * its severity (which counts the profile's rate window), stretched by however much longer the alert's
 * own longest window is (the SLO ticket reads 10 s windows in the test profile, not 5 s).
 */
export function detectionPromise(rule: AlertRule, profile: Profile): number {
  const base = promises(profile).alertDetectionSeconds[rule.severity];
  return base + Math.max(0, longestWindowSeconds(rule.expr) - seconds(profile.monitoring.rateWindow));
}

const matches = (labels: Record<string, string>, wanted: Record<string, string> = {}) => Object.entries(wanted).every(([k, v]) => labels[k] === v);
const labelPairs = (labels: Record<string, string> = {}) => Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
const selector = (alert: string, labels?: Record<string, string>) => `{${[`alertname="${alert}"`, ...labelPairs(labels)].join(',')}}`;
const now = () => Date.now() / 1000;
const round = (seconds: number) => Math.round(seconds * 100) / 100;

/**
 * Runs alert scenarios on one stack and records, the first time each alert is measured, its fire and
 * resolve seconds (`alerts.<Alert>.fire_seconds`, judged by the profile's promised detection time; a
 * miss fails the test run through its results, and the scenarios after it still run).
 * Scenarios on different targets may run at the same time: each only looks at its own alerts' series.
 */
export class AlertProofs {
  readonly measured = new Map<string, Measured>();
  private readonly rules: Map<string, AlertRule>;

  constructor(
    private readonly monitoring: Monitoring,
    private readonly profile: Profile,
  ) {
    this.rules = new Map(allAlertRules(profile.monitoring).map((r) => [r.alert, r]));
  }

  rule(alert: string): AlertRule {
    const rule = this.rules.get(alert);
    if (!rule) throw new Error(`no alert rule named ${alert} in the stack's rules`);
    return rule;
  }

  /** The scenario's own alerts that are pending or firing now, as `Alert/state`. */
  async active(s: AlertScenario): Promise<string[]> {
    const names = [...s.fires, ...(s.inhibited ?? [])];
    const found = await Promise.all(names.map(async (a) => (await this.monitoring.query(`ALERTS${selector(a, s.labels?.[a])}`)).map((x) => `${a}/${x.metric.alertstate}`)));
    return found.flat();
  }

  /**
   * From a stack where none of its alerts is active: inject, wait for each expected notification
   * (receiver, labels, annotations), check inhibitions, remove, wait for each resolution and for its
   * alerts to leave Prometheus. The fault is removed whatever happens.
   */
  async run(s: AlertScenario): Promise<ScenarioOutcome> {
    const promise = (rule: AlertRule) => detectionPromise(rule, this.profile) + (s.onsetSeconds?.[rule.alert] ?? 0);
    await waitUntil(`none of ${[...s.fires, ...(s.inhibited ?? [])].join(', ')} active before "${s.fault}"`, QUIET_WITHIN_MS, async () => (await this.active(s)).length === 0, async () => (await this.active(s)).join(', '));
    const since = now();
    let removedAt = 0;
    const remove = async () => {
      if (removedAt) return;
      removedAt = now();
      await s.remove();
    };
    const firing = new Map<string, AlertEvent>();
    let faultAt: Record<string, number> = {};
    try {
      faultAt = (await s.inject())?.faultAt ?? {};
      for (const alert of s.fires) {
        const rule = this.rule(alert);
        const event = await this.waitForEvent(alert, 'firing', s.labels?.[alert], since, promise(rule) + GRACE_SECONDS, s.fault);
        firing.set(alert, event);
        this.checkNotification(rule, event, s.labels?.[alert]);
      }
      for (const alert of s.inhibited ?? []) {
        await waitUntil(`${alert} suppressed by a higher-severity alert of its family in Alertmanager`, 20_000, async () =>
          (await this.monitoring.alertmanagerAlerts(alert)).some((a) => matches(a.labels, s.labels?.[alert]) && a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0),
        );
        const notified = (await this.monitoring.notifications(since)).some((e) => e.labels.alertname === alert && matches(e.labels, s.labels?.[alert]));
        expect(notified, `${alert} is inhibited and must not be notified`).toBe(false);
      }
    } finally {
      await remove();
    }
    const measured: Measured[] = [];
    for (const alert of s.fires) {
      const rule = this.rule(alert);
      const resolved = await this.waitForEvent(alert, 'resolved', s.labels?.[alert], removedAt, detectionPromise(rule, this.profile) + GRACE_SECONDS, `${s.fault}: removed`);
      measured.push({ alert, fireSeconds: round(firing.get(alert)!.at - (faultAt[alert] ?? since)), resolveSeconds: round(resolved.at - removedAt), promiseSeconds: promise(rule) });
    }
    for (const m of measured) this.recordOnce(m, s.fault);
    const alongside = [...new Set((await this.monitoring.notifications(since)).filter((e) => e.status === 'firing' && !s.fires.includes(e.labels.alertname!)).map((e) => e.labels.alertname!))];
    process.stderr.write(
      `  [${s.fault}] ${measured.map((m) => `${m.alert} fired ${m.fireSeconds} s, resolved ${m.resolveSeconds} s`).join('; ')}${alongside.length ? `; alongside: ${alongside.join(', ')}` : ''}\n`,
    );
    await waitUntil(`${s.fires.join(', ')} gone from Prometheus after "${s.fault}" was removed`, QUIET_WITHIN_MS, async () => (await this.active(s)).length === 0, async () => (await this.active(s)).join(', '));
    return { measured, alongside };
  }

  private async waitForEvent(alert: string, status: AlertEvent['status'], labels: Record<string, string> | undefined, since: number, withinSeconds: number, why: string): Promise<AlertEvent> {
    let found: AlertEvent | undefined;
    await waitUntil(
      `${alert}${labels ? `{${labelPairs(labels).join(',')}}` : ''} ${status} at the alert receiver (${why})`,
      withinSeconds * 1000,
      async () => {
        found = (await this.monitoring.notifications(since)).find((e) => e.status === status && e.labels.alertname === alert && matches(e.labels, labels));
        return found !== undefined;
      },
      async () => {
        const seen = (await this.monitoring.notifications(since)).map((e) => `${e.labels.alertname}:${e.status}`);
        const active = (await this.monitoring.query(`ALERTS{alertname="${alert}"}`)).map((x) => `${JSON.stringify(x.metric)}`);
        return `notified since: ${[...new Set(seen)].join(', ') || 'nothing'}; ${alert} in Prometheus: ${active.join(' ') || 'not active'}`;
      },
    );
    return found!;
  }

  private checkNotification(rule: AlertRule, event: AlertEvent, labels: Record<string, string> = {}): void {
    expect(event.receiver, `${rule.alert} (${rule.severity}) must reach the ${RECEIVER_BY_SEVERITY[rule.severity]} receiver`).toBe(RECEIVER_BY_SEVERITY[rule.severity]);
    expect(event.labels).toMatchObject({ severity: rule.severity, family: rule.family, ...labels });
    expect(event.annotations.runbook_url).toBe(runbookUrl(rule.alert));
    expect(event.annotations.summary).toBe(rule.summary);
    expect(event.annotations.description).not.toMatch(/\{\{|<no value>/);
  }

  private recordOnce(m: Measured, fault: string): void {
    if (this.measured.has(m.alert)) return;
    this.measured.set(m.alert, m);
    const fire = record({ id: `alerts.${m.alert}.fire_seconds`, value: m.fireSeconds, unit: 's', target: { op: '<=', value: m.promiseSeconds }, note: `${fault} (promise: alertDetectionSeconds of the ${this.profile.name} profile for its severity and window${m.promiseSeconds > detectionPromise(this.rule(m.alert), this.profile) ? ', plus the time the fault needs to make the condition true' : ''})` });
    record({ id: `alerts.${m.alert}.resolve_seconds`, value: m.resolveSeconds, unit: 's', note: `${fault}: removed` });
    // A late notification is a missed figure (the run fails on it), not a reason to skip the faults after it.
    if (!fire.pass) process.stderr.write(`  MISS ${m.alert} took ${m.fireSeconds} s from fault to notification; the ${this.profile.name} profile promises ${m.promiseSeconds} s\n`);
  }
}
