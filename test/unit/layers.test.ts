import { createRequire } from 'node:module';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as { forbidden: unknown[]; options: Record<string, unknown> };

describe('layers run one way (.dependency-cruiser.cjs)', () => {
  it('no import runs back up: core ← services ← stack ← scenarios ← environment ← CLI, and the sample app imports no harness code', async () => {
    const result = await cruise(['src', 'services', 'monitoring', 'sample-app/src', 'sample-app/openapi'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden }, exclude: { path: '(node_modules|/test/)' } } as never);
    const output = result.output as ICruiseResult;
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(output.summary.totalCruised, 'the cruise read the sources').toBeGreaterThan(100);
    expect(violations).toEqual([]);
  }, 120_000);

  it('the rules can fail: a core module importing the stack is reported', async () => {
    const result = await cruise(['src/core/spec.ts', 'src/stack/plan.ts'], {
      ...config.options,
      validate: true,
      ruleSet: { forbidden: [{ name: 'probe', severity: 'error', from: { path: '^src/stack/' }, to: { path: '^src/core/' } }] },
    } as never);
    expect((result.output as ICruiseResult).summary.violations.map((v) => v.rule.name)).toContain('probe');
  }, 120_000);
});
