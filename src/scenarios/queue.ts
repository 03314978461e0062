import { seconds, waitFor } from '../core/poll.ts';
import { targets } from '../core/targets.ts';
import { apiClient, type ApiClient } from '../../services/sample-app/client.ts';
import type { Scenario } from './scenario.ts';

const ORDERS = 20;

async function countStatus(api: ApiClient, ids: string[], status: string): Promise<number> {
  const answers = await Promise.all(ids.map((id) => api.call('GET', `/v1/orders/${id}`)));
  return answers.filter((a) => a.status === 200 && (a.body as { status?: string }).status === status).length;
}

export const workerStop: Scenario = {
  name: 'worker-stop',
  title: 'Worker down',
  claim: 'orders accepted while the worker is stopped wait in the quorum queue and are all processed once it is back',
  services: ['nginx', 'sample-worker'],
  resultPrefix: 'queue',
  drill: true,
  async run(ctx) {
    const api = await apiClient(ctx.stack);
    const worker = ctx.stack.first('sample-worker');
    ctx.onRollback('the worker running', async () => {
      if (!(await worker.state()).running) await worker.start();
      await worker.waitReady(60_000);
    });
    const userId = await api.createUser('worker');
    await ctx.step('stop the worker (SIGTERM, 10 s grace)', () => worker.stop(10));
    ctx.mark('worker stopped');
    const ids = await ctx.step(`post ${ORDERS} orders while it is down`, async () => {
      const accepted: string[] = [];
      for (let i = 0; i < ORDERS; i++) {
        const r = await api.createOrder(userId, String((i % 100) + 1));
        if (r.status === 201) accepted.push((r.body as { id: string }).id);
      }
      return accepted;
    });
    ctx.mark(`${ids.length}/${ORDERS} orders accepted by the API while the worker is down`);
    const pending = await countStatus(api, ids, 'pending');
    const startedAt = performance.now();
    await ctx.step('start the worker again', () => worker.start());
    let processed = 0;
    await ctx.step('every order accepted during the outage is processed', () =>
      waitFor('every order processed', async () => ((processed = await countStatus(api, ids, 'processed')) === ids.length ? true : undefined), { timeoutMs: 90_000, intervalMs: 250 }),
    ).catch(() => undefined);
    ctx.mark(`${processed}/${ids.length} of those orders processed`);
    ctx.figure('orders_accepted_while_stopped', ids.length, 'orders', { note: `of ${ORDERS} posted; ${pending} still pending before the restart` });
    ctx.figure('backlog_drain_seconds', seconds(startedAt, performance.now()), 's', { note: 'worker start → last backlog order processed' });
    ctx.figure('unprocessed_orders', ids.length - processed, 'orders', { target: targets.environment.unprocessedOrders });
  },
};
