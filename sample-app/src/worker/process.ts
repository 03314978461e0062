import type { Db } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { PermanentError } from '../shared/transient.ts';

/** A message that can never be processed: it goes to the DLQ at once. */
export class PoisonMessageError extends PermanentError {}

export interface Event {
  type: string;
  orderId?: string;
  eventId?: string;
  [field: string]: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a message body; anything that is not a typed JSON event can never succeed. */
export function parseEvent(content: Buffer): Event {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  const event = parsed as Partial<Event> | null;
  if (!event || typeof event !== 'object' || typeof event.type !== 'string') throw new PoisonMessageError('message has no "type"');
  if (event.type === 'order.created' && (typeof event.orderId !== 'string' || !/^[1-9][0-9]{0,17}$/.test(event.orderId))) {
    throw new PoisonMessageError('order.created without a valid orderId');
  }
  return event as Event;
}

/**
 * The dedupe key: the event's `eventId` (every event the API's outbox emits has one; it is also the
 * AMQP message id), else a UUID message id. Messages published without either are processed
 * without dedupe — their effects must be idempotent on their own (order.created is: it moves an
 * order from pending to processed once).
 */
export function dedupeKey(event: Event, messageId: unknown): string | undefined {
  if (typeof event.eventId === 'string' && UUID.test(event.eventId)) return event.eventId;
  if (typeof messageId === 'string' && UUID.test(messageId)) return messageId;
  return undefined;
}

export type ProcessResult = 'processed' | 'duplicate';

/**
 * The asynchronous job, in one transaction with its dedupe record: an event id already in
 * processed_events has no effect. order.created moves the order from pending to processed and
 * counts its revenue once. An order that does not exist is permanent (the outbox publishes an
 * event only after its order committed, so it will never appear): straight to the DLQ.
 */
export async function processEvent(event: Event, eventId: string | undefined, db: Db, metrics: Metrics, log: Logger): Promise<ProcessResult> {
  const outcome = await db.transaction('event_process', async (tx) => {
    if (eventId) {
      const first = await tx.query('INSERT INTO processed_events (event_id, type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [eventId, event.type]);
      if (!first.rowCount) return { result: 'duplicate' as const };
    }
    if (event.type !== 'order.created') return { result: 'processed' as const };
    const orderId = event.orderId!;
    const { rows } = await tx.query<{ total_cents: string; currency: string }>(
      `UPDATE orders SET status = 'processed', processed_at = now() WHERE id = $1 AND status = 'pending' RETURNING total_cents, currency`,
      [orderId],
    );
    if (rows[0]) return { result: 'processed' as const, revenue: rows[0] };
    const exists = await tx.query('SELECT 1 FROM orders WHERE id = $1', [orderId]);
    if (!exists.rowCount) throw new PoisonMessageError(`order ${orderId} does not exist`);
    return { result: 'processed' as const };
  });
  if (outcome.result === 'duplicate') {
    metrics.eventsDeduplicated.inc();
    log.info({ eventId, type: event.type }, 'event already processed (duplicate delivery), no effect');
    return 'duplicate';
  }
  if ('revenue' in outcome && outcome.revenue) {
    metrics.ordersProcessed.inc();
    metrics.revenue.inc({ currency: outcome.revenue.currency }, Number(outcome.revenue.total_cents) / 100);
    log.info({ orderId: event.orderId, totalCents: Number(outcome.revenue.total_cents) }, 'order processed');
  } else if (event.type === 'order.created') {
    log.info({ orderId: event.orderId }, 'order already processed');
  } else {
    log.info({ type: event.type, eventId }, 'event');
  }
  return 'processed';
}

/** Optional: index the event in Elasticsearch (ELASTICSEARCH_URL). Failures are logged, never retried. */
export async function indexEvent(baseUrl: string, id: string, event: Event, metrics: Metrics, log: Logger): Promise<void> {
  try {
    const response = await fetch(`${baseUrl.replace(/\/$/, '')}/refstack-events/_doc/${encodeURIComponent(id)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...event, '@timestamp': new Date().toISOString() }),
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) throw new Error(`elasticsearch answered ${response.status}`);
  } catch (error) {
    metrics.errors.inc({ kind: 'dependency' });
    log.warn({ err: error, id }, 'elasticsearch indexing failed');
  }
}
