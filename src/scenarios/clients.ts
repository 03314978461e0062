import { waitFor } from '../core/poll.ts';
import { targets } from '../core/targets.ts';
import type { Target } from '../core/results/target.ts';
import { apiClient } from '../../services/sample-app/client.ts';
import { ApiProbe, writeRecoverySeconds, type ProbePace, type ProbeReport } from '../../services/sample-app/probes/client-probe.ts';
import type { ScenarioContext } from './scenario.ts';

export interface ClientWatch {
  /** Stops the probe (bounded) and records what clients saw: failed reads and writes, and when writes came back. */
  finish(faultAt: number, recoveryTarget: Target): Promise<void>;
}

/**
 * What the API's clients see during a database fault, when the stack runs the API behind nginx: a read
 * (GET an order: the replica path, never cached) and a write (POST an order) every 100 ms. Without the
 * API in the stack, nothing is watched and no client figure is reported. `options.failedReads` renames the
 * failed-reads figure (default `api_failed_reads`) for a scenario whose claim is about reads; `options.pace`
 * is the probe's ({@link ProbePace}, default paired).
 */
export async function watchClients(ctx: ScenarioContext, options: { failedReads?: string; pace?: ProbePace } = {}): Promise<ClientWatch | undefined> {
  if (!ctx.stack.has('nginx')) return undefined;
  const api = await apiClient(ctx.stack);
  const restartsBefore = await appRestarts(ctx);
  const probe = await ctx.step('an API client reads and writes through nginx every 100 ms', async () => {
    const userId = await api.createUser('scenario');
    const order = await api.createOrder(userId);
    if (order.status !== 201) throw new Error(`POST /v1/orders answered ${order.status}: ${JSON.stringify(order.body)}`);
    const orderId = (order.body as { id: string }).id;
    await waitFor('the probe order on the replicas', async () => ((await api.call('GET', `/v1/orders/${orderId}`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
    return new ApiProbe(api, userId, orderId, undefined, options.pace).start();
  });
  // A step failing before finish() must not leave the probe sending into the next scenario or suite.
  ctx.onRollback('API client probe stopped', async () => void (await probe.stop()));
  return {
    async finish(faultAt, recoveryTarget) {
      await probe.waitForWrites(faultAt, 5, 60_000);
      const report = await probe.stop();
      clientFigures(ctx, report, faultAt, recoveryTarget, options.failedReads ?? 'api_failed_reads');
      const restarts = (await appRestarts(ctx)) - restartsBefore;
      ctx.figure('app_process_restarts', restarts, 'restarts', { note: restarts ? 'sample-app processes exited during the scenario and were restarted (see their logs)' : 'no sample-app process exited' });
    },
  };
}

function clientFigures(ctx: ScenarioContext, api: ProbeReport, faultAt: number, recoveryTarget: Target, failedReads: string): void {
  const why = (method: string) =>
    Object.entries(api.why)
      .filter(([k]) => k.startsWith(method))
      .map(([k, n]) => `${n}× ${k}`)
      .join(', ');
  ctx.figure(failedReads, api.reads.failed, 'requests', {
    target: targets.environment.drillFailedReads,
    note: `${api.reads.ok} reads served through nginx${api.reads.failed ? `; failed: ${why('GET')}` : ''}`,
  });
  ctx.figure('api_failed_writes', api.writes.failed, 'requests', { note: `${api.writes.ok} orders accepted${api.writes.failed ? `; failed: ${why('POST')}` : ''}` });
  const recovered = api.writeSuccesses.find((t) => t > (api.writeFailures.filter((f) => f >= faultAt).at(-1) ?? Number.POSITIVE_INFINITY));
  if (recovered) ctx.mark('the API accepts orders again', recovered);
  ctx.figure('api_write_recovery_seconds', writeRecoverySeconds(api, faultAt), 's', { target: recoveryTarget, note: 'fault → first order accepted after the last refused one' });
}

/** How often the engine restarted the app's containers (restart policy on-failure): each is a crash. */
async function appRestarts(ctx: ScenarioContext): Promise<number> {
  const instances = ['sample-api', 'sample-worker'].filter((s) => ctx.stack.has(s)).flatMap((s) => ctx.stack.instances(s));
  const states = await Promise.all(instances.map((i) => i.state()));
  return states.reduce((sum, s) => sum + s.restarts, 0);
}
