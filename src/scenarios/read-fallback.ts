import { seconds, sleep, waitFor } from '../core/poll.ts';
import type { Profile } from '../core/profiles.ts';
import { postgresCluster } from '../../services/postgres/cluster.ts';
import type { PostgresMember } from '../../services/postgres/member.ts';
import { watchClients } from './clients.ts';
import { ReadPortProbe, READ_PROBE_SECONDS, type ReadPortSample } from './read-port.ts';
import type { Scenario } from './scenario.ts';

/**
 * How long every replica stays frozen: as long as it can be without its Patroni member key expiring (a
 * member last wrote it up to loop_wait before the freeze, and it lives ttl), less a 2-s margin: 17 s in
 * the test profile, 18 s in production (the issue measured 18 s).
 */
export const frozenSeconds = (p: Profile) => p.patroni.ttl - p.patroni.loopWait - 2;

const le = (value: number) => ({ op: '<=' as const, value });
const onLeader = (s: ReadPortSample) => s.ok && s.standby === false;
const onReplica = (s: ReadPortSample) => s.ok && s.standby === true;

export const readFallback: Scenario = {
  name: 'replicas-lost',
  title: 'Reads survive the loss of every replica',
  claim: "with every replica frozen (ttl − loop_wait − 2 s, so no member key expires), the read port falls back to the leader within HAProxy's detection time, no read through it fails once it has, API reads never fail, and reads return to a replica once one is back",
  services: ['haproxy'],
  resultPrefix: 'env',
  drill: true,
  async run(ctx) {
    const hold = frozenSeconds(ctx.profile);
    const cluster = await postgresCluster(ctx.stack);
    const leader = await ctx.step('the cluster is healthy', () => cluster.waitHealthy(120_000));
    const replicas = cluster.members.filter((m) => m.name !== leader.name);
    const probe = new ReadPortProbe(cluster, hold + 180).start();
    ctx.onRollback('read port probe stopped', async () => void (await probe.stop()));
    // Registered after the probe's: rollbacks run last-in first-out, so the replicas are thawed first.
    const frozen = new Set<PostgresMember>();
    const thaw = async (m: PostgresMember) => {
      await cluster.restart(m.name);
      frozen.delete(m);
    };
    ctx.onRollback('every frozen replica thawed', async () => {
      const results = await Promise.allSettled([...frozen].map(thaw));
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) throw new Error(failed.map((r) => (r.reason as Error).message).join('; '));
    });
    const clients = await watchClients(ctx, { failedReads: 'read_fallback_failed_reads', pace: 'independent' });
    await ctx.step('a new connection to the read port lands on a replica', () =>
      waitFor('a read answered by a replica', async () => (probe.samples.at(-1) && onReplica(probe.samples.at(-1)!) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 }),
    );

    // The fault is complete when the last replica is frozen: only then has the read listener no server.
    const faultAt = await ctx.step(`freeze every replica (${replicas.map((m) => m.name).join(', ')}) with docker pause`, async () => {
      for (const m of replicas) {
        frozen.add(m);
        await m.instance.pause();
      }
      return ctx.mark(`${replicas.map((m) => m.name).join(' and ')} frozen`);
    });
    const fallback = await ctx.step(`the read port answers from the leader ${leader.name}`, () =>
      waitFor('a read on a new connection answered by the leader', async () => probe.first(faultAt, onLeader), { timeoutMs: (ctx.promises.readFallbackSeconds + 30) * 1000, intervalMs: 100 }),
    );
    ctx.mark('the read port answers from the leader', fallback.at);
    await ctx.step(`hold the replicas frozen for ${hold} s`, () => sleep(Math.max(0, hold * 1000 - (performance.now() - faultAt))));
    // Reads can return once one replica is back: the clock starts when the first is thawed.
    const thawAt = await ctx.step('thaw the replicas', async () => {
      const [first, ...others] = replicas;
      await thaw(first!);
      const at = ctx.mark(`${first!.name} thawed`);
      for (const m of others) await thaw(m);
      return at;
    });
    const back = await ctx.step('the read port answers from a replica again', () =>
      waitFor('a read on a new connection answered by a replica', async () => probe.first(thawAt, onReplica), { timeoutMs: (ctx.promises.readReturnSeconds + 30) * 1000, intervalMs: 100 }),
    );
    ctx.mark('the read port answers from a replica', back.at);
    await ctx.step('the cluster is healthy again', () => cluster.waitHealthy(120_000));
    await clients?.finish(faultAt, le(hold + ctx.promises.readReturnSeconds + READ_PROBE_SECONDS));
    const samples = await probe.stop();

    const during = samples.filter((s) => s.at >= fallback.at && s.at < thawAt);
    const failedAfterFallback = during.filter((s) => !s.ok);
    const before = samples.filter((s) => s.at >= faultAt && s.at < fallback.at);
    // A probe read waits up to its own timeout on a frozen replica before the next one starts: part of the figure.
    ctx.figure('read_fallback_seconds', seconds(faultAt, fallback.at), 's', {
      target: le(ctx.promises.readFallbackSeconds + READ_PROBE_SECONDS),
      note: `last replica frozen → first read on a new connection answered by the leader; HAProxy's detection ${ctx.promises.readFallbackSeconds} s + one probe read (${READ_PROBE_SECONDS} s); ${before.filter((s) => !s.ok).length} of ${before.length} reads before it failed`,
    });
    ctx.figure('read_fallback_failed_port_reads', failedAfterFallback.length, 'reads', {
      target: { op: '==', value: 0 },
      note: `reads on new connections to the read port while the replicas were frozen, after the fallback: ${during.length}${failedAfterFallback.length ? `; failed: ${[...new Set(failedAfterFallback.map((s) => s.error))].join('; ')}` : ''}`,
    });
    ctx.figure('read_return_seconds', seconds(thawAt, back.at), 's', {
      target: le(ctx.promises.readReturnSeconds + READ_PROBE_SECONDS),
      note: `first replica thawed → first read on a new connection answered by a replica (HAProxy's rise ${ctx.profile.proxy.rise}, thaw allowance)`,
    });
  },
};
