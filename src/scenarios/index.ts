import { pitrAcrossFailover, repositoryHostLoss } from './backup.ts';
import { brokerNodeLoss } from './broker.ts';
import { redisMasterKill } from './cache.ts';
import { clusterRestore } from './disaster-recovery.ts';
import { asyncFailover, crashPostgres, isolatePrimary, killPrimary, repeatedFailover, stopPrimary, switchover } from './postgres.ts';
import { workerStop } from './queue.ts';
import { readFallback } from './read-fallback.ts';
import { redisMasterIsolated, sentinelRestart } from './sentinel.ts';
import { frozenReplica, lagUnderLoad, replicaVisibility } from './replication.ts';
import type { Scenario } from './scenario.ts';

/** Every scenario; the suites run them on ephemeral stacks, `refstack drill` runs the drills on the environment. */
export const SCENARIOS: readonly Scenario[] = [
  killPrimary,
  crashPostgres,
  stopPrimary,
  isolatePrimary,
  switchover,
  repeatedFailover,
  asyncFailover,
  replicaVisibility,
  lagUnderLoad,
  frozenReplica,
  readFallback,
  pitrAcrossFailover,
  repositoryHostLoss,
  clusterRestore,
  redisMasterKill,
  redisMasterIsolated,
  sentinelRestart,
  workerStop,
  brokerNodeLoss,
];

/** What `refstack drill --all` runs, in this order: each leaves the environment as it found it. */
export const DRILLS: readonly Scenario[] = SCENARIOS.filter((s) => s.drill);

export function scenarioByName(name: string, among: readonly Scenario[] = SCENARIOS): Scenario {
  const found = among.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario "${name}": use one of ${among.map((s) => s.name).join(', ')}`);
  return found;
}

export type { Scenario };
