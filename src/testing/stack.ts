import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { currentRunId } from '../core/docker/labels.ts';
import type { Secrets } from '../core/spec.ts';
import { CORE_SERVICES } from '../stack/definition.ts';
import { jaeger } from '../../services/jaeger/spec.ts';
import { logShipper } from '../../services/log-shipper/spec.ts';
import { opensearch } from '../../services/opensearch/spec.ts';
import { planStack } from '../stack/plan.ts';
import { RunningStack as Stack } from '../stack/docker/stack.ts';
import type { ProfileName } from '../core/profiles.ts';
import { runDir } from '../core/results/results.ts';
import { collectEvidence } from '../stack/docker/evidence.ts';
import { ephemeralPlacement, type Placement } from '../stack/docker/placement.ts';
import { startStack } from '../stack/docker/start.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import type { StackRequest } from '../stack/plan.ts';
import { formatReport, runScenario, type Scenario } from '../scenarios/scenario.ts';
import { record } from './record.ts';
import { lastSharedStackUser } from './sequencer.ts';

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
 * The whole stack but the search and tracing tier (each on a stack of its own: test/nightly/logs,
 * test/integration/tracing; a JVM and a trace collector beside the latency suite would measure this 2-core
 * machine, not the API), with the options every suite that shares it needs: more API clients (one with a 5 req/s
 * limit), the API's fault-injection endpoint, a pre-stop delay.
 */
export const SHARED_REQUEST: StackRequest = {
  profile: 'test',
  services: CORE_SERVICES.filter((s) => ![opensearch.name, logShipper.name, jaeger.name].includes(s)),
  options: { 'sample-app.clients': 'web,mobile,partner,batch,tiny:5', 'sample-app.faults': 'on', 'sample-app.env': 'SHUTDOWN_DELAY_MS=1500' },
};

interface SharedStackRecord {
  placement: Placement;
  request: StackRequest;
  secrets: Secrets;
}

/**
 * The test run's shared stack: started by the first file that asks for it, reused by every later one
 * (its identity is kept in reports/<run>/shared-stack.json, since test files do not share modules), and
 * removed after the last file that uses it (src/testing/sequencer.ts runs those files first), or with the run. Starting a full stack costs a minute on this machine; files that only run
 * scenarios and leave it healthy (their rollbacks always run) share one. A file that must break it for
 * good uses {@link useStack} instead. `first: true` asks the sequencer to run the file before the other users,
 * on the stack as `refstack up` leaves it, before any suite's faults and restarts (the quiet-window check).
 */
export function useSharedStack(_order: { first?: boolean } = {}): () => RunningStack {
  let stack: RunningStack | undefined;
  beforeAll(async () => {
    stack = await sharedStack();
  }, 900_000);
  afterAll(async () => {
    if (!lastSharedStackUser()) return;
    rmSync(join(runDir(), 'shared-stack.json'), { force: true });
    await stack?.remove();
  }, 180_000);
  return () => {
    if (!stack) throw new Error('the shared stack did not start (see the error of beforeAll above)');
    return stack;
  };
}

async function sharedStack(): Promise<RunningStack> {
  const file = join(runDir(), 'shared-stack.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SharedStackRecord;
    const reused = new Stack(planStack(saved.request, saved.secrets), saved.placement);
    const states = await Promise.all(reused.all().map((i) => i.state()));
    if (states.every((st) => st.health !== 'missing')) {
      await Promise.all(reused.all().map((i) => i.recover().then(() => i.waitReady(120_000))));
      return reused;
    }
  }
  const { stack } = await startStack(SHARED_REQUEST, { ...ephemeralPlacement(), runId: currentRunId() });
  mkdirSync(runDir(), { recursive: true });
  writeFileSync(file, JSON.stringify({ placement: stack.placement, request: stack.plan.request, secrets: stack.secrets } satisfies SharedStackRecord));
  return stack;
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
