import { asyncFailover, isolatePrimary, repeatedFailover, stopPrimary } from '../../../src/scenarios/postgres.ts';
import { frozenReplica } from '../../../src/scenarios/replication.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useStack } from '../../../src/testing/stack.ts';

/**
 * The rest of the Postgres HA scenarios (nightly: `npm run test:nightly`), on the same stack request as
 * test/integration/postgres/ha.test.ts: a frozen replica, a stopped and an isolated primary, repeated
 * failovers, and asynchronous mode last (it changes the cluster's replication mode).
 */
describeWithDocker('postgres HA, nightly: frozen replica, stop, isolation, repeated and asynchronous failover (test profile)', () => {
  const stack = useStack({ services: ['haproxy'] });
  itScenario(frozenReplica, stack);
  itScenario(stopPrimary, stack);
  itScenario(isolatePrimary, stack);
  itScenario(repeatedFailover, stack);
  itScenario(asyncFailover, stack);
});
