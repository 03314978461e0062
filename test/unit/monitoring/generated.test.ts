import { describe, expect, it } from 'vitest';
import { num } from '../../../monitoring/lib/promql.ts';
import { allAlertRules, components } from '../../../monitoring/mixin.ts';
import { profile } from '../../../src/core/profiles.ts';
import { targets } from '../../../src/core/targets.ts';
import { SCRAPES_BEFORE_DOWN, scrapeDownAlert, scrapeDownExpr, scrapeDownFor } from '../../../services/prometheus/scrape-health.ts';
import { STACK } from '../../../src/stack/definition.ts';
import { checkArtefacts } from '../../../src/env/artefacts.ts';

const production = profile('production').monitoring;
const testProfile = profile('test').monitoring;

/** The plan's alert table (phase12-plan.md, "Alert Rules"), with the alert that implements each line. */
const PLAN_TABLE = [
  { alert: 'ApiDown', severity: 'high', threshold: targets.alertRules.api5xxRatio },
  { alert: 'DatabaseDown', severity: 'high', threshold: 0 },
  { alert: 'MemoryUsageCritical', severity: 'high', threshold: targets.alertRules.memoryCriticalRatio },
  { alert: 'DiskUsageCritical', severity: 'high', threshold: targets.alertRules.diskCriticalRatio },
  { alert: 'ApiLatencyCritical', severity: 'high', threshold: targets.alertRules.apiLatencyCriticalSeconds },
  { alert: 'ApiErrorRateHigh', severity: 'medium', threshold: targets.plan.errorRate },
  { alert: 'SlowQueries', severity: 'medium', threshold: targets.sampleApp.slowQuerySeconds },
  { alert: 'CacheMissRateHigh', severity: 'medium', threshold: targets.alertRules.cacheMissRatio },
  { alert: 'QueueDepthHigh', severity: 'medium', threshold: targets.alertRules.queueDepth },
  { alert: 'ApiLatencyHigh', severity: 'low', threshold: targets.alertRules.apiLatencyHighSeconds },
  { alert: 'MemoryUsageHigh', severity: 'low', threshold: targets.alertRules.memoryHighRatio },
  { alert: 'DiskUsageHigh', severity: 'low', threshold: targets.alertRules.diskHighRatio },
  { alert: 'CpuUsageHigh', severity: 'low', threshold: targets.alertRules.cpuHighRatio },
] as const;

