import { randomUUID } from 'node:crypto';
import { sleep } from '../core/poll.ts';
import type { ApiClient } from '../../services/sample-app/client.ts';

/** One answer the contract client got: when it started (ms since the cell began), what, how long, how it ended. */
export interface ContractSample {
  t: number;
  kind: 'getProduct' | 'getOrder' | 'createOrder';
  ms: number;
  /** 0: no answer within the client's timeout. */
  status: number;
  retryAfter: boolean;
  /** X-Read-Source of a read: cache, replica or primary. */
  source?: string;
  key?: string;
}

/** A well-behaved client waits at most this long on an answer: the request budget, nginx's one retry window and slack. */
const TIMEOUT_MS = 10_000;
const PRODUCT_READS_PER_SECOND = 4;
const ORDER_READS_PER_SECOND = 2;
const WRITES_PER_SECOND = 2;
/** Product reads cycle over this many ids, cached before the load starts ({@link warmCache}): a miss is the cache failing, not a cold key. */
export const HOT_PRODUCTS = 10;

/**
 * The fault matrix's fixed mixed load through nginx: cached product reads (4/s, over the hot products), order reads on the read
 * path (2/s) and order writes (2/s), each loop on its own schedule. Every write carries an Idempotency-Key
 * and is retried as the contract tells a client (sample-app/CONTRACT.md): after Retry-After on a 503/409,
 * after a second when no answer came or the proxy failed, always with the same key; a key is done at its
 * 201. Bounded by `maxSeconds` and stopped by `stop()`.
 */
export class ContractClient {
  readonly samples: ContractSample[] = [];
  /** Idempotency-Key → the order id its 201 carried. */
  readonly acknowledged = new Map<string, string>();
  private pendingKey: string | undefined;
  private stopping = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly userId: string,
    private readonly readableOrder: string,
    private readonly t0: number,
    private readonly maxSeconds = 600,
  ) {}

  start(): this {
    this.loops = [
      this.loop(PRODUCT_READS_PER_SECOND, (i) => this.send('getProduct', 'GET', `/v1/products/${(i % HOT_PRODUCTS) + 1}`)),
      this.loop(ORDER_READS_PER_SECOND, () => this.send('getOrder', 'GET', `/v1/orders/${this.readableOrder}`)),
      this.loop(WRITES_PER_SECOND, () => this.write()),
    ];
    return this;
  }

  /** Stops the loops, then settles the key a write was being retried with (60 s at most): every key ends with its 201 or an error. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    const until = performance.now() + 60_000;
    while (this.pendingKey) {
      if (performance.now() > until) throw new Error(`Idempotency-Key ${this.pendingKey}: no 201 within 60 s of the end of the load`);
      const waitMs = await this.write();
      if (this.pendingKey) await sleep(waitMs);
    }
  }

  /** One attempt of the current key; returns how long the client waits before its next attempt. */
  private async write(): Promise<number> {
    const key = (this.pendingKey ??= randomUUID());
    const r = await this.send('createOrder', 'POST', '/v1/orders', { userId: this.userId, items: [{ productId: '8', quantity: 1 }] }, key);
    if (r.status === 201) {
      this.acknowledged.set(key, (r.body as { id: string }).id);
      this.pendingKey = undefined;
      return 0;
    }
    if (r.status === 503 || r.status === 409) return Math.min(5, Number(r.headers?.get('retry-after')) || 1) * 1000;
    if (r.status === 0 || r.status >= 500) return 1_000;
    throw new Error(`POST /v1/orders answered ${r.status} ${JSON.stringify(r.body)}: the load itself is wrong`);
  }

  private async send(kind: ContractSample['kind'], method: string, path: string, body?: unknown, key?: string) {
    const started = performance.now();
    const r = await this.api.call(method, path, body, TIMEOUT_MS, key ? { 'idempotency-key': key } : {});
    const source = r.headers?.get('x-read-source');
    this.samples.push({ t: Math.round(started - this.t0), kind, ms: Math.round((performance.now() - started) * 10) / 10, status: r.status, retryAfter: r.headers?.has('retry-after') ?? false, ...(source ? { source } : {}), ...(key ? { key } : {}) });
    return r;
  }

  private async loop(perSecond: number, send: (i: number) => Promise<unknown>): Promise<void> {
    const end = performance.now() + this.maxSeconds * 1000;
    const gap = 1000 / perSecond;
    for (let i = 0; !this.stopping && performance.now() < end; i++) {
      const started = performance.now();
      const waitMs = await send(i);
      await sleep(Math.max(typeof waitMs === 'number' ? waitMs : 0, gap - (performance.now() - started)));
    }
  }
}

/** Reads every hot product until one answer comes from the cache (X-Read-Source: cache), at most 10 s each. */
export async function warmCache(api: ApiClient): Promise<void> {
  for (let id = 1; id <= HOT_PRODUCTS; id++) {
    const until = performance.now() + 10_000;
    while ((await api.call('GET', `/v1/products/${id}`)).headers?.get('x-read-source') !== 'cache') {
      if (performance.now() > until) throw new Error(`product ${id} not served from the cache within 10 s on a healthy stack`);
      await sleep(100);
    }
  }
}
