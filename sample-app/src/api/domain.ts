import { randomUUID } from 'node:crypto';
import type { Db, ReadPath, Tx } from '../shared/db.ts';
import type { Deadline } from '../shared/deadline.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Cache, ReadSource } from './cache.ts';
import { HttpError } from './errors.ts';
import { claimKey, storeOutcome, type IdempotencyRequest } from './idempotency.ts';
import { recordEvent, type DomainEvent, type OutboxRelay } from './outbox.ts';

export interface Product {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  updatedAt: string;
}

export interface Order {
  id: string;
  userId: string;
  status: string;
  totalCents: number;
  currency: string;
  createdAt: string;
  processedAt: string | null;
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: number;
  currency: string;
  updated_at: Date;
}

interface OrderRow {
  id: string;
  user_id: string;
  status: string;
  total_cents: string;
  currency: string;
  created_at: Date;
  processed_at: Date | null;
}

const toProduct = (r: ProductRow): Product => ({
  id: r.id,
  sku: r.sku,
  name: r.name,
  priceCents: r.price_cents,
  currency: r.currency,
  updatedAt: r.updated_at.toISOString(),
});

const toOrder = (r: OrderRow): Order => ({
  id: r.id,
  userId: r.user_id,
  status: r.status,
  totalCents: Number(r.total_cents),
  currency: r.currency,
  createdAt: r.created_at.toISOString(),
  processedAt: r.processed_at ? r.processed_at.toISOString() : null,
});

export const productCacheKey = (id: string) => `product:v1:${id}`;
const PRODUCT_COLUMNS = 'id, sku, name, price_cents, currency, updated_at';

/** Who is writing, by when the answer is due, and the request's Idempotency-Key (if any). */
export interface WriteContext {
  client: string;
  deadline: Deadline;
  idempotency?: IdempotencyRequest;
}

/** A write's answer: its status and body, or the stored ones of an earlier request with the same key. */
export interface WriteOutcome<T> {
  status: number;
  body: T;
  replayed: boolean;
}

interface Effect<T> {
  status: number;
  body: T;
  event: DomainEvent;
}

export interface DomainOptions {
  db: Db;
  cache: Cache;
  relay: OutboxRelay;
  metrics: Metrics;
  /** Retry-After (s) of a 409 for an Idempotency-Key still in flight. */
  inFlightRetryAfterSeconds: number;
  idempotencyKeyTtlSeconds: number;
}

/**
 * The sample domain. Every write runs in one transaction on the primary with its event in the
 * outbox (and its Idempotency-Key outcome, when given); the relay publishes after the response.
 */
export class Domain {
  constructor(private readonly o: DomainOptions) {}

