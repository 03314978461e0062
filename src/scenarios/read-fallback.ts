import { seconds, sleep, waitFor } from '../core/poll.ts';
import { postgresCluster } from '../../services/postgres/cluster.ts';
import type { PostgresMember } from '../../services/postgres/member.ts';
import { watchClients } from './clients.ts';
import { ReadPortProbe, READ_PROBE_SECONDS, type ReadPortSample } from './read-port.ts';
import type { Scenario } from './scenario.ts';

/** How long every replica stays frozen: the issue's measurement (18 s), below the test profile's ttl (20 s), so no member key expires. */
const FROZEN_SECONDS = 18;

const le = (value: number) => ({ op: '<=' as const, value });
const onLeader = (s: ReadPortSample) => s.ok && s.standby === false;
const onReplica = (s: ReadPortSample) => s.ok && s.standby === true;

export const readFallback: Scenario = {
  name: 'replicas-lost',
  title: 'Reads survive the loss of every replica',
  claim: `with every replica frozen for ${FROZEN_SECONDS} s, the read port falls back to the leader within HAProxy's detection time, no read through it fails once it has, API reads never fail, and reads return to a replica once one is back`,
  services: ['haproxy'],
  resultPrefix: 'env',
  drill: true,
  async run(ctx) {
    const cluster = await postgresCluster(ctx.stack);
    const leader = await ctx.step('the cluster is healthy', () => cluster.waitHealthy(120_000));
    const replicas = cluster.members.filter((m) => m.name !== leader.name);
    const probe = new ReadPortProbe(cluster, FROZEN_SECONDS + 180).start();
    ctx.onRollback('read port probe stopped', async () => void (await probe.stop()));
    // Registered after the probe's: rollbacks run last-in first-out, so the replicas are thawed first.
    const frozen: PostgresMember[] = [];
    ctx.onRollback('every frozen replica thawed', async () => {
      for (const m of frozen.splice(0)) await cluster.restart(m.name);
    });
    const clients = await watchClients(ctx, { failedReads: 'read_fallback_failed_reads', pace: 'independent' });
    await ctx.step('a new connection to the read port lands on a replica', () =>
      waitFor('a read answered by a replica', async () => (probe.samples.at(-1) && onReplica(probe.samples.at(-1)!) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 }),
    );

    const faultAt = await ctx.step(`freeze every replica (${replicas.map((m) => m.name).join(', ')}) with docker pause`, async () => {
      const at = performance.now();
      for (const m of replicas) {
        frozen.push(m);
        await m.instance.pause();
      }
      ctx.mark(`${replicas.map((m) => m.name).join(' and ')} frozen`, at);
      return at;
    });
    const fallback = await ctx.step(`the read port answers from the leader ${leader.name}`, () =>
      waitFor('a read on a new connection answered by the leader', async () => probe.first(faultAt, onLeader), { timeoutMs: (ctx.promises.readFallbackSeconds + 30) * 1000, intervalMs: 100 }),
    );
    ctx.mark('the read port answers from the leader', fallback.at);
    await ctx.step(`hold the replicas frozen for ${FROZEN_SECONDS} s`, () => sleep(Math.max(0, FROZEN_SECONDS * 1000 - (performance.now() - faultAt))));
    const thawAt = await ctx.step('thaw the replicas', async () => {
      const at = performance.now();
      for (const m of frozen.splice(0)) await cluster.restart(m.name);
      ctx.mark('replicas thawed', at);
      return at;
    });
    const back = await ctx.step('the read port answers from a replica again', () =>
      waitFor('a read on a new connection answered by a replica', async () => probe.first(thawAt, onReplica), { timeoutMs: (ctx.promises.readReturnSeconds + 30) * 1000, intervalMs: 100 }),
    );
    ctx.mark('the read port answers from a replica', back.at);
    await ctx.step('the cluster is healthy again', () => cluster.waitHealthy(120_000));
    await clients?.finish(faultAt, le(FROZEN_SECONDS + ctx.promises.readReturnSeconds + READ_PROBE_SECONDS));
    const samples = await probe.stop();

    const during = samples.filter((s) => s.at >= fallback.at && s.at < thawAt);
    const failedAfterFallback = during.filter((s) => !s.ok);
    const before = samples.filter((s) => s.at >= faultAt && s.at < fallback.at);
    // A probe read waits up to its own timeout on a frozen replica before the next one starts: part of the figure.
    ctx.figure('read_fallback_seconds', seconds(faultAt, fallback.at), 's', {
      target: le(ctx.promises.readFallbackSeconds + READ_PROBE_SECONDS),
      note: `freeze → first read on a new connection answered by the leader; HAProxy's detection ${ctx.promises.readFallbackSeconds} s + one probe read (${READ_PROBE_SECONDS} s); ${before.filter((s) => !s.ok).length} of ${before.length} reads before it failed`,
    });
    ctx.figure('read_fallback_failed_port_reads', failedAfterFallback.length, 'reads', {
      target: { op: '==', value: 0 },
      note: `reads on new connections to the read port while the replicas were frozen, after the fallback: ${during.length}${failedAfterFallback.length ? `; failed: ${[...new Set(failedAfterFallback.map((s) => s.error))].join('; ')}` : ''}`,
    });
    ctx.figure('read_return_seconds', seconds(thawAt, back.at), 's', {
      target: le(ctx.promises.readReturnSeconds + READ_PROBE_SECONDS),
      note: `thaw → first read on a new connection answered by a replica (HAProxy's rise ${ctx.profile.proxy.rise}, thaw allowance)`,
    });
  },
};
