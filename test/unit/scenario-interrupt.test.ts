import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../src/core/profiles.ts';
import type { StackHandle } from '../../src/core/spec.ts';
import { runScenario, type Scenario } from '../../src/scenarios/scenario.ts';

const stack = { project: 'unit', profile: PROFILES.test, has: () => true } as unknown as StackHandle;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an interrupted scenario', () => {
  it('starts no step after the interrupt, lets the step in flight finish, then runs its rollbacks', async () => {
    const events: string[] = [];
    const scenario: Scenario = {
      name: 'unit',
      title: 't',
      claim: 'c',
      services: [],
      resultPrefix: 'unit',
      async run(ctx) {
        ctx.onRollback('undo', async () => void events.push('rollback'));
        await ctx.step('destructive', async () => {
          await wait(300);
          events.push('destructive done');
        });
        await ctx.step('next', async () => void events.push('next'));
      },
    };
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const report = await runScenario(scenario, stack, { signal: abort.signal, quiet: true });
    await wait(50);
    expect(events).toEqual(['destructive done', 'rollback']);
    expect(report.ok).toBe(false);
    expect(report.failures[0]).toMatch(/^interrupted/);
  });
});
