import { describe, expect, it } from 'vitest';
import { BreakerOpenError } from '../../src/shared/breaker.ts';
import { DeadlineExceededError } from '../../src/shared/deadline.ts';
import { classify, CommitOutcomeUnknownError, PermanentError } from '../../src/shared/transient.ts';
import { PoisonMessageError } from '../../src/worker/process.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('the one transient-error classifier', () => {
  const cases: Array<[string, unknown, string, string, boolean]> = [
    // name, error, class, reason, discard the connection
    ['pg admin shutdown (failover)', coded('57P01', 'terminating connection due to administrator command'), 'transient', 'admin-shutdown', true],
    ['pg crash shutdown', coded('57P02'), 'transient', 'crash-shutdown', true],
    ['pg cannot connect now (starting up)', coded('57P03'), 'transient', 'cannot-connect-now', true],
    ['pg read-only transaction (a demoted primary)', coded('25006'), 'transient', 'read-only-transaction', true],
    ['pg serialization failure', coded('40001'), 'transient', 'serialization-failure', false],
    ['pg deadlock', coded('40P01'), 'transient', 'deadlock', false],
    ['pg statement timeout', coded('57014'), 'transient', 'statement-timeout', false],
    ['pg too many connections', coded('53300'), 'transient', 'too-many-connections', true],
    ['pg connection failure 08006', coded('08006'), 'transient', 'connection-exception', true],
    ['pg protocol violation 08P01', coded('08P01'), 'transient', 'connection-exception', true],
    ['node ECONNRESET', coded('ECONNRESET'), 'transient', 'socket-econnreset', true],
    ['node ECONNREFUSED', coded('ECONNREFUSED'), 'transient', 'socket-econnrefused', true],
    ['node ETIMEDOUT', coded('ETIMEDOUT'), 'transient', 'socket-etimedout', true],
    ['node EPIPE', coded('EPIPE'), 'transient', 'socket-epipe', true],
    ['node-postgres read timeout', new Error('Query read timeout'), 'transient', 'read-timeout', true],
    ['node-postgres connect timeout', new Error('Connection terminated due to connection timeout'), 'transient', 'connect-timeout', true],
    ['pg-pool connect timeout', new Error('timeout exceeded when trying to connect'), 'transient', 'connect-timeout', true],
    ['node-postgres connection terminated', new Error('Connection terminated unexpectedly'), 'transient', 'connection-lost', true],
    ['ioredis command timeout', new Error('Command timed out'), 'transient', 'redis-timeout', false],
    ['ioredis offline', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'transient', 'redis-unavailable', false],
    ['ioredis closed', new Error('Connection is closed.'), 'transient', 'redis-unavailable', false],
    ['ioredis max retries', named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 0).'), 'transient', 'redis-unavailable', false],
    ['redis READONLY after a Sentinel switch', new Error("READONLY You can't write against a read only replica."), 'transient', 'redis-not-master', false],
    ['redis NOREPLICAS from a master its replicas stopped acknowledging', new Error('NOREPLICAS Not enough good replicas to write.'), 'transient', 'redis-no-replicas', false],
    ['redis OOM', new Error("OOM command not allowed when used memory > 'maxmemory'."), 'transient', 'redis-out-of-memory', false],
    ['amqplib channel closed', named('IllegalOperationError', 'Channel closed'), 'transient', 'broker-unavailable', false],
    ['confirm not received', new Error('publish to refstack.events/order.created not confirmed within 5000 ms'), 'transient', 'broker-unavailable', false],
    ['breaker open', new BreakerOpenError('redis'), 'transient', 'breaker-open', false],
    ['request budget spent', new DeadlineExceededError('order_insert'), 'transient', 'deadline', false],
    ['commit outcome unknown', new CommitOutcomeUnknownError(new Error('Query read timeout')), 'transient', 'commit-outcome-unknown', true],
    ['poison message', new PoisonMessageError('no type'), 'permanent', 'permanent', false],
    ['permanent error', new PermanentError('order 7 does not exist'), 'permanent', 'permanent', false],
    ['unique violation', coded('23505'), 'permanent', 'sqlstate-23505', false],
    ['invalid text', coded('22P02'), 'permanent', 'sqlstate-22P02', false],
    ['an HTTP 4xx', Object.assign(new Error('nope'), { status: 422 }), 'permanent', 'http-422', false],
    ['undefined table (a bug or a missing migration)', coded('42P01'), 'unexpected', 'code-42P01', false],
    ['a TypeError', new TypeError('x is undefined'), 'unexpected', 'unknown', false],
    ['not an error at all', undefined, 'unexpected', 'unknown', false],
  ];
  it.each(cases)('%s', (_name, error, errorClass, reason, discard) => {
    expect(classify(error)).toEqual({ class: errorClass, reason, discardConnection: discard });
  });
});
