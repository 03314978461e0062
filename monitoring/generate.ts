import { join } from 'node:path';
import { profile } from '../src/core/profiles.ts';
import { STACK } from '../src/stack/definition.ts';
import { allAlertRules, components } from './mixin.ts';
import { assembleDashboards, buildDashboard } from './render/dashboards.ts';
import { renderRunbooks } from './render/runbooks.ts';
import { renderPromtoolTests, renderRuleFile, ruleFileName } from './render/rules.ts';

/** monitoring/generated: where the rule files, their promtool tests and the dashboards are written. */
export const GENERATED_DIR = join('monitoring', 'generated');

/**
 * The monitoring artefacts people read and tools check, keyed by repository-relative path: each alert
 * component's rule file (both profiles) and promtool tests, the dashboards as Grafana JSON, and the
 * runbook page. Prometheus and Alertmanager get theirs rendered from the stack they run in.
 */
export function renderMonitoringArtefacts(): Map<string, string> {
  const files = new Map<string, string>();
  const production = profile('production').monitoring;
  const test = profile('test').monitoring;
  for (const component of components()) {
    files.set(join(GENERATED_DIR, 'prometheus/rules', ruleFileName(component)), renderRuleFile(component, production));
    files.set(join(GENERATED_DIR, 'prometheus/tests', `${component.name}.test.yml`), renderPromtoolTests(component, production, `../rules/${ruleFileName(component)}`));
    files.set(join(GENERATED_DIR, 'test-profile/rules', ruleFileName(component)), renderRuleFile(component, test));
  }
  for (const d of assembleDashboards(STACK.map((spec) => ({ spec })))) files.set(join(GENERATED_DIR, 'grafana/dashboards', `${d.uid}.json`), `${JSON.stringify(buildDashboard(d), null, 2)}\n`);
  files.set(join('monitoring', 'RUNBOOKS.md'), renderRunbooks(production, allAlertRules(production)));
  return files;
}
