import { BreakerOpenError } from './breaker.ts';
import { DeadlineExceededError } from './deadline.ts';

/**
 * The one place that decides what an error means. The API's error mapper, the database retry
 * loop, the outbox relay and the worker's retry logic all ask {@link classify}.
 *   transient  — the dependency is away or busy; the same call can succeed later (→ 503, retry).
 *   permanent  — this input can never succeed (→ 4xx, or the DLQ at once).
 *   unexpected — nobody knows this error: a bug (→ 500, or a few retries then the DLQ).
 */
export type ErrorClass = 'transient' | 'permanent' | 'unexpected';

export interface Classification {
  class: ErrorClass;
  /** Short, stable name of the cause (logs, metrics). */
  reason: string;
  /**
   * The connection that saw this error is unusable: destroy it, never send it ROLLBACK (on a hung
   * server ROLLBACK waits as long again) and never return it to the pool (after a failover it may
   * still point at the demoted primary).
   */
  discardConnection: boolean;
}

/** A failure whose input can never succeed (a message with no valid event, an order that does not exist). */
export class PermanentError extends Error {}

/** COMMIT was sent but no answer came: the transaction may or may not have committed. */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`COMMIT sent, outcome unknown: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Node socket errors: the peer is gone, refusing, unreachable or silent. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs that say "not now" (PostgreSQL errcodes-appendix). */
const TRANSIENT_SQLSTATES: Record<string, { reason: string; discard: boolean }> = {
  '57P01': { reason: 'admin-shutdown', discard: true },
  '57P02': { reason: 'crash-shutdown', discard: true },
  '57P03': { reason: 'cannot-connect-now', discard: true },
  // A demoted primary keeps its sessions open as a read-only standby: reconnect through the write endpoint.
  '25006': { reason: 'read-only-transaction', discard: true },
  '40001': { reason: 'serialization-failure', discard: false },
  '40P01': { reason: 'deadlock', discard: false },
  '57014': { reason: 'statement-timeout', discard: false },
  '55P03': { reason: 'lock-timeout', discard: false },
  '53000': { reason: 'insufficient-resources', discard: false },
  '53100': { reason: 'disk-full', discard: true },
  '53200': { reason: 'out-of-memory', discard: true },
  '53300': { reason: 'too-many-connections', discard: true },
};

/** Messages of node-postgres, ioredis and amqplib errors that carry no code. */
const TRANSIENT_MESSAGES: Array<[RegExp, string, boolean]> = [
  // node-postgres
  [/^Query read timeout/, 'read-timeout', true],
  [/Connection terminated due to connection timeout|timeout exceeded when trying to connect/i, 'connect-timeout', true],
  [/Connection terminated|Client has encountered a connection error|Client was closed and is not queryable|terminating connection/i, 'connection-lost', true],
  [/Cannot use a pool after calling end/i, 'shutting-down', true],
  // ioredis
  [/^Command timed out/, 'redis-timeout', false],
  [/Connection is closed|Stream isn't writeable|Reached the max retries per request limit|All sentinels are unreachable/i, 'redis-unavailable', false],
  [/^(READONLY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|BUSY) /, 'redis-not-master', false],
  // min-replicas-to-write: a master no replica has acknowledged lately (cut off, or its replicas still syncing)
  [/^NOREPLICAS /, 'redis-no-replicas', false],
  [/^OOM /, 'redis-out-of-memory', false],
  // amqplib and this app's publisher
  [/Channel closed|Connection closed|Socket closed abruptly|Connection blocked|rabbitmq is not connected|not confirmed within/i, 'broker-unavailable', false],
];

const transient = (reason: string, discardConnection = false): Classification => ({ class: 'transient', reason, discardConnection });

export function classify(error: unknown): Classification {
  if (error instanceof PermanentError) return { class: 'permanent', reason: 'permanent', discardConnection: false };
  if (error instanceof CommitOutcomeUnknownError) return transient('commit-outcome-unknown', true);
  if (error instanceof BreakerOpenError) return transient('breaker-open');
  if (error instanceof DeadlineExceededError) return transient('deadline');
  const e = (error ?? {}) as { code?: unknown; message?: unknown; status?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return { class: 'permanent', reason: `http-${e.status}`, discardConnection: false };
  if (SOCKET_CODES.has(code)) return transient(`socket-${code.toLowerCase()}`, true);
  const sqlstate = TRANSIENT_SQLSTATES[code];
  if (sqlstate) return transient(sqlstate.reason, sqlstate.discard);
  // Class 08: connection exception (08000, 08003, 08006, 08001, 08004, 08P01).
  if (/^08[0-9A-Z]{3}$/.test(code)) return transient('connection-exception', true);
  // Class 22 (data exception) and 23 (integrity constraint violation): the input is wrong.
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return { class: 'permanent', reason: `sqlstate-${code}`, discardConnection: false };
  for (const [pattern, reason, discard] of TRANSIENT_MESSAGES) if (pattern.test(message)) return transient(reason, discard);
  // ioredis' MaxRetriesPerRequestError and amqplib's IllegalOperationError carry their meaning in the name.
  if (e.name === 'MaxRetriesPerRequestError') return transient('redis-unavailable');
  return { class: 'unexpected', reason: code ? `code-${code}` : 'unknown', discardConnection: false };
}

export const isTransient = (error: unknown): boolean => classify(error).class === 'transient';
