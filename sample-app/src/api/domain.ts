import { randomUUID } from 'node:crypto';
import type { Db } from '../shared/db.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Cache, ReadSource } from './cache.ts';
import { HttpError } from './errors.ts';
import type { EventPublisher } from './events.ts';

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

/** The sample domain: every write goes to the primary with its event in the outbox. */
export class Domain {
  constructor(
    private readonly db: Db,
    private readonly cache: Cache,
    private readonly events: EventPublisher,
    private readonly metrics: Metrics,
  ) {}

  /** Hot read: Redis first, the read endpoint on a miss. Returns the JSON body as served. */
  async getProduct(id: string): Promise<{ body: string; source: ReadSource }> {
    const result = await this.cache.getOrLoad('product', productCacheKey(id), async () => {
      const { rows } = await this.db.query<ProductRow>('read', 'product_by_id', `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`, [id]);
      return rows[0] ? toProduct(rows[0]) : undefined;
    });
    if (result.body === undefined) throw new HttpError(404, 'not_found', `no product ${id}`);
    return { body: result.body, source: result.source };
  }

  async updateProduct(id: string, change: { name?: string; priceCents?: number }, client: string): Promise<Product> {
    const { product, outboxId, event } = await this.db.transaction('product_update', async (tx) => {
      const { rows } = await tx.query<ProductRow>(
        `UPDATE products SET name = COALESCE($2, name), price_cents = COALESCE($3, price_cents), updated_at = now()
         WHERE id = $1 RETURNING ${PRODUCT_COLUMNS}`,
        [id, change.name ?? null, change.priceCents ?? null],
      );
      if (!rows[0]) throw new HttpError(404, 'not_found', `no product ${id}`);
      const product = toProduct(rows[0]);
      const event = { type: 'product.updated', productId: id, client };
      return { product, event, outboxId: await this.events.record(tx, event) };
    });
    await this.cache.replace(productCacheKey(id), product);
    await this.events.flush(outboxId, event);
    return product;
  }

  async createUser(input: { email: string; name: string }, client: string) {
    const { user, outboxId, event } = await this.db.transaction('user_insert', async (tx) => {
      const { rows } = await tx.query<{ id: string; email: string; name: string; created_at: Date }>(
        'INSERT INTO users (email, name, client) VALUES ($1, $2, $3) RETURNING id, email, name, created_at',
        [input.email.toLowerCase(), input.name, client],
      );
      const row = rows[0]!;
      const user = { id: row.id, email: row.email, name: row.name, createdAt: row.created_at.toISOString() };
      const event = { type: 'user.created', userId: row.id, client };
      return { user, event, outboxId: await this.events.record(tx, event) };
    });
    await this.events.flush(outboxId, event);
    return user;
  }

  async createSession(userId: string, client: string) {
    const id = randomUUID();
    const { session, outboxId, event } = await this.db.transaction('session_insert', async (tx) => {
      const { rows } = await tx.query<{ created_at: Date }>(
        `INSERT INTO sessions (id, user_id, client) SELECT $1::uuid, id, $3::text FROM users WHERE id = $2::bigint RETURNING created_at`,
        [id, userId, client],
      );
      if (!rows[0]) throw new HttpError(422, 'unprocessable', `no user ${userId}`);
      const session = { id, userId, createdAt: rows[0].created_at.toISOString() };
      const event = { type: 'session.created', sessionId: id, userId, client };
      return { session, event, outboxId: await this.events.record(tx, event) };
    });
    this.metrics.sessionsCreated.inc();
    await this.events.flush(outboxId, event);
    return session;
  }

  async createOrder(input: { userId: string; items: Array<{ productId: string; quantity: number }> }, client: string): Promise<Order> {
    const productIds = input.items.map((i) => i.productId);
    if (new Set(productIds).size !== productIds.length) throw new HttpError(400, 'bad_request', 'each productId may appear once per order');
    const { order, outboxId, event } = await this.db.transaction('order_insert', async (tx) => {
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
        [input.userId, client, total, products[0]!.currency],
      );
      const order = toOrder(rows[0]!);
      await tx.query(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
         SELECT $1, p, q, c FROM unnest($2::bigint[], $3::int[], $4::int[]) AS t(p, q, c)`,
        [order.id, productIds, input.items.map((i) => i.quantity), input.items.map((i) => prices.get(i.productId)!.price_cents)],
      );
      const event = { type: 'order.created', orderId: order.id, client };
      return { order, event, outboxId: await this.events.record(tx, event) };
    });
    await this.events.flush(outboxId, event);
    return order;
  }

  /** Eventually consistent read from the read endpoint. */
  async getOrder(id: string): Promise<Order> {
    const { rows } = await this.db.query<OrderRow>(
      'read',
      'order_by_id',
      'SELECT id, user_id, status, total_cents, currency, created_at, processed_at FROM orders WHERE id = $1',
      [id],
    );
    if (!rows[0]) throw new HttpError(404, 'not_found', `no order ${id}`);
    return toOrder(rows[0]);
  }

  async activeUsers(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      'read',
      'active_users',
      `SELECT count(DISTINCT user_id) AS n FROM sessions WHERE last_seen_at > now() - interval '15 minutes'`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
