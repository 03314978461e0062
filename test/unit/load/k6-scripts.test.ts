import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildK6Scripts, K6_SCRIPTS, type K6Script } from '../../../src/load/k6-build.ts';
import { MIX_WEIGHTS } from '../../../src/load/traffic-mix.ts';
import { ROOT } from '../../../src/core/paths.ts';
import { ID_PATTERN, type ResultRecord } from '../../../src/core/results/results.ts';
import { parseTarget, type Target } from '../../../src/core/results/target.ts';
import { targets } from '../../../src/core/targets.ts';
import type { K6SummaryData, SummaryFile } from '../../../load/lib/summary.ts';
import { stub } from './k6-stub/state.ts';

interface ScriptModule {
  options: { thresholds: Record<string, string[]>; scenarios: Record<string, { executor: string; rate?: number; stages?: Array<{ target: number }> }> };
  setup: () => { runTag: string; userIds: string[] };
  default: (data: { runTag: string; userIds: string[] }) => void;
  handleSummary: (data: K6SummaryData) => Record<string, string>;
}

const k6Expression = (aggregation: string, target: Target) => `${aggregation}${target.op}${target.value}`;
const STUB_DIR = join(ROOT, 'test', 'unit', 'load', 'k6-stub');
const stubK6: Plugin = {
  name: 'k6-stand-ins',
  setup(b) {
    b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: join(STUB_DIR, `${args.path === 'k6' ? 'k6' : args.path.slice(3)}.ts`) }));
  },
};

let stubbedDir = '';
let importCount = 0;
async function importScript(name: K6Script, env: Record<string, string>): Promise<ScriptModule> {
  (globalThis as unknown as { __ENV: Record<string, string> }).__ENV = env;
  // A fresh file makes the module evaluate again, with this environment.
  const copy = join(stubbedDir, `${name}-${++importCount}.mjs`);
  copyFileSync(join(stubbedDir, `${name}.js`), copy);
  return (await import(/* @vite-ignore */ pathToFileURL(copy).href)) as ScriptModule;
}
const LOCAL = { BASE_URL: 'http://127.0.0.1:8080', API_KEYS: 'web:key-web-0001,mobile:key-mob-0001,partner:key-par-0001' };

