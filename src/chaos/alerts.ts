import { PROFILES, seconds, type Profile, type Severity } from '../core/profiles.ts';
import { runbookUrl } from '../core/monitoring.ts';
import type { ServiceSpec } from '../core/spec.ts';
import type { RunningStack } from '../stack/docker/stack.ts';

export interface AlertRuleInfo {
  severity: Severity;
  service: string;
  runbook: string;
  /** The rule's `for` in this profile, in seconds. */
  forSeconds: number;
}

/** Every alert rule of the stack's services, by name, with its severity (the rules themselves live in services/<name>/alerts.ts). */
export function alertRules(specs: readonly ServiceSpec[], profile: Profile = PROFILES.test): Map<string, AlertRuleInfo> {
  const rules = new Map<string, AlertRuleInfo>();
  for (const spec of specs) {
    for (const component of spec.alerts ?? []) {
      for (const definition of component.alerts) {
        const rule = definition.rule(profile.monitoring);
        rules.set(rule.alert, { severity: rule.severity, service: spec.name, runbook: runbookUrl(rule.alert), forSeconds: seconds(rule.for) });
      }
    }
  }
  return rules;
}

/** One notification as the alert receiver keeps it (services/alert-receiver/receiver.py). */
interface ReceivedNotification {
  receiver: string;
  /** Unix seconds on the receiver (the engine's clock: containers share the host's). */
  at: number;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string>; startsAt?: string; endsAt?: string }>;
}

/** What an experiment's watcher saw of one alert name: each firing and resolved notification, in unix ms. */
export interface AlertSighting {
  name: string;
  receiver: string;
  status: 'firing' | 'resolved';
  /** Unix ms when the receiver got it. */
  at: number;
  labels: Record<string, string>;
}

/**
 * Polls the alert receiver (GET / lists the last notifications) every 500 ms, bounded, and keeps every
 * notification that arrived after `sinceUnixMs`: the journal's "alerts seen", and the detection times.
 */
export class AlertWatcher {
  readonly seen: AlertSighting[] = [];
  private readonly keys = new Set<string>();
  private stopping = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly stack: RunningStack,
    private readonly sinceUnixMs: number,
    private readonly maxSeconds = 1_800,
  ) {}

  start(): this {
    if (!this.stack.has('alert-receiver')) return this;
    this.loop = (async () => {
      const end = performance.now() + this.maxSeconds * 1000;
      while (!this.stopping && performance.now() < end) {
        await this.poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    return this;
  }

  async poll(): Promise<void> {
    const url = await this.stack.first('alert-receiver').url('http', '/');
    const entries = (await (await fetch(url, { signal: AbortSignal.timeout(3_000) })).json()) as ReceivedNotification[];
    for (const entry of entries) {
      const at = Math.round(entry.at * 1000);
      if (at < this.sinceUnixMs) continue;
      for (const alert of entry.alerts) {
        const name = alert.labels.alertname ?? '?';
        const key = `${entry.at}|${entry.receiver}|${name}|${alert.status}|${JSON.stringify(alert.labels)}`;
        if (this.keys.has(key)) continue;
        this.keys.add(key);
        this.seen.push({ name, receiver: entry.receiver, status: alert.status === 'resolved' ? 'resolved' : 'firing', at, labels: alert.labels });
      }
    }
    this.seen.sort((a, b) => a.at - b.at);
  }

  /** The first notification of `name` with `status` at or after `fromUnixMs`. */
  first(name: string, status: 'firing' | 'resolved', fromUnixMs: number): AlertSighting | undefined {
    return this.seen.find((s) => s.name === name && s.status === status && s.at >= fromUnixMs);
  }

  async stop(): Promise<AlertSighting[]> {
    this.stopping = true;
    await this.loop;
    await this.poll().catch(() => undefined);
    return this.seen;
  }
}

/** Alerts Alertmanager holds as active right now (its v2 API): an experiment does not start while one it expects is already firing. */
export async function activeAlerts(stack: RunningStack): Promise<string[]> {
  if (!stack.has('alertmanager')) return [];
  const url = await stack.first('alertmanager').url('http', '/api/v2/alerts?active=true&silenced=false&inhibited=true');
  const alerts = (await (await fetch(url, { signal: AbortSignal.timeout(3_000) })).json()) as Array<{ labels: Record<string, string> }>;
  return alerts.map((a) => a.labels.alertname ?? '?');
}

/**
 * Polls Prometheus' instant query API every second (bounded) for each signal and keeps the first unix ms
 * at which its query returned a series: monitoring data that saw the fault where no alert rule exists.
 */
export class SignalWatcher {
  private readonly seenAt = new Map<string, number>();
  private stopping = false;

  constructor(
    private readonly stack: RunningStack,
    private readonly signals: ReadonlyArray<{ name: string; query: string }>,
    private readonly maxSeconds = 1_200,
  ) {}

  start(): this {
    if (!this.signals.length || !this.stack.has('prometheus')) return this;
    void (async () => {
      const end = performance.now() + this.maxSeconds * 1000;
      while (!this.stopping && performance.now() < end && this.seenAt.size < this.signals.length) {
        try {
          const base = await this.stack.first('prometheus').url('http', '/api/v1/query?query=');
          for (const s of this.signals.filter((x) => !this.seenAt.has(x.name))) {
            const answer = (await (await fetch(base + encodeURIComponent(s.query), { signal: AbortSignal.timeout(3_000) })).json()) as { data?: { result?: unknown[] } };
            if (answer.data?.result?.length) this.seenAt.set(s.name, Date.now());
          }
        } catch {
          // Prometheus busy or restarting: the next round asks again
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })().catch(() => undefined);
    return this;
  }

  async waitSeen(name: string, untilUnixMs: number): Promise<number | undefined> {
    while (!this.seenAt.has(name) && Date.now() < untilUnixMs) await new Promise((r) => setTimeout(r, 250));
    return this.seenAt.get(name);
  }

  stop(): void {
    this.stopping = true;
  }
}
