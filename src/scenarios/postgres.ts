import { seconds, waitFor } from '../core/poll.ts';
import { PLAN_BOUNDS } from '../core/profiles.ts';
import type { Target } from '../core/results/target.ts';
import { targets } from '../core/targets.ts';
import { postgresCluster, type PostgresCluster } from '../../services/postgres/cluster.ts';
import type { PostgresMember } from '../../services/postgres/member.ts';
import { describeOutage, measureWriteOutage, type OutageMeasurement } from '../../services/postgres/probes/outage.ts';
import { watchClients } from './clients.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';

const le = (value: number): Target => ({ op: '<=', value });
/** The plan's recovery-time bound: every outage is judged against it beside the profile's promise. */
const RECOVERY_BOUND = le(PLAN_BOUNDS.recoveryTimeSeconds);
/** A poll of a dead member waits for its 800 ms connect timeout; 3 s leaves room for a loaded machine. */
const MAX_WATCHER_GAP_MS = 3_000;

/** Records the split-brain figure and the watcher's own health (it polled, and was never blind for long). */
function noSplitBrain(ctx: ScenarioContext, name: string, ...ms: OutageMeasurement[]): void {
  const observed = ms.reduce((sum, m) => sum + m.splitBrain.splitBrainTicks, 0);
  const polls = ms.reduce((sum, m) => sum + m.splitBrain.ticks, 0);
  const overlaps = ms.flatMap((m) => m.splitBrain.overlaps).slice(0, 5);
  ctx.figure(name, observed, 'polls', { target: targets.postgresHa.splitBrainObservations, note: `${polls} polls of every member${overlaps.length ? `; two primaries at once: ${JSON.stringify(overlaps)}` : ''}` });
  for (const m of ms) {
    ctx.check(m.splitBrain.ticks >= 5, `the split-brain watcher polled only ${m.splitBrain.ticks} times`);
    ctx.check(m.splitBrain.longestGapMs < MAX_WATCHER_GAP_MS, `the split-brain watcher was blind for ${Math.round(m.splitBrain.longestGapMs)} ms (limit ${MAX_WATCHER_GAP_MS})`);
    ctx.check(m.phantoms === 0, `${m.phantoms} rows exist that were never attempted`);
  }
}

function lostWrites(ctx: ScenarioContext, name: string, m: OutageMeasurement): void {
  ctx.figure(name, m.lost.length, 'rows', { target: targets.failover.lostAcknowledgedWrites, note: m.lost.length ? `missing on ${m.after.name}: ${m.lost.slice(0, 20).join(', ')}` : describeOutage(m) });
}

/** The longest gap between acknowledged writes, marked on the timeline. */
function markGap(ctx: ScenarioContext, m: OutageMeasurement): void {
  const times = m.writes.ackTimes;
  let best: [number, number] | undefined;
  for (let i = 1; i < times.length; i++) if (!best || times[i]! - times[i - 1]! > best[1] - best[0]) best = [times[i - 1]!, times[i]!];
  if (!best) return;
  ctx.mark('last write acknowledged before the outage (HAProxy write port)', best[0]);
  ctx.mark(`writes acknowledged again, by ${m.after.name}`, best[1]);
}