describe('k6 scripts', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    stubbedDir = mkdtempSync(join(tmpdir(), 'refstack-k6-stubbed-'));
    await buildK6Scripts({ outDir: stubbedDir, plugins: [stubK6] });
  });

  it('typecheck against @types/k6 alone (no Node globals, as k6 runs them)', () => {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'load', 'tsconfig.json')], { encoding: 'utf8' });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('bundle into ES modules that parse and import nothing but k6 modules', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'refstack-k6-dist-'));
    const built = await buildK6Scripts({ outDir });
    expect(built.map((b) => b.name)).toEqual([...K6_SCRIPTS]);
    for (const script of built) {
      expect(script.imports.every((path) => path === 'k6' || path.startsWith('k6/')), `${script.name}: ${script.imports.join()}`).toBe(true);
      expect(script.imports).toContain('k6/http');
      const code = readFileSync(script.file, 'utf8');
      expect(code).toMatch(/^export \{/m);
      expect(code).not.toMatch(/\brequire\(|from "node:|process\.env/);
      const mjs = `${script.file}.mjs`;
      copyFileSync(script.file, mjs);
      const check = spawnSync(process.execPath, ['--check', mjs], { encoding: 'utf8' });
      expect(check.stderr, `${script.name}.js must parse as an ES module`).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('never type a threshold number: every threshold expression comes from load/lib/thresholds.ts', () => {
    const files = readdirSync(join(ROOT, 'load'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('dist'));
    for (const file of files) {
      const text = readFileSync(join(ROOT, 'load', file), 'utf8');
      const literal = [...text.matchAll(/['"`](p\(\d+\)|rate|avg|med|max|count)\s*(<|>|=)=?\s*\d[^'"`]*/g)].map((m) => m[0].slice(1));
      // "max>=0" / "rate>=0" only make k6 keep a sub-metric (observeOnly); they judge nothing.
      expect(literal.filter((e) => !/^(max|rate)>=0$/.test(e)), file).toEqual([]);
    }
  });

  it.each(K6_SCRIPTS)('%s: thresholds equal the targets file', async (name) => {
    const script = await importScript(name, LOCAL);
    const scenario = Object.values(script.options.scenarios)[0]!;
    const thresholds = script.options.thresholds;
    const p95 = [k6Expression('p(95)', targets.latency.apiP95Ms)];
    const failed = [k6Expression('rate', targets.latency.errorRate)];
    if (name === 'stress') {
      const sloStages = Object.keys(thresholds).filter((k) => thresholds[k]![0] === p95[0]);
      expect(sloStages.length, 'plateaus up to the reference rate hold the SLO').toBe(4);
      for (const key of sloStages) expect(thresholds[key.replace('http_req_duration', 'http_req_failed')]).toEqual(failed);
      expect(scenario.executor).toBe('ramping-arrival-rate');
      expect(Math.max(...scenario.stages!.map((s) => s.target))).toBe(2 * targets.plan.apiThroughputRps);
      return;
    }
    expect(thresholds.http_req_duration).toEqual(p95);
    expect(thresholds.http_req_failed).toEqual(failed);
    expect(thresholds.dropped_iterations?.[0]).toMatch(new RegExp(`^rate${targets.latency.errorRate.op}[0-9.]+$`));
    if (name === 'smoke') expect(thresholds.checks).toEqual([k6Expression('rate', targets.load.smokeChecksPassRate)]);
    if (name === 'load') {
      expect(scenario).toMatchObject({ executor: 'constant-arrival-rate', rate: targets.plan.apiThroughputRps });
      expect(thresholds.dropped_iterations).toEqual([k6Expression('rate', { ...targets.latency.errorRate, value: targets.latency.errorRate.value * targets.plan.apiThroughputRps })]);
    }
  });

  it('scale every shape with RATE for a smaller staging', async () => {
    const script = await importScript('load', { ...LOCAL, RATE: '300', DURATION: '60' });
    expect(script.options.scenarios.load).toMatchObject({ rate: 300, duration: '60s' });
  });

  it('refuse a remote BASE_URL unless the staging opt-in is set, and name missing settings', async () => {
    await expect(importScript('load', { ...LOCAL, BASE_URL: 'https://staging.example.com' })).rejects.toThrow(/only 127\.0\.0\.1 unless REFSTACK_STAGING_LOAD=1/);
    await expect(importScript('load', { ...LOCAL, BASE_URL: 'https://staging.example.com', REFSTACK_STAGING_LOAD: '1' })).resolves.toBeDefined();
    await expect(importScript('load', { API_KEYS: LOCAL.API_KEYS })).rejects.toThrow(/BASE_URL is not set/);
    await expect(importScript('load', { BASE_URL: LOCAL.BASE_URL })).rejects.toThrow(/API_KEYS is empty/);
  });

  it('send the traffic mix: users first, every operation, keys in rotation, routes tagged by template', async () => {
    const state = stub();
    state.requests = [];
    const script = await importScript('smoke', LOCAL);
    const data = script.setup();
    expect(data.userIds.length).toBe(20);
    expect(state.requests.every((r) => r.method === 'POST' && r.url === `${LOCAL.BASE_URL}/v1/users`)).toBe(true);
    state.requests = [];
    state.checks = { passed: 0, failed: 0 };
    const n = 2_000;
    for (let i = 0; i < n; i++) {
      state.iteration = i;
      script.default(data);
    }
    const byOperation: Record<string, number> = {};
    for (const r of state.requests) byOperation[r.params.tags!.operation!] = (byOperation[r.params.tags!.operation!] ?? 0) + 1;
    for (const [operation, weight] of Object.entries(MIX_WEIGHTS)) {
      expect(byOperation[operation] ?? 0, operation).toBeGreaterThan((n * weight) / 100 * 0.7);
      expect(byOperation[operation] ?? 0, operation).toBeLessThan((n * weight) / 100 * 1.3);
    }
    const keys = state.requests.map((r) => r.params.headers!['X-API-Key']);
    expect(new Set(keys)).toEqual(new Set(['key-web-0001', 'key-mob-0001', 'key-par-0001']));
    expect(new Set(state.requests.map((r) => r.params.tags!.name))).toEqual(
      new Set(['/v1/products/{id}', '/v1/orders/{id}', '/v1/sessions', '/v1/orders', '/v1/users']),
    );
    const orderRead = state.requests.find((r) => r.params.tags!.operation === 'getOrder')!;
    expect(orderRead.params.responseCallback).toEqual({ expected: [200, 404] });
    const post = state.requests.find((r) => r.method === 'POST')!;
    expect(post.params.headers!['Content-Type']).toBe('application/json');
    expect(state.checks.failed).toBe(0);
  });

  it('write a results.json-shaped summary where dropped iterations count as errors', async () => {
    const script = await importScript('load', { ...LOCAL, SUMMARY_PATH: 'out/load.json' });
    const data: K6SummaryData = {
      metrics: {
        http_req_duration: { values: { med: 20, 'p(95)': 150, 'p(99)': 300 } },
        http_req_failed: { values: { rate: 0.005, passes: 5, fails: 995 } },
        http_reqs: { values: { count: 1000, rate: 100 } },
        dropped_iterations: { values: { count: 10, rate: 0.1 } },
      },
    };
    const output = script.handleSummary(data);
    expect(output.stdout).toMatch(/FAIL\s+k6_load\.error_rate/);
    const file = JSON.parse(output['out/load.json']!) as SummaryFile;
    expect(file).toMatchObject({ schema: 1, source: 'k6', script: 'load', baseUrl: LOCAL.BASE_URL, thresholdsOk: true });
    const byId = Object.fromEntries(file.results.map((r) => [r.id, r]));
    expect(byId['k6_load.api_p95_ms']).toMatchObject({ value: 150, unit: 'ms', target: `${targets.latency.apiP95Ms.op} ${targets.latency.apiP95Ms.value}`, pass: true, suite: 'load/load.ts' });
    expect(byId['k6_load.error_rate']).toMatchObject({ value: 15 / 1010, pass: false });
    expect(byId['k6_load.achieved_rps']).toMatchObject({ value: 100, target: null, pass: true });
    for (const record of file.results) {
      const asResult: ResultRecord = record;
      expect(asResult.id).toMatch(ID_PATTERN);
      expect(Object.keys(record).every((k) => ['id', 'value', 'unit', 'target', 'pass', 'suite', 'note', 'at'].includes(k))).toBe(true);
      if (record.target !== null) expect(() => parseTarget(record.target!)).not.toThrow();
    }
  });

  it('stress: report the knee as the highest plateau up to which every plateau held the SLO', async () => {
    const script = await importScript('stress', { ...LOCAL, RATE: '1000' });
    const slow = targets.latency.apiP95Ms.value * 2;
    const plateau = (p95: number, failed: number) => ({
      duration: { values: { 'p(95)': p95 } },
      failed: { values: { passes: failed, fails: 1000 - failed, rate: failed / 1000 } },
    });
    const plateaus = [plateau(10, 0), plateau(20, 0), plateau(40, 0), plateau(90, 5), plateau(slow, 0), plateau(10, 0), plateau(slow, 500)];
    const metrics: K6SummaryData['metrics'] = {
      http_req_duration: { values: { med: 30, 'p(95)': 120, 'p(99)': 900 } },
      http_req_failed: { values: { passes: 505, fails: 6495, rate: 0.07 } },
      http_reqs: { values: { count: 7000, rate: 500 } },
    };
    plateaus.forEach((p, index) => {
      metrics[`http_req_duration{stage:p${index + 1}}`] = p.duration;
      metrics[`http_req_failed{stage:p${index + 1}}`] = p.failed;
    });
    const file = JSON.parse(Object.entries(script.handleSummary({ metrics })).find(([k]) => k !== 'stdout')![1]) as SummaryFile;
    const knee = file.results.find((r) => r.id === 'k6_stress.knee_rps')!;
    // p5 (1250 req/s) missed p95; p6 passing again does not move the knee past the first miss.
    expect(knee).toMatchObject({ value: 1000, target: '>= 1000', pass: true });
    expect(file.results.find((r) => r.id === 'k6_stress.p5_p95_ms')).toMatchObject({ value: slow, note: 'plateau at 1250 req/s' });
  });
});
