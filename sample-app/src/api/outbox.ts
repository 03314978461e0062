import { randomUUID } from 'node:crypto';
import { EXCHANGE, publishConfirmed, QUEUE, type AmqpConnection } from '../shared/amqp.ts';
import type { Budgets } from '../shared/budgets.ts';
import type { Db, Tx } from '../shared/db.ts';
import { Deadline } from '../shared/deadline.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { classify } from '../shared/transient.ts';
import { currentTraceHeaders, withTraceHeaders } from '../telemetry/context.ts';

export interface DomainEvent {
  type: string;
  [field: string]: unknown;
}

/** What the worker receives: the event with its dedupe key (also the AMQP message id). */
export interface PublishedEvent extends DomainEvent {
  eventId: string;
  occurredAt: string;
}

interface OutboxRow {
  id: string;
  event_id: string;
  routing_key: string;
  payload: PublishedEvent;
  trace_headers: Record<string, string> | null;
}

/**
 * Inserts the event in the caller's transaction: it commits with the write or not at all. The request's
 * trace context is kept with it, so the publish (and the worker's processing) join the request's trace.
 */
export async function recordEvent(tx: Tx, event: DomainEvent): Promise<string> {
  const eventId = randomUUID();
  const payload: PublishedEvent = { ...event, eventId, occurredAt: new Date().toISOString() };
  const trace = currentTraceHeaders();
  await tx.query('INSERT INTO outbox (event_id, routing_key, payload, trace_headers) VALUES ($1, $2, $3, $4)', [eventId, event.type, JSON.stringify(payload), Object.keys(trace).length ? JSON.stringify(trace) : null]);
  return eventId;
}

export interface RelayOptions {
  db: Db;
  amqp: AmqpConnection;
  budgets: Budgets;
  metrics: Metrics;
  log: Logger;
}

/**
 * Publishes committed outbox rows after the response, so a write's latency never depends on the
 * broker. Runs in every API process: rows are claimed with a lease (FOR UPDATE SKIP LOCKED), so
 * instances share the backlog, and a crashed instance's claims expire and are taken over.
 * Publishes with confirms; a row is marked published only after its confirm. Pauses while RabbitMQ
 * blocks the connection (connection.blocked, e.g. a memory alarm) and resumes on unblocked; the
 * connection reconnects with backoff (AmqpConnection). At least once: a confirm lost with its
 * connection, or a mark that failed, means the row is published again — the worker's dedupe on
 * `eventId` makes that harmless.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastProblem = '';

  constructor(private readonly o: RelayOptions) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), this.o.budgets.outbox.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** A write committed an event, the broker unblocked or a channel came up: publish soon. */
  wake(): void {
    this.again = true;
    // Outside any request's trace: a woken round must not hang its own queries under the request that woke it.
    if (!this.running && !this.stopped) this.running = withTraceHeaders(null, () => this.loop()).finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        const published = await this.round();
        if (published === this.o.budgets.outbox.batchSize) this.again = true;
        this.lastProblem = '';
      } catch (error) {
        const c = classify(error);
        // A database outage makes every poll fail: log each new cause once.
        if (c.reason !== this.lastProblem) this.o.log.warn({ err: error, reason: c.reason }, 'outbox relay round failed; rows stay for the next round');
        this.lastProblem = c.reason;
      }
    }
  }

  /** One batch: claim, publish with confirms, mark. Returns the number of rows claimed. */
  private async round(): Promise<number> {
    const channel = this.o.amqp.channel;
    if (!channel || this.o.amqp.blocked) return 0;
    const { outbox, queue } = this.o.budgets;
    const { rows } = await this.o.db.query<OutboxRow>(
      'write',
      'outbox_claim',
      `UPDATE outbox SET claimed_until = now() + $1 * interval '1 millisecond', publish_attempts = publish_attempts + 1
       WHERE id IN (SELECT id FROM outbox
                    WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, event_id, routing_key, payload, trace_headers`,
      [outbox.claimLeaseMs, outbox.batchSize],
      { attempts: 1 },
    );
    if (!rows.length) return 0;
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    const results = await Promise.allSettled(
      rows.map((row) =>
        // In the writing request's trace: the amqplib instrumentation's publish span is its child and
        // carries the context on in the message headers (traceparent) to the worker.
        withTraceHeaders(row.trace_headers, () =>
          publishConfirmed(channel, EXCHANGE, row.routing_key, Buffer.from(JSON.stringify(row.payload)), { messageId: row.event_id }, queue.confirmTimeoutMs, () => this.o.amqp.blocked),
        ),
      ),
    );
    const confirmed = rows.filter((_, i) => results[i]!.status === 'fulfilled').map((r) => r.id);
    const failed = rows.filter((_, i) => results[i]!.status === 'rejected').map((r) => r.id);
    this.o.metrics.queuePublished.inc({ queue: QUEUE }, confirmed.length);
    if (failed.length) {
      this.o.metrics.queueFailed.inc({ queue: QUEUE, stage: 'publish' }, failed.length);
      this.o.metrics.errors.inc({ kind: 'dependency' });
      const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as unknown;
      this.o.log.warn({ err: reason, count: failed.length }, 'events not confirmed; they stay in the outbox');
    }
    if (confirmed.length) {
      await this.o.db.query('write', 'outbox_mark', 'UPDATE outbox SET published_at = now(), claimed_until = NULL WHERE id = ANY($1::bigint[])', [confirmed]);
    }
    // Unconfirmed rows are released for the next round instead of waiting out their lease.
    if (failed.length) await this.o.db.query('write', 'outbox_release', 'UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1::bigint[])', [failed]).catch(() => undefined);
    return rows.length;
  }

  /** outbox_backlog and outbox_oldest_age_seconds (called by the API's sampler). */
  async sampleBacklog(timeoutMs: number): Promise<void> {
    const { rows } = await this.o.db.query<{ n: string; age: string | null }>(
      'write',
      'outbox_backlog',
      `SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS age FROM outbox WHERE published_at IS NULL`,
      [],
      { deadline: Deadline.after(timeoutMs), attempts: 1 },
    );
    this.o.metrics.outboxBacklog.set(Number(rows[0]?.n ?? 0));
    this.o.metrics.outboxOldestAge.set(Math.max(0, Number(rows[0]?.age ?? 0)));
  }

  /** Stops polling and waits for the round in progress (bounded by its confirm and statement timeouts). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
