import { readFallback } from '../../../src/scenarios/read-fallback.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useSharedStack } from '../../../src/testing/stack.ts';

/**
 * Reads survive the loss of every replica, on the run's shared stack (what `refstack up` runs, test
 * profile): HAProxy's read port falls back to the leader and comes back, and the API's reads never fail.
 * The same scenario is `refstack drill replicas-lost` on the environment.
 */
describeWithDocker('postgres reads with every replica lost, on the one stack', () => {
  const stack = useSharedStack();
  itScenario(readFallback, stack, 480_000);
});
