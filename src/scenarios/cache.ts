import { seconds, sleep, waitFor } from '../core/poll.ts';
import type { Target } from '../core/results/target.ts';
import { targets } from '../core/targets.ts';
import { redisSet } from '../../services/redis/probe.ts';
import { redisTier } from '../../services/redis/handle.ts';
import { apiClient, type ApiClient } from '../../services/sample-app/client.ts';
import type { Scenario } from './scenario.ts';

const le = (value: number): Target => ({ op: '<=', value });

/** GET /v1/products/<1..100> every 50 ms, bounded: the cache-aside path that depends on Redis. */
export function cachedReads(api: ApiClient) {
  let stopping = false;
  const tally = { ok: 0, failed: [] as string[], lastCacheHit: 0 };
  const loop = (async () => {
    const end = performance.now() + 180_000;
    for (let i = 0; !stopping && performance.now() < end && i < 5_000; i++) {
      const r = await api.call('GET', `/v1/products/${(i % 100) + 1}`, undefined, 3_000);
      if (r.status === 200) tally.ok++;
      else tally.failed.push(String(r.status));
      if (r.headers?.get('x-read-source') === 'cache') tally.lastCacheHit = performance.now();
      await sleep(50);
    }
  })();
  return {
    tally,
    async stop() {
      stopping = true;
      await loop;
      return tally;
    },
  };
}

export const redisMasterKill: Scenario = {
  name: 'redis-master-kill',
  title: 'Redis master lost',
  claim: "a SIGKILLed Redis master is replaced by Sentinel within the profile's cache failover promise, reads are served throughout, and the API caches on the new master",
  services: ['nginx'],
  resultPrefix: 'sample_app',
  drill: true,
  async run(ctx) {
    const tier = redisTier(ctx.stack);
    const api = await apiClient(ctx.stack);
    await ctx.step('the Redis tier is settled: every Sentinel names one master, every replica linked to it', () => tier.waitSettled());
    const master = await tier.master();
    ctx.onRollback(`${master.name} running again (as a replica of the new master)`, async () => {
      if (!(await master.state()).running) await master.start();
      await tier.waitSettled(120_000);
    });
    const reads = cachedReads(api);
    await sleep(1_000);
    const faultAt = ctx.mark(`SIGKILL ${master.name} (the master Sentinel names)`);
    try {
      const replica = await ctx.step(`SIGKILL ${master.name}; a majority of the Sentinels promotes a replica`, async () => {
        await master.kill();
        return tier.waitForPromotion(master, { timeoutMs: 90_000 });
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await tier.diagnostics()}`);
      });
      const promotedAt = ctx.mark(`Sentinel names ${replica.name} as master`);
      ctx.figure('sentinel_failover_seconds', seconds(faultAt, promotedAt), 's', { target: le(ctx.promises.cacheFailoverSeconds), note: 'SIGKILL → Sentinel names the new master (down-after + election)' });
      await ctx.step(`${replica.name} accepts writes`, () =>
        waitFor(`a write on ${replica.name}`, async () => redisSet(await replica.hostPort('redis'), 'refstack:scenario', String(Date.now())).then(() => true, () => undefined), { timeoutMs: 30_000, intervalMs: 100 }),
      );
      await ctx.step('the API serves cache hits from the new master', () =>
        waitFor('a cache hit after the promotion', async () => (reads.tally.lastCacheHit > promotedAt ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 }),
      );
      ctx.figure('redis_failover_cache_back_seconds', seconds(faultAt, reads.tally.lastCacheHit), 's', { note: 'SIGKILL of the master → the first cache hit served by the promoted replica' });
      ctx.mark('the API caches on the new master', reads.tally.lastCacheHit);
    } finally {
      const tally = await reads.stop();
      ctx.figure('api_failed_reads', tally.failed.length, 'requests', {
        target: targets.sampleApp.redisDownFailedReads,
        note: `${tally.ok} product reads through ${ctx.stack.has('nginx') ? 'nginx' : 'the API'}${tally.failed.length ? `; failed: ${tally.failed.slice(0, 10).join(', ')}` : ''}`,
      });
    }
    await ctx.step(`${master.name} comes back as a replica of the new master`, async () => {
      await master.start();
      await tier.waitSettled(120_000);
    });
  },
};
