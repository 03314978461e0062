import { crashPostgres, killPrimary, switchover } from '../../../src/scenarios/postgres.ts';
import { lagUnderLoad, replicaVisibility } from '../../../src/scenarios/replication.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useStack } from '../../../src/testing/stack.ts';

/**
 * Postgres HA on the stack's own Patroni cluster (3 members, synchronous mode, 3 etcd, HAProxy), test
 * profile: replication first, then a planned and two unplanned leader changes. Each scenario leaves the
 * cluster healthy for the next (its rollbacks always run). The remaining scenarios (frozen replica, stop,
 * isolation, repeated and asynchronous failover) run nightly: test/nightly/postgres/ha.test.ts.
 */
describeWithDocker('postgres HA: Patroni ×3 + etcd ×3 + HAProxy from the one stack (test profile)', () => {
  const stack = useStack({ services: ['haproxy'] });
  itScenario(replicaVisibility, stack);
  itScenario(lagUnderLoad, stack);
  itScenario(switchover, stack);
  itScenario(killPrimary, stack);
  itScenario(crashPostgres, stack);
});
