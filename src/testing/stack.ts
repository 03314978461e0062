import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProfileName } from '../core/profiles.ts';
import { runDir } from '../core/results/results.ts';
import { collectEvidence } from '../stack/docker/evidence.ts';
import { ephemeralPlacement } from '../stack/docker/placement.ts';
import { startStack } from '../stack/docker/start.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import type { StackRequest } from '../stack/plan.ts';
import { formatReport, runScenario, type Scenario } from '../scenarios/scenario.ts';
import { record } from './record.ts';

/**
 * A subset of the one stack for the test file: started (with the `test` profile unless asked otherwise)
 * before its tests, removed after them whatever happened. The returned function gives the running stack.
 */
export function useStack(request: Omit<StackRequest, 'profile'> & { profile?: ProfileName }): () => RunningStack {
  let stack: RunningStack | undefined;
  beforeAll(async () => {
    stack = (await startStack({ profile: 'test', ...request }, ephemeralPlacement())).stack;
  }, 600_000);
  afterAll(async () => {
    await stack?.remove();
  }, 180_000);
  return () => {
    if (!stack) throw new Error('the stack did not start (see the error of beforeAll above)');
    return stack;
  };
}

/**
 * `it(claim)` running a scenario: every figure is recorded with its target, and a scenario that did not
 * hold fails with its report and leaves its evidence (instance states and logs) under reports/<run>/evidence/.
 */
export function itScenario(scenario: Scenario, stack: () => RunningStack, timeoutMs = 600_000): void {
  it(`${scenario.name}: ${scenario.claim}`, async () => {
    const report = await runScenario(scenario, stack());
    for (const f of report.figures) {
      record({ id: f.id, value: f.value, unit: f.unit, ...(f.target ? { target: f.target } : {}), ...(f.bound ? { bound: f.bound } : {}), ...(f.note ? { note: f.note } : {}) });
    }
    if (!report.ok) {
      const evidence = await collectEvidence(stack(), join(runDir(), 'evidence', scenario.name)).catch((e: Error) => `(evidence not collected: ${e.message})`);
      expect.fail(`${formatReport(report)}\nevidence: ${evidence}`);
    }
  }, timeoutMs);
}
