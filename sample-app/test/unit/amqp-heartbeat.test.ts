import { describe, expect, it } from 'vitest';
import { HEARTBEAT_SECONDS, withHeartbeat } from '../../src/shared/amqp.ts';

describe('AMQP heartbeat', () => {
  it('is added to a broker URL that sets none, and a URL that sets one keeps it', () => {
    expect(withHeartbeat('amqp://u:p@rabbitmq-1:5672')).toBe(`amqp://u:p@rabbitmq-1:5672?heartbeat=${HEARTBEAT_SECONDS}`);
    expect(withHeartbeat('amqp://u:p@rabbitmq-1:5672/?heartbeat=20')).toBe('amqp://u:p@rabbitmq-1:5672/?heartbeat=20');
  });
});
