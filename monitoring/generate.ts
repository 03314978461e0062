/**
 * Writes every monitoring artefact the images and tests use, from the TypeScript definitions:
 *   npx tsx monitoring/generate.ts          (write)
 *   npx tsx monitoring/generate.ts --check  (exit 1 when a committed file is stale)
 * A unit test runs the same check.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAlertmanagerConfig } from './alertmanager/config.ts';
import { renderDashboardFiles } from './dashboards/render.ts';
import { production, test } from './lib/profiles.ts';
import { components } from './mixin.ts';
import { renderPrometheusConfig } from './prometheus/config.ts';
import { renderPromtoolTests, renderRuleFile, ruleFileName } from './render/rules.ts';
import { renderRunbooks } from './render/runbooks.ts';

export const MONITORING_DIR = dirname(fileURLToPath(import.meta.url));
export const GENERATED_DIR = join(MONITORING_DIR, 'generated');

/** Every generated file, keyed by its path under monitoring/. */
export function renderArtefacts(): Map<string, string> {
  const files = new Map<string, string>();
  files.set('generated/prometheus/prometheus.yml', renderPrometheusConfig(production));
  for (const component of components) {
    files.set(`generated/prometheus/rules/${ruleFileName(component)}`, renderRuleFile(component, production));
    files.set(`generated/prometheus/tests/${component.name}.test.yml`, renderPromtoolTests(component, production, `../rules/${ruleFileName(component)}`));
    files.set(`generated/test-profile/rules/${ruleFileName(component)}`, renderRuleFile(component, test));
  }
  files.set('generated/alertmanager/alertmanager.yml', renderAlertmanagerConfig(production));
  for (const [path, content] of renderDashboardFiles()) files.set(`generated/grafana/${path}`, content);
  files.set('RUNBOOKS.md', renderRunbooks(production));
  return files;
}

export interface Staleness {
  stale: string[];
  missing: string[];
  extra: string[];
}

export function checkArtefacts(): Staleness {
  const wanted = renderArtefacts();
  const result: Staleness = { stale: [], missing: [], extra: [] };
  for (const [path, content] of wanted) {
    const full = join(MONITORING_DIR, path);
    if (!existsSync(full)) result.missing.push(path);
    else if (readFileSync(full, 'utf8') !== content) result.stale.push(path);
  }
  for (const file of listFiles(GENERATED_DIR)) {
    const path = relative(MONITORING_DIR, file);
    if (!wanted.has(path)) result.extra.push(path);
  }
  return result;
}

export function writeArtefacts(): number {
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  const files = renderArtefacts();
  for (const [path, content] of files) {
    const full = join(MONITORING_DIR, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return files.size;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const s = checkArtefacts();
    const problems = [...s.stale.map((p) => `stale: ${p}`), ...s.missing.map((p) => `missing: ${p}`), ...s.extra.map((p) => `not generated: ${p}`)];
    if (problems.length) {
      process.stderr.write(`${problems.join('\n')}\nfix: npx tsx monitoring/generate.ts\n`);
      process.exit(1);
    }
    process.stdout.write('monitoring artefacts are up to date\n');
  } else {
    process.stdout.write(`wrote ${writeArtefacts()} files under monitoring/\n`);
  }
}