/** Starts the member again and waits until it streams from the primary as a replica; pg_rewind is read from its log. */
async function rejoin(cluster: PostgresCluster, member: PostgresMember): Promise<{ seconds: number; rewound: boolean }> {
  const t0 = performance.now();
  const since = Math.floor(Date.now() / 1000) - 1;
  await cluster.restart(member.name);
  const primary = await cluster.primary();
  await waitFor(
    `${member.name} streaming from ${primary.name}`,
    async () => {
      const rows = await primary.query<{ state: string }>("SELECT state FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", [member.name]);
      if (rows.length !== 1) return undefined;
      const role = (await cluster.roles())[member.name];
      return role === 'replica' || role === 'sync_standby' ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
  return { seconds: seconds(t0, performance.now()), rewound: /running pg_rewind|pg_rewind: Done/i.test(await member.logs(2000, since)) };
}

/** A healthy cluster to start from, and an undo that brings a faulted member back whatever happens. */
async function healthyCluster(ctx: ScenarioContext): Promise<PostgresCluster> {
  const cluster = await postgresCluster(ctx.stack);
  await ctx.step('the cluster is healthy: one leader, every replica streaming, HAProxy routing writes to the leader', () => cluster.waitHealthy(120_000));
  return cluster;
}

function bringBack(ctx: ScenarioContext, cluster: PostgresCluster, member: () => PostgresMember | undefined): void {
  ctx.onRollback('the faulted member is running and the cluster healthy again', async () => {
    const m = member();
    if (m) await cluster.restart(m.name);
    await cluster.waitHealthy(180_000);
  });
}

export const killPrimary: Scenario = {
  name: 'kill-primary',
  title: 'Primary node lost',
  claim: "a SIGKILLed primary is replaced within the profile's failover promise, no acknowledged write is lost, never two primaries, and the old primary rejoins as a replica",
  services: ['haproxy'],
  resultPrefix: 'failover',
  drill: true,
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    let killed: PostgresMember | undefined;
    bringBack(ctx, cluster, () => killed);
    const clients = await watchClients(ctx);
    let faultAt = 0;
    const m = await ctx.step('SIGKILL the primary under a numbered write load; wait for a new primary', () =>
      measureWriteOutage(cluster, async (primary) => {
        killed = primary;
        faultAt = ctx.mark(`SIGKILL the primary ${primary.name}`);
        await primary.instance.kill();
      }, { expectNewPrimary: true, timeoutMs: 150_000 }),
    );
    markGap(ctx, m);
    const promise = le(ctx.promises.failoverRtoSeconds);
    ctx.figure('rto_seconds', m.outageSeconds, 's', { target: promise, bound: RECOVERY_BOUND, note: describeOutage(m) });
    lostWrites(ctx, 'lost_acknowledged_writes', m);
    noSplitBrain(ctx, 'split_brain_observations', m);
    await clients?.finish(faultAt, promise);
    const back = await ctx.step(`${m.before.name} restarts and rejoins as a streaming replica (pg_rewind when its timeline diverged)`, () => rejoin(cluster, m.before));
    killed = undefined;
    ctx.mark(`${m.before.name} streaming as a replica of ${m.after.name}`);
    ctx.figure('rejoin_seconds', back.seconds, 's', { note: `${m.before.name}; pg_rewind ${back.rewound ? 'ran' : 'was not needed'}` });
  },
};

export const crashPostgres: Scenario = {
  name: 'crash-postgres',
  title: 'Postgres crash with Patroni alive',
  claim: "a crashed postmaster is restarted in place by Patroni within the profile's crash promise, losing nothing",
  services: ['haproxy'],
  resultPrefix: 'failover',
  drill: true,
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    bringBack(ctx, cluster, () => undefined);
    let postmasterBefore = '';
    const m = await ctx.step('SIGKILL the postmaster of the primary under a numbered write load; wait for it to be primary again', () =>
      measureWriteOutage(
        cluster,
        async (primary) => {
          postmasterBefore = (await primary.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t;
          ctx.mark(`SIGKILL the postmaster of ${primary.name}`);
          await primary.crashPostgres();
        },
        { expectNewPrimary: false, timeoutMs: 90_000 },
      ),
    );
    const postmasterAfter = (await m.after.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t;
    ctx.check(postmasterAfter !== postmasterBefore, 'Postgres must have been restarted by Patroni');
    markGap(ctx, m);
    ctx.figure('crash_rto_seconds', m.outageSeconds, 's', { target: le(ctx.promises.crashRtoSeconds), bound: RECOVERY_BOUND, note: describeOutage(m) });
    lostWrites(ctx, 'crash_lost_acknowledged_writes', m);
    noSplitBrain(ctx, 'crash_split_brain_observations', m);
  },
};

export const repeatedFailover: Scenario = {
  name: 'repeated-failover',
  title: 'Three failovers in a row',
  claim: 'three SIGKILLed primaries in a row ping-pong the leader, each within the failover promise, losing no acknowledged write',
  services: ['haproxy'],
  resultPrefix: 'failover',
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    let killed: PostgresMember | undefined;
    bringBack(ctx, cluster, () => killed);
    const measurements: OutageMeasurement[] = [];
    for (let round = 1; round <= 3; round++) {
      const m = await ctx.step(`round ${round}: SIGKILL the primary, wait for a new one`, () =>
        measureWriteOutage(cluster, async (primary) => {
          killed = primary;
          ctx.mark(`round ${round}: SIGKILL ${primary.name}`);
          await primary.instance.kill();
        }, { expectNewPrimary: true, timeoutMs: 150_000 }),
      );
      measurements.push(m);
      ctx.check(m.lost.length === 0, `round ${round}: acknowledged inserts missing on ${m.after.name}: ${m.lost.slice(0, 20).join(', ')}`);
      await ctx.step(`round ${round}: ${m.before.name} rejoins`, () => rejoin(cluster, m.before));
      killed = undefined;
    }
    const leaders = measurements.map((m) => `${m.before.name}->${m.after.name}`);
    const outages = measurements.map((m) => m.outageSeconds);
    const note = `leaders ${leaders.join(', ')}; write outages ${outages.join(' s, ')} s`;
    noSplitBrain(ctx, 'repeated_split_brain_observations', ...measurements);
    ctx.figure('repeated_lost_acknowledged_writes', measurements.reduce((n, m) => n + m.lost.length, 0), 'rows', { target: targets.failover.lostAcknowledgedWrites, note });
    ctx.figure('repeated_rto_seconds_max', Math.max(...outages), 's', { target: le(ctx.promises.failoverRtoSeconds), bound: RECOVERY_BOUND, note });
    ctx.check(new Set(measurements.map((m) => m.after.name)).size > 1, `the leader must move each time (${note})`);
  },
};

export const asyncFailover: Scenario = {
  name: 'async-failover',
  title: 'Failover with asynchronous replication',
  claim: 'with synchronous mode off, a SIGKILLed primary is replaced too; the acknowledged writes it loses are reported, not hidden',
  services: ['haproxy'],
  resultPrefix: 'failover',
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    const wasSynchronous = cluster.synchronous;
    let killed: PostgresMember | undefined;
    ctx.onRollback('synchronous mode as it was', async () => {
      if (killed) await cluster.restart(killed.name);
      await cluster.waitHealthy(180_000).catch(() => undefined);
      if (cluster.synchronous !== wasSynchronous) await cluster.setSynchronous(wasSynchronous);
      await cluster.waitHealthy(180_000);
    });
    await ctx.step('switch Patroni to asynchronous replication (synchronous_mode off)', () => cluster.setSynchronous(false));
    const m = await ctx.step('SIGKILL the primary under a numbered write load; wait for a new primary', () =>
      measureWriteOutage(cluster, async (primary) => {
        killed = primary;
        ctx.mark(`SIGKILL ${primary.name} (asynchronous mode)`);
        await primary.instance.kill();
      }, { expectNewPrimary: true, timeoutMs: 150_000 }),
    );
    const note = describeOutage(m);
    ctx.figure('async_lost_acknowledged_writes', m.lost.length, 'rows', { note: `reported, not asserted: asynchronous replication may lose what the standbys had not received; ${note}` });
    ctx.figure('async_rto_seconds', m.outageSeconds, 's', { note });
    noSplitBrain(ctx, 'async_split_brain_observations', m);
  },
};

