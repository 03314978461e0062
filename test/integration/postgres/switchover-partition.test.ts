import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordResult } from '../../../src/core/results/results.ts';
import { targets } from '../../../src/core/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { startPostgresCluster, type PostgresCluster } from '../../../src/topologies/postgres/cluster.ts';
import { describeOutage, measureWriteOutage } from '../../../src/topologies/postgres/outage.ts';
import { seconds, waitFor } from '../../../src/core/poll.ts';

const SUITE = 'test/integration/postgres/switchover-partition.test.ts';

describeWithDocker('postgres switchover and partition: 3 Patroni members (synchronous), 3 etcd, HAProxy', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster({ members: 3, synchronous: true, timing: 'test' });
  });
  afterAll(async () => cluster?.teardown());

  it('a switchover through Patroni\'s REST API pauses writes within the target and loses no acknowledged write', async () => {
    let requested = '';
    const m = await measureWriteOutage(
      cluster,
      async () => {
        requested = (await cluster.switchover()).to;
      },
      { expectNewPrimary: true, timeoutMs: 60_000 },
    );
    expect(m.after.name, 'the leader must be the requested candidate').toBe(requested);
    const note = describeOutage(m);
    const pause = recordResult({ id: 'switchover.write_pause_seconds', value: m.outageSeconds, unit: 's', target: targets.switchover.writePauseSeconds, suite: SUITE, note });
    const lost = recordResult({ id: 'switchover.lost_acknowledged_writes', value: m.lost.length, unit: 'rows', target: targets.switchover.lostAcknowledgedWrites, suite: SUITE, note });
    const splitBrain = recordResult({ id: 'switchover.split_brain_observations', value: m.splitBrain.splitBrainTicks, unit: 'polls', target: targets.postgresHa.splitBrainObservations, suite: SUITE });
    expect(pause.pass, `writes paused ${m.outageSeconds} s (${note})`).toBe(true);
    expect(lost.pass, `acknowledged inserts missing: ${m.lost.slice(0, 20).join(', ')}`).toBe(true);
    expect(splitBrain.pass, JSON.stringify(m.splitBrain.overlaps.slice(0, 5))).toBe(true);
    expect(m.phantoms).toBe(0);
    // The former leader is demoted, not lost: it streams from the new primary.
    await cluster.waitHealthy(60_000);
  });

  it('a gracefully stopped primary hands leadership over without waiting for its lease to expire, losing nothing', async () => {
    let stopped = '';
    try {
      await gracefulStop((name) => (stopped = name));
    } finally {
      if (stopped) await cluster.restart(stopped);
    }
    await cluster.waitHealthy(90_000);
  });

  async function gracefulStop(onStop: (name: string) => void): Promise<void> {
    const m = await measureWriteOutage(
      cluster,
      async (primary) => {
        onStop(primary.name);
        await primary.stop();
      },
      { expectNewPrimary: true, timeoutMs: 60_000 },
    );
    const note = describeOutage(m);
    recordResult({ id: 'failover.graceful_stop_rto_seconds', value: m.outageSeconds, unit: 's', suite: SUITE, note });
    const lost = recordResult({ id: 'failover.graceful_stop_lost_acknowledged_writes', value: m.lost.length, unit: 'rows', target: targets.failover.lostAcknowledgedWrites, suite: SUITE, note });
    expect(lost.pass, `acknowledged inserts missing: ${m.lost.slice(0, 20).join(', ')}`).toBe(true);
    expect(m.splitBrain.splitBrainTicks, JSON.stringify(m.splitBrain.overlaps.slice(0, 5))).toBe(targets.postgresHa.splitBrainObservations.value);
    // A clean shutdown releases the leader key: the outage must stay well below the lease (ttl) a crash waits for.
    expect(m.outageSeconds, note).toBeLessThan(cluster.timing.patroni.ttl);
  }

  it('a primary cut off from etcd and its replicas demotes itself, a replica is promoted, and no two primaries ever coexist', async () => {
    let isolatedAt = 0;
    let isolated = '';
    const m = await measureWriteOutage(
      cluster,
      async (primary) => {
        isolated = primary.name;
        isolatedAt = performance.now();
        await cluster.isolate(primary.name);
      },
      { expectNewPrimary: true },
    );
    try {
      // The host still reaches the isolated member through its published ports: it must be read-only now.
      // Demoting, it is either shutting down (Postgres refuses connections) or already back as a replica.
      const isolatedState = await waitFor(
        `${isolated} no longer accepting writes while cut off`,
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
      );
      const { firstPrimaryAt, lastPrimaryAt, primaryTicks, unreachableTicks, refusedTicks, ticks } = m.splitBrain;
      expect(primaryTicks[isolated], 'the watcher saw the isolated member as primary before the cut').toBeGreaterThan(0);
      expect(unreachableTicks[isolated], `the host must keep reaching the isolated member to check it (refused ${refusedTicks[isolated]} of ${ticks} polls while shutting down)`).toBeLessThan(ticks / 2);
      const lastOld = seconds(isolatedAt, lastPrimaryAt[isolated]!);
      const firstNew = seconds(isolatedAt, firstPrimaryAt[m.after.name]!);
      expect(lastOld, `${isolated} was last seen primary ${lastOld} s after the cut, ${m.after.name} first seen primary ${firstNew} s after`).toBeLessThan(firstNew);
      const note = `${describeOutage(m)}; ${isolated} last seen primary +${lastOld} s, ${m.after.name} first seen primary +${firstNew} s after the cut; then ${isolatedState}`;
      recordResult({ id: 'partition.rto_seconds', value: m.outageSeconds, unit: 's', suite: SUITE, note });
      const lost = recordResult({ id: 'partition.lost_acknowledged_writes', value: m.lost.length, unit: 'rows', target: targets.failover.lostAcknowledgedWrites, suite: SUITE, note });
      const splitBrain = recordResult({ id: 'partition.split_brain_observations', value: m.splitBrain.splitBrainTicks, unit: 'polls', target: targets.postgresHa.splitBrainObservations, suite: SUITE, note });
      expect(splitBrain.pass, `two primaries at once: ${JSON.stringify(m.splitBrain.overlaps.slice(0, 5))}`).toBe(true);
      expect(lost.pass, `acknowledged inserts missing: ${m.lost.slice(0, 20).join(', ')}`).toBe(true);
      expect(m.phantoms).toBe(0);
    } finally {
      await cluster.restart(isolated);
    }
    await cluster.waitHealthy(90_000);
    expect((await cluster.roles())[isolated], `${isolated} rejoins as a replica after the partition heals`).toMatch(/replica|sync_standby/);
  });
});
