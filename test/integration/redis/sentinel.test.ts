import { redisMasterIsolated, sentinelRestart } from '../../../src/scenarios/sentinel.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useSharedStack } from '../../../src/testing/stack.ts';

/**
 * The Redis tier's failover under the faults a single Sentinel got wrong, on the run's shared stack (what
 * `refstack up` runs, test profile): three Sentinels restarted after a failover, and a master cut off from
 * its Sentinels and replicas while a client beside it keeps writing. The same scenarios are
 * `refstack drill sentinel-restart` and `refstack drill redis-master-isolated`.
 */
describeWithDocker('redis: three Sentinels (quorum 2) and a bounded write window, on the one stack', () => {
  const stack = useSharedStack();
  itScenario(sentinelRestart, stack, 420_000);
  itScenario(redisMasterIsolated, stack, 420_000);
});