export const switchover: Scenario = {
  name: 'switchover',
  title: 'Planned switchover',
  claim: "a switchover through Patroni's REST API pauses writes within the profile's switchover promise and loses no acknowledged write",
  services: ['haproxy'],
  resultPrefix: 'switchover',
  drill: true,
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    bringBack(ctx, cluster, () => undefined);
    const clients = await watchClients(ctx);
    let requested = '';
    let faultAt = 0;
    const m = await ctx.step('request a switchover to the sync standby under a numbered write load', () =>
      measureWriteOutage(cluster, async () => {
        faultAt = ctx.mark('switchover requested');
        requested = (await cluster.switchover()).to;
      }, { expectNewPrimary: true, timeoutMs: 60_000 }),
    );
    ctx.check(m.after.name === requested, `the leader must be the requested candidate ${requested}, is ${m.after.name}`);
    markGap(ctx, m);
    const promise = le(ctx.promises.switchoverPauseSeconds);
    ctx.figure('write_pause_seconds', m.outageSeconds, 's', { target: promise, bound: RECOVERY_BOUND, note: describeOutage(m) });
    lostWrites(ctx, 'lost_acknowledged_writes', m);
    noSplitBrain(ctx, 'split_brain_observations', m);
    await clients?.finish(faultAt, promise);
    await ctx.step('the former leader streams from the new one', () => cluster.waitHealthy(120_000));
  },
};

