import type { Db } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';

export class PoisonMessageError extends Error {}

export interface Event {
  type: string;
  orderId?: string;
  [field: string]: unknown;
}

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
 * The asynchronous job. order.created: move the order from pending to processed and count its
 * revenue — idempotent, so a redelivered message is acked without counting twice. An order that
 * does not exist throws, so the message is retried and finally dead-lettered.
 */
export async function processEvent(event: Event, db: Db, metrics: Metrics, log: Logger): Promise<void> {
  if (event.type !== 'order.created') {
    log.info({ event }, 'event');
    return;
  }
  const orderId = event.orderId!;
  const processed = await db.transaction('order_process', async (tx) => {
    const { rows } = await tx.query<{ total_cents: string; currency: string }>(
      `UPDATE orders SET status = 'processed', processed_at = now() WHERE id = $1 AND status = 'pending' RETURNING total_cents, currency`,
      [orderId],
    );
    if (rows[0]) return rows[0];
    const exists = await tx.query('SELECT 1 FROM orders WHERE id = $1', [orderId]);
    if (!exists.rowCount) throw new Error(`order ${orderId} does not exist`);
    return undefined;
  });
  if (!processed) {
    log.info({ orderId }, 'order already processed (redelivery)');
    return;
  }
  metrics.ordersProcessed.inc();
  metrics.revenue.inc({ currency: processed.currency }, Number(processed.total_cents) / 100);
  log.info({ orderId, totalCents: Number(processed.total_cents) }, 'order processed');
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
