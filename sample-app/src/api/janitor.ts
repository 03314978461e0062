import type { Db } from '../shared/db.ts';
import { Deadline } from '../shared/deadline.ts';

/**
 * Deletes what is no longer needed, in small batches so no statement holds locks for long:
 * outbox rows published more than `outboxRetentionSeconds` ago and Idempotency-Keys past their TTL.
 * Returns the number of rows deleted.
 */
export async function purgeExpired(db: Db, outboxRetentionSeconds: number, timeoutMs: number): Promise<number> {
  const deadline = Deadline.after(timeoutMs);
  const outbox = await db.query(
    'write',
    'outbox_purge',
    `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - $1 * interval '1 second' LIMIT 1000)`,
    [outboxRetentionSeconds],
    { deadline, attempts: 1 },
  );
  const keys = await db.query(
    'write',
    'idempotency_keys_purge',
    `DELETE FROM idempotency_keys WHERE (client, key) IN (SELECT client, key FROM idempotency_keys WHERE expires_at < now() LIMIT 1000)`,
    [],
    { deadline, attempts: 1 },
  );
  return (outbox.rowCount ?? 0) + (keys.rowCount ?? 0);
}
