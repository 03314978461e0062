import type { TestProject } from 'vitest/node';
import { removeRun, removeStaleTestRuns } from '../core/docker/cleanup.ts';
import { currentRunId } from '../core/docker/labels.ts';
import { engineCheck } from '../cli/doctor.ts';
import { ensureImages } from '../core/images/build.ts';
import { detail, step } from '../core/progress.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why integration suites are skipped; only ever set when REFSTACK_ALLOW_SKIP=1. */
    refstackSkipReason: string | undefined;
  }
}

/**
 * Integration project set-up: the engine must answer (or the user opted into skipping), stale
 * leftovers of crashed runs are removed, images are built when their folder changed, and
 * everything this run labelled is removed at the end, whatever happened in between.
 */
export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return integrationSetup(project);
}

/** `images` limits which images are built before the suites run (all of images/ by default). */
export async function integrationSetup(project: TestProject, images?: string[]): Promise<() => Promise<void>> {
  const runId = currentRunId();
  // Plain `vitest` (without scripts/run-tests.ts): this process owns the run's resources.
  process.env.REFSTACK_RUN_PID ??= String(process.pid);
  const engine = await engineCheck();
  if (!engine.ok) {
    const message = `refstack integration suites need a Docker engine.\n  ${engine.detail}\n  fix: ${engine.fix}`;
    if (process.env.REFSTACK_ALLOW_SKIP === '1') {
      process.stderr.write(`\nSKIPPING integration suites (REFSTACK_ALLOW_SKIP=1): ${message}\n\n`);
      project.provide('refstackSkipReason', message);
      return async () => undefined;
    }
    throw new Error(`${message}\n  (to skip the integration suites visibly instead, set REFSTACK_ALLOW_SKIP=1)`);
  }
  project.provide('refstackSkipReason', undefined);
  const stale = await removeStaleTestRuns();
  if (stale.containers + stale.networks + stale.volumes > 0) {
    step(`removed leftovers of crashed runs: ${stale.containers} containers, ${stale.networks} networks, ${stale.volumes} volumes`);
  }
  await ensureImages(images);
  return async () => {
    const removed = await removeRun(runId);
    if (removed.containers + removed.networks + removed.volumes > 0) {
      detail(`cleanup: removed ${removed.containers} containers, ${removed.networks} networks, ${removed.volumes} volumes left by run ${runId}`);
    }
  };
}
