import type { Db } from './db.ts';

/**
 * The domain: a product catalogue, users, their sessions, and orders. Created at API start-up
 * under an advisory lock, so several API replicas can start at once.
 */
const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS products (
     id bigserial PRIMARY KEY,
     sku text NOT NULL UNIQUE,
     name text NOT NULL,
     price_cents integer NOT NULL CHECK (price_cents >= 0),
     currency char(3) NOT NULL DEFAULT 'EUR',
     updated_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS users (
     id bigserial PRIMARY KEY,
     email text NOT NULL UNIQUE,
     name text NOT NULL,
     client text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS sessions (
     id uuid PRIMARY KEY,
     user_id bigint NOT NULL REFERENCES users(id),
     client text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     last_seen_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS sessions_last_seen ON sessions (last_seen_at)`,
  `CREATE TABLE IF NOT EXISTS orders (
     id bigserial PRIMARY KEY,
     user_id bigint NOT NULL REFERENCES users(id),
     client text NOT NULL,
     status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed')),
     total_cents bigint NOT NULL,
     currency char(3) NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     processed_at timestamptz)`,
  `CREATE TABLE IF NOT EXISTS order_items (
     order_id bigint NOT NULL REFERENCES orders(id),
     product_id bigint NOT NULL REFERENCES products(id),
     quantity integer NOT NULL CHECK (quantity > 0),
     unit_price_cents integer NOT NULL,
     PRIMARY KEY (order_id, product_id))`,
  // Transactional outbox: the event is committed with the write; the relay (src/api/outbox.ts) publishes
  // it after the response and marks it published. event_id is the dedupe key the worker records.
  `CREATE TABLE IF NOT EXISTS outbox (
     id bigserial PRIMARY KEY,
     routing_key text NOT NULL,
     payload jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `ALTER TABLE outbox ADD COLUMN IF NOT EXISTS event_id uuid NOT NULL DEFAULT gen_random_uuid()`,
  `ALTER TABLE outbox ADD COLUMN IF NOT EXISTS published_at timestamptz`,
  `ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claimed_until timestamptz`,
  `ALTER TABLE outbox ADD COLUMN IF NOT EXISTS publish_attempts integer NOT NULL DEFAULT 0`,
  // W3C trace context of the request that wrote the event: the relay publishes in it, after the response.
  `ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_headers jsonb`,
  `CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (id) WHERE published_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL`,
  // Idempotency-Key: the outcome of a committed write, stored in the same transaction as its effect.
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
     client text NOT NULL,
     key text NOT NULL,
     fingerprint text NOT NULL,
     status smallint NOT NULL,
     body jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     expires_at timestamptz NOT NULL,
     PRIMARY KEY (client, key))`,
  `CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at)`,
  // The worker's dedupe record: an event id processed once has no effect the second time.
  `CREATE TABLE IF NOT EXISTS processed_events (
     event_id uuid PRIMARY KEY,
     type text NOT NULL,
     processed_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX IF NOT EXISTS processed_events_age ON processed_events (processed_at)`,
  `INSERT INTO products (sku, name, price_cents)
     SELECT 'SKU-' || lpad(i::text, 4, '0'), 'Product ' || i, 100 + (i * 37) % 9900
     FROM generate_series(1, 100) AS i
   ON CONFLICT (sku) DO NOTHING`,
];

export async function migrate(db: Db): Promise<void> {
  await db.transaction('migrate', async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(4242)');
    for (const statement of STATEMENTS) await tx.query(statement);
  });
}
