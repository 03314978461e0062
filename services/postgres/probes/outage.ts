import { randomBytes } from 'node:crypto';
import type { PostgresCluster } from '../cluster.ts';
import type { PostgresMember } from '../member.ts';
import { SplitBrainWatcher, type SplitBrainReport } from './split-brain.ts';
import { waitFor } from '../../../src/core/poll.ts';
import { NumberedWriter, createWritesTable, longestAckGapSeconds, lostAcknowledgedWrites, phantomWrites, type WriterReport } from './writer.ts';

export interface OutageMeasurement {
  run: string;
  before: PostgresMember;
  after: PostgresMember;
  /** Longest time the client went without an acknowledged write through HAProxy. */
  outageSeconds: number;
  lost: number[];
  phantoms: number;
  writes: WriterReport;
  splitBrain: SplitBrainReport;
}

export interface OutageOptions {
  /** Whether the fault must move the leader to another member (failover) or leave it (in-place recovery). */
  expectNewPrimary: boolean;
  /** Bound on waiting for writes to resume. */
  timeoutMs?: number;
  /** Writes acknowledged before the fault, and again after recovery before the measurement ends. */
  settleAcks?: number;
}

/**
 * The failover measurement every fault scenario shares: a numbered writer through HAProxy and a
 * split-brain watcher on every member run across `fault`; the outage is the client's longest gap
 * between acknowledgements, and every acknowledged insert is looked up on the primary afterwards.
 */
export async function measureWriteOutage(
  cluster: PostgresCluster,
  fault: (primary: PostgresMember) => Promise<void>,
  options: OutageOptions,
): Promise<OutageMeasurement> {
  const before = await cluster.waitHealthy();
  await createWritesTable(cluster.clientConfig(cluster.write));
  const run = randomBytes(6).toString('hex');
  const timeoutMs = options.timeoutMs ?? 90_000;
  const watcher = new SplitBrainWatcher(cluster.members, { intervalMs: 200, maxSeconds: timeoutMs / 1000 + 60 }).start();
  const writer = new NumberedWriter(cluster.clientConfig(cluster.write), run, { maxSeconds: timeoutMs / 1000 + 30 }).start();
  let writes: WriterReport | undefined;
  let splitBrain: SplitBrainReport | undefined;
  let after: PostgresMember;
  try {
    await writer.waitForAcks(options.settleAcks ?? 50, 15_000);
    await fault(before);
    after = await waitFor(
      options.expectNewPrimary ? `a new primary other than ${before.name}` : `${before.name} primary again`,
      async () => {
        const roles = await cluster.roles();
        const leaders = Object.keys(roles).filter((n) => roles[n] === 'primary');
        if (leaders.length !== 1) return undefined;
        const leader = leaders[0]!;
        if (options.expectNewPrimary === (leader === before.name)) return undefined;
        return cluster.member(leader);
      },
      { timeoutMs, intervalMs: 200 },
    );
    await writer.waitForAcks(options.settleAcks ?? 50, timeoutMs);
  } finally {
    writes = await writer.stop();
    splitBrain = await watcher.stop();
  }
  const primaryConfig = await after.clientConfig();
  return {
    run,
    before,
    after,
    outageSeconds: longestAckGapSeconds(writes),
    lost: await lostAcknowledgedWrites(primaryConfig, writes, run),
    phantoms: await phantomWrites(primaryConfig, writes, run),
    writes,
    splitBrain,
  };
}

export function describeOutage(m: OutageMeasurement): string {
  return `${m.before.name} -> ${m.after.name}; ${m.writes.acknowledged.length}/${m.writes.attempted} inserts acknowledged, ${m.writes.failures} failed attempts; split-brain polls ${m.splitBrain.splitBrainTicks}/${m.splitBrain.ticks}`;
}
