import { asyncFailover, crashPostgres, isolatePrimary, killPrimary, repeatedFailover, stopPrimary, switchover } from '../../../src/scenarios/postgres.ts';
import { frozenReplica, lagUnderLoad, replicaVisibility } from '../../../src/scenarios/replication.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useStack } from '../../../src/testing/stack.ts';

/**
 * Postgres HA on the stack's own Patroni cluster (3 members, synchronous mode, 3 etcd, HAProxy), test
 * profile: replication first, then the planned and unplanned leader changes, asynchronous mode last.
 * Each scenario leaves the cluster healthy for the next (its rollbacks always run).
 */
describeWithDocker('postgres HA: Patroni ×3 + etcd ×3 + HAProxy from the one stack (test profile)', () => {
  const stack = useStack({ services: ['haproxy'] });
  itScenario(replicaVisibility, stack);
  itScenario(lagUnderLoad, stack);
  itScenario(frozenReplica, stack);
  itScenario(switchover, stack);
  itScenario(stopPrimary, stack);
  itScenario(isolatePrimary, stack);
  itScenario(killPrimary, stack);
  itScenario(crashPostgres, stack);
  itScenario(repeatedFailover, stack);
  itScenario(asyncFailover, stack);
});
