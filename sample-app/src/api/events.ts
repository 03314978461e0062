import type pg from 'pg';
import { EXCHANGE, publishConfirmed, QUEUE, type AmqpConnection } from '../shared/amqp.ts';
import type { Db } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';

export interface DomainEvent {
  type: string;
  [field: string]: unknown;
}

/**
 * Transactional outbox: `record` inserts the event in the caller's transaction; `flush` publishes
 * it after COMMIT with publisher confirms and deletes the row. A relay republishes rows a failed
 * flush left behind, so an acknowledged write always ends up as an event (at least once).
 */
export class EventPublisher {
  private relayTimer: NodeJS.Timeout | undefined;
  private relaying = false;
  /** Published, not yet deleted from the outbox. */
  private readonly published = new Set<string>();
  private deleteTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly amqp: AmqpConnection,
    private readonly confirmTimeoutMs: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  async record(client: pg.PoolClient, event: DomainEvent): Promise<string> {
    const { rows } = await client.query<{ id: string }>('INSERT INTO outbox (routing_key, payload) VALUES ($1, $2) RETURNING id', [
      event.type,
      JSON.stringify(event),
    ]);
    return rows[0]!.id;
  }

  /**
   * Publishes one committed outbox row; failures are left to the relay. Published rows are deleted
   * in batches (one statement, one commit) instead of one fsync per event; a row whose delete was
   * lost is published again by the relay, which the idempotent worker tolerates.
   */
  async flush(outboxId: string, event: DomainEvent): Promise<boolean> {
    try {
      await this.publish(outboxId, event);
      this.published.add(outboxId);
      this.deleteTimer ??= setTimeout(() => void this.deletePublished(), 200);
      return true;
    } catch (error) {
      this.log.warn({ err: error, outboxId }, 'event not published yet; the relay will retry');
      return false;
    }
  }

  private async deletePublished(): Promise<void> {
    const ids = [...this.published];
    try {
      if (ids.length) await this.db.query('write', 'outbox_delete', 'DELETE FROM outbox WHERE id = ANY($1::bigint[])', [ids]);
      for (const id of ids) this.published.delete(id);
    } catch (error) {
      this.log.warn({ err: error, count: ids.length }, 'outbox delete failed; will retry');
    } finally {
      this.deleteTimer = undefined;
      if (this.published.size) this.deleteTimer = setTimeout(() => void this.deletePublished(), 1_000);
    }
  }

  private async publish(outboxId: string, event: DomainEvent): Promise<void> {
    const channel = this.amqp.channel;
    try {
      if (!channel) throw new Error('rabbitmq is not connected');
      await publishConfirmed(channel, EXCHANGE, event.type, Buffer.from(JSON.stringify(event)), { messageId: `outbox-${outboxId}` }, this.confirmTimeoutMs);
      this.metrics.queuePublished.inc({ queue: QUEUE });
    } catch (error) {
      this.metrics.queueFailed.inc({ queue: QUEUE, stage: 'publish' });
      this.metrics.errors.inc({ kind: 'dependency' });
      throw error;
    }
  }

  startRelay(intervalMs = 2_000): void {
    this.relayTimer = setInterval(() => void this.relayOnce(), intervalMs);
    this.relayTimer.unref();
  }

  /** Publishes outbox rows older than a few seconds (their inline flush failed or the process died). */
  async relayOnce(): Promise<number> {
    if (this.relaying || !this.amqp.connected) return 0;
    this.relaying = true;
    let published = 0;
    try {
      const { rows } = await this.db.query<{ id: string; payload: DomainEvent }>(
        'write',
        'outbox_pending',
        `SELECT id, payload FROM outbox WHERE created_at < now() - interval '3 seconds' ORDER BY id LIMIT 100`,
      );
      for (const row of rows) {
        if (this.published.has(row.id)) continue;
        if (await this.flush(row.id, row.payload)) published += 1;
      }
    } catch (error) {
      this.log.warn({ err: error }, 'outbox relay failed');
    } finally {
      this.relaying = false;
    }
    return published;
  }

  /** Stops the relay and deletes what was published (called on shutdown, before the pools close). */
  async stop(): Promise<void> {
    if (this.relayTimer) clearInterval(this.relayTimer);
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    if (this.published.size) await this.deletePublished();
    if (this.deleteTimer) clearTimeout(this.deleteTimer);
  }
}
