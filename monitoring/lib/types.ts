/** The building blocks every monitoring component (api/, database/, system/ …) exports. */

export type Severity = 'high' | 'medium' | 'low';

/** Timing that differs between a real deployment and the live test stack; thresholds never do. */
export interface Profile {
  name: 'production' | 'test';
  scrapeInterval: string;
  evaluationInterval: string;
  /** `for` of an alert, by severity. */
  forBySeverity: Record<Severity, string>;
  /** The rate() window of the threshold alerts. */
  rateWindow: string;
  /** A burn-rate window of the SLO alerts, given in production seconds. */
  window(productionSeconds: number): string;
  alertmanager: { groupWait: string; groupInterval: string; repeatInterval: string };
}

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
  rule(profile: Profile): AlertRule;
  tests(profile: Profile): AlertTests;
}

export interface Component {
  /** The folder name: api, database, system … */
  name: string;
  recordingRules(profile: Profile): RecordingRule[];
  alerts: AlertDefinition[];
}