  /** Hot read: Redis first, then the read path (the primary path once if that fails). Returns the JSON body as served. */
  async getProduct(id: string, deadline: Deadline): Promise<{ body: string; source: ReadSource }> {
    const result = await this.o.cache.getOrLoad('product', productCacheKey(id), async () => {
      const { result, path } = await this.o.db.readWithFallback<ProductRow>('product_by_id', `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id], { deadline });
      return { value: result.rows[0] ? toProduct(result.rows[0]) : undefined, path };
    });
    if (result.body === undefined) throw new HttpError(404, 'not_found', `no product ${id}`);
    return { body: result.body, source: result.source };
  }

  async updateProduct(id: string, change: { name?: string; priceCents?: number }, ctx: WriteContext): Promise<WriteOutcome<Product>> {
    const outcome = await this.write<Product>('product_update', ctx, async (tx) => {
      const { rows } = await tx.query<ProductRow>(
        `UPDATE products SET name = COALESCE($2, name), price_cents = COALESCE($3, price_cents), updated_at = now()
         WHERE id = $1 RETURNING ${PRODUCT_COLUMNS}`,
        [id, change.name ?? null, change.priceCents ?? null],
      );
      if (!rows[0]) throw new HttpError(404, 'not_found', `no product ${id}`);
      return { status: 200, body: toProduct(rows[0]), event: { type: 'product.updated', productId: id, client: ctx.client } };
    });
    if (!outcome.replayed) await this.o.cache.replace(productCacheKey(id), outcome.body);
    return outcome;
  }

  async createUser(input: { email: string; name: string }, ctx: WriteContext) {
    return this.write('user_insert', ctx, async (tx) => {
      const { rows } = await tx.query<{ id: string; email: string; name: string; created_at: Date }>(
        'INSERT INTO users (email, name, client) VALUES ($1, $2, $3) RETURNING id, email, name, created_at',
        [input.email.toLowerCase(), input.name, ctx.client],
      );
      const row = rows[0]!;
      const user = { id: row.id, email: row.email, name: row.name, createdAt: row.created_at.toISOString() };
      return { status: 201, body: user, event: { type: 'user.created', userId: row.id, client: ctx.client } };
    });
  }

  async createSession(userId: string, ctx: WriteContext) {
    const id = randomUUID();
    const outcome = await this.write('session_insert', ctx, async (tx) => {
      const { rows } = await tx.query<{ created_at: Date }>(
        `INSERT INTO sessions (id, user_id, client) SELECT $1::uuid, id, $3::text FROM users WHERE id = $2::bigint RETURNING created_at`,
        [id, userId, ctx.client],
      );
      if (!rows[0]) throw new HttpError(422, 'unprocessable', `no user ${userId}`);
      const session = { id, userId, createdAt: rows[0].created_at.toISOString() };
      return { status: 201, body: session, event: { type: 'session.created', sessionId: id, userId, client: ctx.client } };
    });
    if (!outcome.replayed) this.o.metrics.sessionsCreated.inc();
    return outcome;
  }

  async createOrder(input: { userId: string; items: Array<{ productId: string; quantity: number }> }, ctx: WriteContext): Promise<WriteOutcome<Order>> {
    const productIds = input.items.map((i) => i.productId);
    if (new Set(productIds).size !== productIds.length) throw new HttpError(400, 'bad_request', 'each productId may appear once per order');
    return this.write<Order>('order_insert', ctx, async (tx) => {
      const user = await tx.query('SELECT 1 FROM users WHERE id = $1', [input.userId]);
      if (!user.rowCount) throw new HttpError(422, 'unprocessable', `no user ${input.userId}`);
      const { rows: products } = await tx.query<{ id: string; price_cents: number; currency: string }>(
        'SELECT id, price_cents, currency FROM products WHERE id = ANY($1::bigint[])',
        [productIds],
      );
      const prices = new Map(products.map((p) => [p.id, p]));
      const missing = productIds.filter((p) => !prices.has(p));
      if (missing.length) throw new HttpError(422, 'unprocessable', `no product ${missing.join(', ')}`);
      const currencies = new Set(products.map((p) => p.currency));
      if (currencies.size > 1) throw new HttpError(422, 'unprocessable', 'all products of an order must share a currency');
      const total = input.items.reduce((sum, i) => sum + prices.get(i.productId)!.price_cents * i.quantity, 0);
      const { rows } = await tx.query<OrderRow>(
        `INSERT INTO orders (user_id, client, total_cents, currency) VALUES ($1, $2, $3, $4)
         RETURNING id, user_id, status, total_cents, currency, created_at, processed_at`,
        [input.userId, ctx.client, total, products[0]!.currency],
      );
      const order = toOrder(rows[0]!);
      await tx.query(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
         SELECT $1, p, q, c FROM unnest($2::bigint[], $3::int[], $4::int[]) AS t(p, q, c)`,
        [order.id, productIds, input.items.map((i) => i.quantity), input.items.map((i) => prices.get(i.productId)!.price_cents)],
      );
      return { status: 201, body: order, event: { type: 'order.created', orderId: order.id, client: ctx.client } };
    });
  }

  /** Eventually consistent read from the read path (the primary path once if that fails). */
  async getOrder(id: string, deadline: Deadline): Promise<{ order: Order; source: ReadPath }> {
    const { result, path } = await this.o.db.readWithFallback<OrderRow>(
      'order_by_id',
      'SELECT id, user_id, status, total_cents, currency, created_at, processed_at FROM orders WHERE id = $1',
      [id],
      { deadline },
    );
    if (!result.rows[0]) throw new HttpError(404, 'not_found', `no order ${id}`);
    return { order: toOrder(result.rows[0]), source: path };
  }

  async activeUsers(deadline: Deadline): Promise<number> {
    const { rows } = await this.o.db.query<{ n: string }>(
      'read',
      'active_users',
      `SELECT count(DISTINCT user_id) AS n FROM sessions WHERE last_seen_at > now() - interval '15 minutes'`,
      [],
      { deadline, attempts: 1 },
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * One write: the key's claim (or its stored outcome), the effect, its outbox event and the key's
   * outcome, all in one transaction; the relay is woken once it committed.
   */
  private async write<T>(operation: string, ctx: WriteContext, effect: (tx: Tx) => Promise<Effect<T>>): Promise<WriteOutcome<T>> {
    const { idempotency } = ctx;
    const outcome = await this.o.db.transaction(
      operation,
      async (tx): Promise<WriteOutcome<T>> => {
        if (idempotency) {
          const prior = await claimKey(tx, ctx.client, idempotency, this.o.inFlightRetryAfterSeconds).catch((error: unknown) => {
            if (error instanceof HttpError) this.o.metrics.idempotentRequests.inc({ outcome: error.status === 409 ? 'in_flight' : 'mismatch' });
            throw error;
          });
          if (prior) return { status: prior.status, body: prior.body as T, replayed: true };
        }
        const { status, body, event } = await effect(tx);
        await recordEvent(tx, event);
        if (idempotency) await storeOutcome(tx, ctx.client, idempotency, { status, body }, this.o.idempotencyKeyTtlSeconds);
        return { status, body, replayed: false };
      },
      { deadline: ctx.deadline },
    );
    if (idempotency) this.o.metrics.idempotentRequests.inc({ outcome: outcome.replayed ? 'replayed' : 'first' });
    if (!outcome.replayed) this.o.relay.wake();
    return outcome;
  }
}