export const stopPrimary: Scenario = {
  name: 'stop-primary',
  title: 'Primary stopped gracefully',
  claim: 'a gracefully stopped primary hands leadership over without waiting for its lease to expire, losing nothing',
  services: ['haproxy'],
  resultPrefix: 'failover',
  drill: true,
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    let stopped: PostgresMember | undefined;
    bringBack(ctx, cluster, () => stopped);
    const m = await ctx.step('stop the primary (SIGINT: Patroni shuts Postgres down and releases the leader key)', () =>
      measureWriteOutage(cluster, async (primary) => {
        stopped = primary;
        ctx.mark(`docker stop ${primary.name}`);
        await primary.instance.stop(30);
      }, { expectNewPrimary: true, timeoutMs: 90_000 }),
    );
    const note = describeOutage(m);
    markGap(ctx, m);
    // A clean shutdown releases the leader key: the outage stays well below the lease (ttl) a crash waits for.
    ctx.figure('graceful_stop_rto_seconds', m.outageSeconds, 's', { target: { op: '<', value: ctx.profile.patroni.ttl }, bound: RECOVERY_BOUND, note: `below the leader lease (ttl ${ctx.profile.patroni.ttl} s); ${note}` });
    lostWrites(ctx, 'graceful_stop_lost_acknowledged_writes', m);
    noSplitBrain(ctx, 'graceful_stop_split_brain_observations', m);
    const back = await ctx.step(`${m.before.name} starts again and rejoins as a streaming replica`, () => rejoin(cluster, m.before));
    stopped = undefined;
    ctx.mark(`${m.before.name} streaming as a replica of ${m.after.name}`);
    ctx.figure('graceful_stop_rejoin_seconds', back.seconds, 's', { note: `${m.before.name}; pg_rewind ${back.rewound ? 'ran' : 'was not needed'}` });
  },
};

export const isolatePrimary: Scenario = {
  name: 'isolate-primary',
  title: 'Primary partitioned away',
  claim: "a primary cut off from etcd and its replicas demotes itself, a replica is promoted within the failover promise, and no two primaries ever coexist",
  services: ['haproxy'],
  resultPrefix: 'partition',
  drill: true,
  async run(ctx) {
    const cluster = await healthyCluster(ctx);
    let isolated: PostgresMember | undefined;
    bringBack(ctx, cluster, () => isolated);
    let isolatedAt = 0;
    const m = await ctx.step('disconnect the primary from the stack network under a numbered write load', () =>
      measureWriteOutage(cluster, async (primary) => {
        isolated = primary;
        isolatedAt = ctx.mark(`${primary.name} cut off from etcd, its peers and HAProxy`);
        await primary.instance.isolate();
      }, { expectNewPrimary: true, timeoutMs: 150_000 }),
    );
    const old = m.before.name;
    // The host still reaches the isolated member through its published ports: it must be read-only now.
    const state = await ctx.step(`${old} stops accepting writes while cut off`, () =>
      waitFor(
        `${old} no longer accepting writes while cut off`,
        async () => {
          try {
            const rows = await m.before.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r', [], 1_000);
            return rows[0]?.r === true ? 'read-only replica' : undefined;
          } catch (error) {
            const message = (error as Error).message;
            return /shutting down|starting up|in recovery mode/.test(message) ? `refusing connections (${message})` : undefined;
          }
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ),
    );
    const { firstPrimaryAt, lastPrimaryAt, primaryTicks, unreachableTicks, refusedTicks, ticks } = m.splitBrain;
    ctx.check((primaryTicks[old] ?? 0) > 0, 'the watcher saw the isolated member as primary before the cut');
    ctx.check((unreachableTicks[old] ?? 0) < ticks / 2, `the host must keep reaching the isolated member to check it (refused ${refusedTicks[old]} of ${ticks} polls while shutting down)`);
    const lastOld = seconds(isolatedAt, lastPrimaryAt[old]!);
    const firstNew = seconds(isolatedAt, firstPrimaryAt[m.after.name]!);
    ctx.check(lastOld < firstNew, `${old} was last seen primary ${lastOld} s after the cut, ${m.after.name} first seen primary ${firstNew} s after`);
    const note = `${describeOutage(m)}; ${old} last seen primary +${lastOld} s, ${m.after.name} first seen primary +${firstNew} s after the cut; then ${state}`;
    markGap(ctx, m);
    ctx.figure('rto_seconds', m.outageSeconds, 's', { target: le(ctx.promises.failoverRtoSeconds), bound: RECOVERY_BOUND, note });
    lostWrites(ctx, 'lost_acknowledged_writes', m);
    noSplitBrain(ctx, 'split_brain_observations', m);
    await ctx.step(`${old} rejoins as a replica once the partition heals`, async () => {
      await cluster.restart(old);
      isolated = undefined;
      await cluster.waitHealthy(120_000);
      const role = (await cluster.roles())[old];
      ctx.check(role === 'replica' || role === 'sync_standby', `${old} must be a replica after the partition heals, is ${role}`);
    });
  },
};
