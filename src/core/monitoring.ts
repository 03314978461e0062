/**
 * The building blocks of a service's monitoring: its alert rules with their promtool cases, and its
 * dashboard panels. They sit in the service's folder (services/<name>/alerts.ts, panels.ts), kube-prometheus
 * style; monitoring/ renders them into rule files, promtool tests, runbooks and Grafana dashboards.
 */

export type { MonitoringTiming, Severity } from './profiles.ts';
import type { MonitoringTiming, Severity } from './profiles.ts';

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertRule {
  alert: string;
  severity: Severity;
  /** Alerts of one family inhibit each other by severity (Alertmanager inhibit_rules). */
  family: string;
  expr: string;
  for: string;
  /** `{{ $labels.x }}` is the only template used, so promtool expectations can be rendered exactly. */
  summary: string;
  description: string;
}

/** One promtool alert_rule_test case, in promtool's own shape (series notation '0+10x30'). */
export interface PromtoolCase {
  name: string;
  interval: string;
  inputSeries: Array<{ series: string; values: string }>;
  evalTime: string;
  /** Labels of the alert series the rule makes (without alertname, severity and family). */
  expectLabels: Record<string, string> | null;
}

export interface AlertTests {
  /** The condition clearly met: the alert fires with these labels. */
  fires: PromtoolCase;
  /** The condition exactly at (or just inside) the threshold: the alert does not fire. */
  boundary: PromtoolCase;
  /** Further cases that must not fire (e.g. zero traffic). */
  quiet?: PromtoolCase[];
  /** Further cases that must fire (another way the condition shows). */
  alsoFires?: PromtoolCase[];
}

export interface AlertDefinition {
  rule(profile: MonitoringTiming): AlertRule;
  tests(profile: MonitoringTiming): AlertTests;
}

export interface Component {
  /** The folder name: api, database, system … */
  name: string;
  recordingRules(profile: MonitoringTiming): RecordingRule[];
  alerts: AlertDefinition[];
}

/** The four dashboards of the plan ("Grafana Dashboards"); each service contributes panels to them. */
export type DashboardName = 'system' | 'application' | 'database' | 'business';

export interface PanelQuery {
  expr: string;
  legend?: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat';
  unit: string;
  queries: PanelQuery[];
  /** Alert thresholds drawn on the panel (values from src/core/targets.ts): [warning, critical]. */
  thresholds?: number[];
  width?: number;
}

/** A panel placed on a dashboard, in a row (rows appear in the order monitoring/dashboards/layout.ts gives). */
export interface DashboardPanel extends PanelSpec {
  dashboard: DashboardName;
  row: string;
}

/** Where an alert's runbook_url points: the generated runbook page, one anchor per alert. */
export const RUNBOOK_PATH = 'monitoring/RUNBOOKS.md';

export function runbookUrl(alert: string): string {
  return `${RUNBOOK_PATH}#${alert.toLowerCase()}`;
}

/** Grafana's own macro for rate() windows: at least four scrape intervals, so rate() always sees two samples. */
export const RATE_INTERVAL = '$__rate_interval';

/** Severity → receiver: high pages someone, medium opens a ticket, low goes to the team chat. */
export const RECEIVER_BY_SEVERITY: Record<Severity, 'page' | 'ticket' | 'chat'> = { high: 'page', medium: 'ticket', low: 'chat' };
