import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordResult } from '../../../src/core/results/results.ts';
import { targets } from '../../../src/core/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { startPostgresCluster, type PostgresCluster } from '../../../src/topologies/postgres/cluster.ts';
import type { PostgresMember } from '../../../src/topologies/postgres/member.ts';
import { describeOutage, measureWriteOutage, type OutageMeasurement } from '../../../src/topologies/postgres/outage.ts';
import { seconds, waitFor } from '../../../src/core/poll.ts';

const SUITE = 'test/integration/postgres/failover.test.ts';
/** A poll of a dead member waits for its 800 ms connect timeout; 3 s leaves room for a loaded machine. */
const MAX_WATCHER_GAP_MS = 3_000;

/** Records the split-brain count of one or more scenarios and asserts none was seen. */
function assertNoSplitBrain(id: string, ...ms: OutageMeasurement[]): void {
  const observed = ms.reduce((sum, m) => sum + m.splitBrain.splitBrainTicks, 0);
  const polls = ms.reduce((sum, m) => sum + m.splitBrain.ticks, 0);
  const overlaps = ms.flatMap((m) => m.splitBrain.overlaps).slice(0, 5);
  const record = recordResult({ id, value: observed, unit: 'polls', target: targets.postgresHa.splitBrainObservations, suite: SUITE, note: `${polls} polls of every member` });
  expect(record.pass, `two members answered as primary at once: ${JSON.stringify(overlaps)}`).toBe(true);
  for (const m of ms) {
    // Throughout: polls never further apart than a small fraction of the 20 s leader lease.
    expect(m.splitBrain.ticks, 'the watcher polled').toBeGreaterThanOrEqual(5);
    expect(m.splitBrain.longestGapMs, 'the longest blind spot between two polls').toBeLessThan(MAX_WATCHER_GAP_MS);
    expect(m.phantoms, 'rows that were never attempted exist').toBe(0);
  }
}

/** Starts a stopped member again and measures until it streams from the primary as a replica. */
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
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  const elapsed = seconds(t0, performance.now());
  const rewound = /running pg_rewind|pg_rewind: Done/i.test(await member.logs(2000, since));
  return { seconds: elapsed, rewound };
}

describeWithDocker('postgres failover: 3 Patroni members, 3 etcd, HAProxy; test timing profile', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster({ members: 3, synchronous: true, timing: 'test' });
  });
  afterAll(async () => cluster?.teardown());

  let killed: PostgresMember | undefined;

  it('a SIGKILLed primary is replaced within the RTO target, no acknowledged write is lost (synchronous mode), never two primaries', async () => {
    const m = await measureWriteOutage(cluster, (primary) => primary.kill(), { expectNewPrimary: true });
    killed = m.before;
    const note = describeOutage(m);
    const rto = recordResult({ id: 'failover.rto_seconds', value: m.outageSeconds, unit: 's', target: targets.failover.rtoSeconds, suite: SUITE, note });
    const lost = recordResult({ id: 'failover.lost_acknowledged_writes', value: m.lost.length, unit: 'rows', target: targets.failover.lostAcknowledgedWrites, suite: SUITE, note });
    assertNoSplitBrain('failover.split_brain_observations', m);
    expect(rto.pass, `write outage ${m.outageSeconds} s (${note})`).toBe(true);
    expect(lost.pass, `acknowledged inserts missing on ${m.after.name}: ${m.lost.slice(0, 20).join(', ')}`).toBe(true);
  });

  it('the killed former primary restarts and rejoins as a streaming replica (pg_rewind when its timeline diverged)', async () => {
    if (!killed) throw new Error('the kill scenario did not run');
    const { seconds: rejoinSeconds, rewound } = await rejoin(cluster, killed);
    recordResult({ id: 'failover.rejoin_seconds', value: rejoinSeconds, unit: 's', suite: SUITE, note: `${killed.name}; pg_rewind ${rewound ? 'ran' : 'was not needed'}` });
    const roles = await cluster.roles();
    expect(roles[killed.name], `${killed.name} must be a replica now`).toMatch(/replica|sync_standby/);
    await cluster.waitHealthy();
  });

  it('a crash of the Postgres process with Patroni alive is recovered in place within the crash RTO target, losing nothing', async () => {
    let postmasterBefore = '';
    const m = await measureWriteOutage(
      cluster,
      async (primary) => {
        postmasterBefore = (await primary.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t;
        await primary.crashPostgres();
      },
      { expectNewPrimary: false, timeoutMs: 60_000 },
    );
    const postmasterAfter = (await m.after.query<{ t: string }>('SELECT pg_postmaster_start_time()::text AS t'))[0]!.t;
    expect(postmasterAfter, 'Postgres must have been restarted by Patroni').not.toBe(postmasterBefore);
    const note = describeOutage(m);
    const rto = recordResult({ id: 'failover.crash_rto_seconds', value: m.outageSeconds, unit: 's', target: targets.failover.crashRtoSeconds, suite: SUITE, note });
    recordResult({ id: 'failover.crash_lost_acknowledged_writes', value: m.lost.length, unit: 'rows', target: targets.failover.lostAcknowledgedWrites, suite: SUITE, note });
    assertNoSplitBrain('failover.crash_split_brain_observations', m);
    expect(rto.pass, `write outage ${m.outageSeconds} s after a Postgres crash (${note})`).toBe(true);
    expect(m.lost, 'acknowledged inserts lost by crash recovery').toEqual([]);
  });

  it('three failovers in a row ping-pong the leader and lose no acknowledged write', async () => {
    const leaders: string[] = [];
    const outages: number[] = [];
    const measurements: OutageMeasurement[] = [];
    let lost = 0;
    for (let round = 1; round <= 3; round++) {
      const m = await measureWriteOutage(cluster, (primary) => primary.kill(), { expectNewPrimary: true });
      leaders.push(`${m.before.name}->${m.after.name}`);
      outages.push(m.outageSeconds);
      lost += m.lost.length;
      measurements.push(m);
      expect(m.lost, `round ${round}: acknowledged inserts missing on ${m.after.name}`).toEqual([]);
      await rejoin(cluster, m.before);
    }
    const note = `leaders ${leaders.join(', ')}; write outages ${outages.join(' s, ')} s`;
    assertNoSplitBrain('failover.repeated_split_brain_observations', ...measurements);
    const record = recordResult({ id: 'failover.repeated_lost_acknowledged_writes', value: lost, unit: 'rows', target: targets.failover.lostAcknowledgedWrites, suite: SUITE, note });
    recordResult({ id: 'failover.repeated_rto_seconds_max', value: Math.max(...outages), unit: 's', target: targets.failover.rtoSeconds, suite: SUITE, note });
    expect(record.pass, note).toBe(true);
    expect(new Set(leaders.map((l) => l.split('->')[1])).size, `the leader must move each time (${note})`).toBeGreaterThan(1);
  });

  it('in asynchronous mode a SIGKILLed primary is replaced too; its loss of acknowledged writes is reported', async () => {
    await cluster.setSynchronous(false);
    const m = await measureWriteOutage(cluster, (primary) => primary.kill(), { expectNewPrimary: true });
    const note = describeOutage(m);
    recordResult({ id: 'failover.async_lost_acknowledged_writes', value: m.lost.length, unit: 'rows', suite: SUITE, note });
    recordResult({ id: 'failover.async_rto_seconds', value: m.outageSeconds, unit: 's', suite: SUITE, note });
    assertNoSplitBrain('failover.async_split_brain_observations', m);
  });
});
