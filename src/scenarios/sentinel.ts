import { seconds, sleep, waitFor } from '../core/poll.ts';
import type { Target } from '../core/results/target.ts';
import type { InstanceHandle, StackHandle } from '../core/spec.ts';
import { targets } from '../core/targets.ts';
import { colocatedWriter, redisTier, type RedisTier, type SentinelView } from '../../services/redis/handle.ts';
import { existingKeys, redisInfo } from '../../services/redis/probe.ts';
import { MASTER_NAME, SENTINEL_PORT } from '../../services/redis/spec.ts';
import { apiClient } from '../../services/sample-app/client.ts';
import { cachedReads } from './cache.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

const le = (value: number): Target => ({ op: '<=', value });
const none: Target = { op: '==', value: 0 };

/**
 * Every Sentinel polled every 200 ms until stopped: the seconds during which any Sentinel that answered named a
 * master other than `expected` (each wrong poll counts the time since the poll before it).
 */
function watchSentinels(tier: RedisTier, expected: string) {
  let stopping = false;
  const seen = { polls: 0, unanswered: 0, wrongSeconds: 0, wrong: [] as string[] };
  const loop = (async () => {
    let previous = performance.now();
    const end = previous + 300_000;
    while (!stopping && performance.now() < end) {
      const views: SentinelView[] = await tier.views();
      const now = performance.now();
      seen.polls++;
      seen.unanswered += views.filter((v) => v.error).length;
      const wrong = views.filter((v) => !v.error && v.master !== expected);
      if (wrong.length) {
        seen.wrongSeconds += (now - previous) / 1000;
        if (seen.wrong.length < 5) seen.wrong.push(wrong.map((v) => `${v.sentinel} named ${v.master ?? 'nothing'}`).join(', '));
      }
      previous = now;
      await sleep(200);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { ...seen, wrongSeconds: Number(seen.wrongSeconds.toFixed(2)) };
    },
  };
}

/** The API instances connected to `node` (its CLIENT LIST, matched against each instance's addresses), and those that are not. */
async function apiInstancesOn(stack: StackHandle, node: InstanceHandle): Promise<{ on: string[]; off: string[] }> {
  const clients = await node.sh('redis-cli client list');
  const on: string[] = [];
  const off: string[] = [];
  for (const api of stack.instances('sample-api')) {
    const addresses = (await api.sh('hostname -i')).trim().split(/\s+/);
    (addresses.some((a) => clients.includes(`addr=${a}:`)) ? on : off).push(api.name);
  }
  return { on, off };
}

async function everyApiInstanceOn(ctx: ScenarioContext, node: InstanceHandle): Promise<void> {
  await ctx.step(`every API instance is connected to ${node.name}`, () =>
    waitFor(`every API instance connected to ${node.name}`, async () => {
      const { off } = await apiInstancesOn(ctx.stack, node);
      if (off.length) throw new Error(`${off.join(', ')} not connected to ${node.name}`);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 500 }),
  );
}

/** The instance's address on the stack network, as its peers resolve its name. */
const serviceAddress = async (node: InstanceHandle) => (await node.sh(`getent hosts ${node.name} | cut -d' ' -f1`)).trim() || 'none';

/** The tier, the API's client and the master, once the tier is settled: where both scenarios start. */
async function settledTier(ctx: ScenarioContext) {
  const tier = redisTier(ctx.stack);
  const api = await apiClient(ctx.stack);
  await ctx.step('the Redis tier is settled: three Sentinels agree on one master, both replicas linked to it', () => tier.waitSettled(90_000));
  return { tier, api, master: await tier.master() };
}

export const sentinelRestart: Scenario = {
  name: 'sentinel-restart',
  title: 'Sentinels restarted after a failover',
  claim: 'after a Sentinel-led failover, restarting every Sentinel — one at a time, then all three at once — never makes one of them name a master other than the current one, no failover follows, and every API instance stays on that master',
  services: ['nginx'],
  resultPrefix: 'redis',
  drill: true,
  async run(ctx) {
    const { tier, api, master: first } = await settledTier(ctx);
    ctx.onRollback('every Sentinel running', async () => {
      await Promise.allSettled(tier.sentinels.map(async (s) => ((await s.state()).running ? undefined : s.start())));
      await tier.waitSettled(120_000);
    });
    const failoverAt = ctx.mark(`SENTINEL FAILOVER ${MASTER_NAME} (away from ${first.name})`);
    const current = await ctx.step(`fail over away from ${first.name} (SENTINEL FAILOVER on ${tier.sentinels[0]!.name})`, async () => {
      await tier.sentinels[0]!.sh(`redis-cli -p ${SENTINEL_PORT} sentinel failover ${MASTER_NAME}`);
      const promoted = await tier.waitForPromotion(first, { timeoutMs: 60_000, intervalMs: 200 });
      await tier.waitSettled(90_000);
      return promoted;
    });
    ctx.figure('sentinel_failover_settled_seconds', seconds(failoverAt, performance.now()), 's', { note: `${first.name} → ${current.name}: the command until every Sentinel and replica agrees` });
    const reads = cachedReads(api);
    try {
      const watch = watchSentinels(tier, current.name);
      const restartedAt = ctx.mark('first Sentinel restart');
      try {
        for (const s of tier.sentinels) {
          await ctx.step(`restart ${s.name}; it names ${current.name} once it answers`, async () => {
            await s.restart(2);
            await waitFor(`${s.name} answering`, async () => ((await tier.views()).find((v) => v.sentinel === s.name && !v.error) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
          });
        }
        await ctx.step('stop all three Sentinels, then start them together (none remembers the failover from a peer)', async () => {
          await Promise.all(tier.sentinels.map((s) => s.stop(2)));
          await Promise.all(tier.sentinels.map((s) => s.start()));
          await tier.waitSettled(90_000);
        });
        const holdMs = 2 * ctx.profile.sentinel.downAfterMs + 2_000;
        await ctx.step(`watch every Sentinel ${holdMs / 1000} s more (twice down-after)`, () => sleep(holdMs));
      } finally {
        const w = await watch.stop();
        ctx.figure('sentinel_restart_wrong_master_seconds', w.wrongSeconds, 's', {
          target: none,
          note: `${w.polls} polls of 3 Sentinels over ${seconds(restartedAt, performance.now())} s of restarts (${w.unanswered} unanswered while restarting)${w.wrong.length ? `; wrong: ${w.wrong.join('; ')}` : ''}`,
        });
      }
      await ctx.step(`no failover followed: ${current.name} is still the master, the tier settled`, async () => {
        await tier.waitSettled(60_000);
        const now = await tier.master();
        ctx.check(now === current, `the Sentinels now name ${now.name}, not ${current.name}`);
        ctx.check((await redisInfo(await current.hostPort('redis'), 'replication')).role === 'master', `${current.name} must still be a master`);
      });
      await everyApiInstanceOn(ctx, current);
    } finally {
      const tally = await reads.stop();
      ctx.figure('sentinel_restart_failed_reads', tally.failed.length, 'requests', { target: targets.sampleApp.redisDownFailedReads, note: `${tally.ok} product reads while the Sentinels restarted` });
    }
  },
};

/** The numbered writes beside the master: one key per write, under a prefix of their own run, expiring by themselves. */
const ISOLATED_KEYS = 'refstack:isolated:';
const WRITE_INTERVAL_MS = 50;
const WRITE_TTL_SECONDS = 600;

export const redisMasterIsolated: Scenario = {
  name: 'redis-master-isolated',
  title: 'Redis master cut off from its Sentinels and replicas',
  claim: "a Redis master disconnected from the stack's network is replaced once two of three Sentinels agree, within the cache failover promise; it refuses writes within min-replicas-max-lag, the writes it accepted meanwhile are counted (they are lost), and once reattached — at another address — it is a replica of the new master",
  services: ['nginx'],
  resultPrefix: 'redis',
  drill: true,
  async run(ctx) {
    const { tier, api, master: old } = await settledTier(ctx);
    ctx.onRollback(`${old.name} attached to the stack network again and the tier settled`, async () => {
      await old.recover();
      await tier.waitSettled(120_000);
    });
    // A client on the old master's side of the partition: redis-cli inside its container.
    const prefix = `${ISOLATED_KEYS}${Date.now()}:`;
    const writer = colocatedWriter(old, prefix, { intervalMs: WRITE_INTERVAL_MS, maxSeconds: 120, expireSeconds: WRITE_TTL_SECONDS });
    let writes: Awaited<ReturnType<typeof writer.stop>> | undefined;
    ctx.onRollback('the numbered writer stopped', async () => {
      writes ??= await writer.stop();
    });
    const reads = cachedReads(api);
    const addressBefore = await serviceAddress(old);
    await sleep(2_500); // writes acknowledged well before the cut: they must survive it
    // The writer stamps its writes with the container's clock: the cut is read from the same clock.
    const cutWallMs = Number((await old.sh('date +%s%3N')).trim());
    const cutAt = ctx.mark(`${old.name} disconnected from the stack network`);
    let promoted: InstanceHandle | undefined;
    try {
      await ctx.step(`disconnect ${old.name} from the stack network (its Sentinels, replicas and the API lose it); another container takes its address`, () => old.isolate({ yieldAddress: true }));
      promoted = await ctx.step('two of three Sentinels agree it is down and promote a replica', () =>
        tier.waitForPromotion(old, { timeoutMs: 90_000, accept: async (m) => (await redisInfo(await m.hostPort('redis'), 'replication')).role === 'master' }),
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${await tier.diagnostics()}`);
      });
      const promotedAt = ctx.mark(`a majority of Sentinels names ${promoted.name}`);
      ctx.figure('isolated_master_failover_seconds', seconds(cutAt, promotedAt), 's', { target: le(ctx.promises.cacheFailoverSeconds), note: `cut → two Sentinels name ${promoted.name} (down-after ${ctx.profile.sentinel.downAfterMs} ms + election)` });
      await ctx.step(`${old.name} refuses writes once no replica has acknowledged for min-replicas-max-lag`, () =>
        waitFor(`${old.name} refusing writes (NOREPLICAS)`, async () => (/min_slaves_good_slaves:0\b/.test(await old.sh('redis-cli info replication')) ? true : undefined), { timeoutMs: 60_000, intervalMs: 250 }),
      );
      await sleep(1_000);
      writes = await writer.stop();
      const afterCut = writes.filter((w) => w.atMs > cutWallMs);
      const acceptedAfterCut = afterCut.filter((w) => w.reply === 'OK');
      const refusals = new Map<string, number>();
      for (const w of afterCut.filter((x) => x.reply !== 'OK')) refusals.set(w.reply.split(' ')[0]!, (refusals.get(w.reply.split(' ')[0]!) ?? 0) + 1);
      ctx.check((refusals.get('NOREPLICAS') ?? 0) > 0, `${old.name} never answered NOREPLICAS to the writer beside it (replies after the cut: ${[...refusals].map(([k, n]) => `${n} ${k}`).join(', ') || 'none refused'})`);
      const lastAcceptedMs = acceptedAfterCut.at(-1)?.atMs ?? cutWallMs;
      ctx.figure('isolated_master_write_seconds', Number(((lastAcceptedMs - cutWallMs) / 1000).toFixed(2)), 's', {
        target: le(ctx.promises.isolatedMasterWriteSeconds),
        note: `cut → the last write ${old.name} acknowledged (min-replicas-max-lag ${ctx.profile.sentinel.minReplicasMaxLagSeconds} s); then refused: ${[...refusals].map(([k, n]) => `${n} ${k}`).join(', ')}`,
      });
      await ctx.step('the API caches on the new master', () =>
        waitFor('a cache hit after the promotion', async () => (reads.tally.lastCacheHit > promotedAt ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 }),
      );
      await ctx.step(`reattach ${old.name} at a new address: the Sentinels make it a replica of ${promoted.name}`, async () => {
        await old.recover();
        const addressAfter = await serviceAddress(old);
        ctx.mark(`${old.name} reattached at ${addressAfter} (was ${addressBefore}); Sentinels, replicas and clients know it by name`);
        ctx.check(addressAfter !== addressBefore, `${old.name} must come back at another address (the placeholder holds ${addressBefore}), came back at ${addressAfter}`);
        await tier.waitSettled(120_000);
        ctx.check((await tier.master()) === promoted, `the Sentinels must still name ${promoted!.name}`);
      });
      const keys = acceptedAfterCut.map((w) => `${prefix}${w.seq}`);
      const earlier = writes.filter((w) => w.reply === 'OK' && w.atMs < cutWallMs - 1_000).map((w) => `${prefix}${w.seq}`);
      const [kept, keptEarlier] = await ctx.step(`look up on ${promoted.name} the writes ${old.name} acknowledged after the cut, and those acknowledged over a second before it`, async () => {
        const port = await promoted!.hostPort('redis');
        return Promise.all([existingKeys(port, keys), existingKeys(port, earlier)]);
      });
      const bound = Math.ceil((ctx.promises.isolatedMasterWriteSeconds * 1000) / WRITE_INTERVAL_MS);
      ctx.figure('isolated_master_lost_writes', keys.length - kept.size, 'writes', {
        note: `${keys.length} writes acknowledged by ${old.name} after the cut (a client beside it, at most one per ${WRITE_INTERVAL_MS} ms, so at most ${bound} within the write window), ${kept.size} of them found on ${promoted.name}: the rest were discarded when it rejoined as a replica`,
      });
      ctx.figure('isolated_master_lost_writes_before_cut', earlier.length - keptEarlier.size, 'writes', {
        target: none,
        note: `${earlier.length} writes acknowledged by ${old.name} more than 1 s before the cut (replicated by then), ${keptEarlier.size} found on ${promoted.name}`,
      });
      await everyApiInstanceOn(ctx, promoted);
    } finally {
      const tally = await reads.stop();
      ctx.figure('isolated_master_failed_reads', tally.failed.length, 'requests', { target: targets.sampleApp.redisDownFailedReads, note: `${tally.ok} product reads through ${ctx.stack.has('nginx') ? 'nginx' : 'the API'}${tally.failed.length ? `; failed: ${tally.failed.slice(0, 10).join(', ')}` : ''}` });
      if (promoted) await promoted.sh(`redis-cli --scan --pattern '${prefix}*' | xargs -r -n 500 redis-cli del > /dev/null`).catch(() => undefined);
    }
  },
};
