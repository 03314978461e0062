import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DATASOURCE } from '../../../monitoring/render/panels.ts';
import { renderGrafanaFiles } from '../../../monitoring/render/dashboards.ts';
import { ROOT } from '../../../src/core/paths.ts';
import { planStack } from '../../../src/stack/plan.ts';
import { secretVariables } from '../../../src/stack/compose.ts';

/**
 * What a laptop's Grafana loads: the generated dashboards (monitoring/generated/grafana/dashboards) and the
 * provisioned data source. Grafana itself cannot run here; these checks catch what would make it fail to
 * load a dashboard or show "datasource not found". The live check that every panel query returns data is
 * test/integration/monitoring (against the running Prometheus).
 */
const DASHBOARDS = join(ROOT, 'monitoring', 'generated', 'grafana', 'dashboards');
const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')).sort();

interface PanelJson {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; datasource?: { type?: string; uid?: string } }>;
  panels?: PanelJson[];
}

describe('Grafana dashboards: accepted by the Grafana foundation SDK\'s types, data sources consistent', () => {
  it('finds the plan\'s four dashboards', () => {
    expect(files).toEqual(['refstack-application.json', 'refstack-business.json', 'refstack-database.json', 'refstack-system.json']);
  });

  it('each dashboard JSON type-checks as the SDK\'s Dashboard (no unknown field, no wrong type)', () => {
    // The JSON as an object literal with `satisfies Dashboard`: TypeScript's excess-property check names
    // any field the schema does not have. Written under .refstack/ so the SDK resolves from node_modules.
    const dir = join(ROOT, '.refstack', 'grafana-typecheck');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const sources = files.map((file) => {
      const path = join(dir, file.replace(/\.json$/, '.ts'));
      // Queries are data-source specific: the dashboard schema types them as the generic Dataquery, so they
      // are checked apart, as the Prometheus Dataquery (less its marker method, which JSON cannot have).
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as { panels: PanelJson[] };
      const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
      const queries = panels.flatMap((p) => p.targets ?? []);
      for (const p of panels) delete p.targets;
      writeFileSync(
        path,
        [
          "import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';",
          "import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';",
          '/** A schema type as JSON carries it: enum members as their string values. */',
          'type Json<T> = T extends string ? `${T}` : T extends Array<infer U> ? Array<Json<U>> : T extends object ? { [K in keyof T]: Json<T[K]> } : T;',
          `export const dashboard = ${JSON.stringify(dashboard, null, 1)} satisfies Json<Dashboard>;`,
          `export const queries = ${JSON.stringify(queries, null, 1)} satisfies Array<Json<Omit<Dataquery, '_implementsDataqueryVariant'>>>;`,
          '',
        ].join('\n'),
      );
      return path;
    });
    const program = ts.createProgram(sources, { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1} ` : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems, 'a laptop Grafana would refuse or mis-read these fields').toEqual([]);
  }, 120_000);

  it('every panel and every query names the provisioned Prometheus data source; explicit panel ids and refIds are unique', () => {
    const plan = planStack({ profile: 'production', services: ['grafana'] }, secretVariables());
    const grafana = plan.instancesOf('grafana')[0]!;
    const provisioning = renderGrafanaFiles(grafana.ctx.services(), 'http://prometheus:9090').find((f) => f.path.endsWith('datasources/prometheus.yml'))!;
    const provisioned = (parse(provisioning.content) as { datasources: Array<{ type: string; uid: string }> }).datasources;
    expect(provisioned).toContainEqual(expect.objectContaining({ type: DATASOURCE.type, uid: DATASOURCE.uid }));
    const known = new Set(provisioned.map((d) => `${d.type}/${d.uid}`));
    const problems: string[] = [];
    for (const file of files) {
      const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as { panels: PanelJson[] };
      const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
      // Grafana numbers panels without an id (and rows' id 0) on load; explicit ids must not collide.
      const ids = panels.map((p) => p.id).filter((id) => id);
      if (new Set(ids).size !== ids.length) problems.push(`${file}: duplicate panel ids`);
      for (const p of panels) {
        const ref = (d: PanelJson['datasource']) => `${d?.type}/${d?.uid}`;
        if (!known.has(ref(p.datasource))) problems.push(`${file} "${p.title}": panel data source ${ref(p.datasource)} is not provisioned`);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        if (!refIds.length) problems.push(`${file} "${p.title}": no query`);
        if (new Set(refIds).size !== refIds.length) problems.push(`${file} "${p.title}": duplicate refIds`);
        for (const t of p.targets ?? []) if (t.datasource && ref(t.datasource) !== ref(p.datasource)) problems.push(`${file} "${p.title}" ${t.refId}: query data source ${ref(t.datasource)} differs from the panel's`);
      }
    }
    expect(problems).toEqual([]);
  });
});
