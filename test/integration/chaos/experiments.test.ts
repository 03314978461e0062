import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ROOT } from '../../../src/core/paths.ts';
import { compileExperiment } from '../../../src/chaos/compile.ts';
import { loadExperiments, parseExperiment } from '../../../src/chaos/load.ts';
import { runExperiments, type ChaosRun } from '../../../src/chaos/run.ts';
import { CHAOS_STACK } from '../../../src/chaos/stack.ts';
import { runScenario } from '../../../src/scenarios/scenario.ts';
import { formatReport } from '../../../src/scenarios/scenario.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useStack } from '../../../src/testing/stack.ts';
import { cellScenario, EVERY_RUN_CELLS } from '../../../src/contract/index.ts';
import { chromiumMissing, openInChromium } from '../../../src/testing/browser.ts';

/** The four experiments every `npm test` runs (`every-run: true`); the full set is the nightly job. */
const EVERY_RUN = loadExperiments().filter((e) => e.everyRun);

describeWithDocker(`chaos experiments (${EVERY_RUN.map((e) => e.name).join(', ')}) and one contract cell per dependency, on one stack`, () => {
  // What these four need: the API behind nginx with its backends and the worker, Toxiproxy on its routes,
  // and the alerting path; every scenario and probe they use names its services (a missing one is an error).
  const stack = useStack({ profile: CHAOS_STACK.profile, services: ['nginx', 'sample-worker', 'toxiproxy', 'prometheus', 'alertmanager', 'alert-receiver'], options: CHAOS_STACK.options });
  let run: ChaosRun | undefined;

  it('every experiment of the subset holds: steady state before and after, every expected alert within its detection promise', async () => {
    run = await runExperiments(stack(), EVERY_RUN);
    const missed = run.journals.filter((j) => !j.report?.ok).map((j) => formatReport(j.report!));
    expect(missed, 'experiments that did not hold').toEqual([]);
    expect(run.score).toBe(1);
  }, 900_000);

  it('a deliberately broken experiment (a tolerance no system can meet) does not hold, says why, and injects nothing', async () => {
    const file = join(ROOT, 'test/fixtures/chaos/impossible-latency.yaml');
    const report = await runScenario(compileExperiment(parseExperiment(readFileSync(file, 'utf8'), file)), stack(), { quiet: true });
    expect(report.ok).toBe(false);
    expect(report.failures[0]).toMatch(/steady state does not hold before the method \(no fault injected\): api-p95-ms = [\d.]+ ms misses < 0/);
    expect(report.steps.map((s) => s.name)).not.toContain(expect.stringMatching(/^pause/));
    expect((await stack().instance('sample-api-1').state()).paused).toBe(false);
  }, 300_000);

  it('the game-day report of the run renders in headless Chromium: every experiment present, plots drawn, no console error', async () => {
    expect(run, 'the run above').toBeDefined();
    expect(chromiumMissing()).toBeUndefined();
    const page = await openInChromium(run!.reportPath);
    expect(page.errors).toEqual([]);
    expect(page.dom.sections).toEqual(EVERY_RUN.map((e) => e.name));
    expect(page.dom.plotted).toBe(3 * EVERY_RUN.length);
    expect(page.png.length).toBeGreaterThan(40_000);
  }, 120_000);

  // The sample app's contract under one fault per dependency (contract.<dependency>.<fault>.*), on the same
  // stack: its Toxiproxy routes are the matrix's. The whole matrix: test/nightly/contract/matrix.test.ts.
  for (const [dependency, fault] of EVERY_RUN_CELLS) itScenario(cellScenario(dependency, fault), stack, 420_000);
});
