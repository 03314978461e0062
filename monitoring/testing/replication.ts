import { postgresCluster } from '../../services/postgres/cluster.ts';
import type { StackHandle } from '../../src/core/spec.ts';
import { targets } from '../../src/core/targets.ts';
import { pauseReplay } from './faults.ts';
import type { AlertScenario } from './scenario.ts';

export interface ReplayPaused extends AlertScenario {
  /** The replica whose replay is paused. */
  replica: string;
  /** Resumes the replay if the scenario did not (call it in `finally`). */
  release(): Promise<void>;
}

/**
 * WAL replay paused on an asynchronous replica of the running cluster (the synchronous standby only when there
 * is no other) while the primary keeps committing: ReplicationLagHigh must fire for that replica. Its
 * condition cannot hold before the lag has grown to the threshold, so that time is the alert's onset.
 */
export async function replayPausedScenario(stack: StackHandle): Promise<ReplayPaused> {
  const cluster = await postgresCluster(stack);
  await cluster.waitHealthy(120_000);
  const roles = await cluster.roles();
  const member = cluster.members.find((m) => roles[m.name] === 'replica') ?? cluster.members.find((m) => roles[m.name] === 'sync_standby')!;
  let resume: (() => Promise<void>) | undefined;
  const release = async () => {
    const r = resume;
    resume = undefined;
    await r?.();
  };
  return {
    replica: member.name,
    fault: `WAL replay paused on ${member.name} (its recovery process stopped) while writes continue`,
    fires: ['ReplicationLagHigh'],
    labels: { ReplicationLagHigh: { replica: member.name } },
    onsetSeconds: { ReplicationLagHigh: targets.alertRules.replicationLagSeconds },
    inject: async () => void (resume = await pauseReplay(member.instance)),
    remove: release,
    release,
  };
}
