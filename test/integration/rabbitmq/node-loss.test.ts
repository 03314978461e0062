import { brokerNodeLoss } from '../../../src/scenarios/broker.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { itScenario, useSharedStack } from '../../../src/testing/stack.ts';

/**
 * One RabbitMQ node of three lost — killed, frozen, cut off — under confirmed publishing and consuming and
 * orders through the API, on the run's shared stack (what `refstack up` runs, test profile). The same
 * scenario is `refstack drill rabbitmq-node-loss` on the environment.
 */
describeWithDocker('rabbitmq node loss, on the one stack', () => {
  const stack = useSharedStack();
  itScenario(brokerNodeLoss, stack, 480_000);
});