describe('monitoring mixin: alert rules generated from src/core/targets.ts', () => {
  it('the committed artefacts (monitoring/generated, RUNBOOKS.md, compose files) are what `refstack generate` writes now', () => {
    const s = checkArtefacts();
    expect({ stale: s.stale, missing: s.missing, extra: s.extra }, 'run: node bin/refstack.js generate').toEqual({ stale: [], missing: [], extra: [] });
  });

  it('every line of the plan\'s alert table is a rule with its severity and its threshold from targets.ts', () => {
    const rules = allAlertRules(production);
    for (const line of PLAN_TABLE) {
      const rule = rules.find((r) => r.alert === line.alert);
      expect(rule, `${line.alert} missing`).toBeDefined();
      expect(rule?.severity, line.alert).toBe(line.severity);
      expect(rule?.expr, `${line.alert} must compare against ${line.threshold}`).toMatch(new RegExp(`[>=]=? ${num(line.threshold).replace('.', '\\.')}(\\s|$)`));
    }
  });

  it('adds replication lag and multi-window burn-rate alerts for availability and latency, guarded against zero traffic', () => {
    const rules = allAlertRules(production);
    expect(rules.find((r) => r.alert === 'ReplicationLagHigh')?.expr).toContain(`> ${num(targets.alertRules.replicationLagSeconds)}`);
    for (const sli of ['Availability', 'Latency']) {
      const page = rules.find((r) => r.alert === `Api${sli}BurnRatePage`);
      const ticket = rules.find((r) => r.alert === `Api${sli}BurnRateTicket`);
      expect(page?.severity).toBe('high');
      expect(ticket?.severity).toBe('medium');
      for (const b of targets.alertRules.burnRates) {
        const rule = b.severity === 'high' ? page : ticket;
        expect(rule?.expr).toContain(`rate${production.window(b.longWindowSeconds)} > `);
        expect(rule?.expr).toContain(`rate${production.window(b.shortWindowSeconds)} > `);
        expect(rule?.expr).toContain(`service:slo_requests:rate${production.window(b.shortWindowSeconds)} > 0`);
      }
    }
  });

  it('every alert has a severity, a family, summary, description, runbook and a firing and a boundary test', () => {
    const names = new Set<string>();
    for (const component of components()) {
      for (const definition of component.alerts) {
        const rule = definition.rule(production);
        expect(names.has(rule.alert), `${rule.alert} defined twice`).toBe(false);
        names.add(rule.alert);
        expect(['high', 'medium', 'low']).toContain(rule.severity);
        expect(rule.family).toMatch(/^[a-z-]+$/);
        expect(rule.summary.length).toBeGreaterThan(5);
        expect(rule.description.length).toBeGreaterThan(10);
        const cases = definition.tests(production);
        expect(cases.fires.expectLabels, `${rule.alert}: the firing case must expect an alert`).not.toBeNull();
        expect(cases.boundary.expectLabels, `${rule.alert}: the boundary case must expect silence`).toBeNull();
      }
    }
    expect(names.size).toBeGreaterThanOrEqual(PLAN_TABLE.length + 5);
  });

  it('the test profile changes only timing: same alerts, same thresholds, seconds instead of minutes', () => {
    const prod = allAlertRules(production);
    const fast = allAlertRules(testProfile);
    expect(fast.map((r) => [r.alert, r.severity, r.family])).toEqual(prod.map((r) => [r.alert, r.severity, r.family]));
    for (const [i, rule] of fast.entries()) {
      const thresholds = (e: string) => [...e.matchAll(/> (\d[\d.e-]*)/g)].map((m) => m[1]);
      expect(thresholds(rule.expr), rule.alert).toEqual(thresholds(prod[i]!.expr));
      // Alerts on scrape health wait for several failed scrapes (services/prometheus/scrape-health.ts).
      expect(rule.for).toBe(rule.expr.includes('absent(up{') ? scrapeDownFor(testProfile, rule.severity) : '1s');
    }
    expect(testProfile.window(259_200)).toBe('10s');
    expect(testProfile.window(300)).toBe('5s');
  });

  it('the scrape-health family: every scrape job of the stack has an up == 0 / absent() alert, API and database jobs page', () => {
    const rules = allAlertRules(production);
    const scrapes = STACK.flatMap((spec) => spec.scrape ?? []);
    const jobs = new Map(scrapes.map((s) => [s.job, s.down.severity] as const));
    expect(jobs.size).toBeGreaterThanOrEqual(8);
    for (const s of scrapes) {
      // A job whose service covers its scrape health with an alert of its own gets that alert, not a second page.
      const rule = rules.find((r) => r.alert === (s.down.coveredBy ?? scrapeDownAlert(s.job)));
      expect(rule, `no scrape-health alert for job ${s.job}`).toBeDefined();
      expect(rule!.expr).toContain(scrapeDownExpr(s.job));
      expect(rule!.severity).toBe(s.down.severity);
    }
    expect(rules.some((r) => r.alert === scrapeDownAlert('postgres')), 'DatabaseDown covers the postgres job').toBe(false);
    for (const job of ['sample-api', 'postgres', 'patroni', 'haproxy']) expect(jobs.get(job), job).toBe('high');
    expect(scrapeDownAlert('sample-api')).toBe('SampleApiScrapeDown');
    expect(scrapeDownFor(testProfile, 'high')).toBe(`${SCRAPES_BEFORE_DOWN}s`);
    expect(scrapeDownFor(production, 'high')).toBe('2m');
  });
});
