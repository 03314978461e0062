import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.ts';
import type { Domain, WriteContext } from '../../src/api/domain.ts';
import type { RateLimiter } from '../../src/api/rate-limit.ts';
import { deriveBudgets } from '../../src/shared/budgets.ts';
import { CommitOutcomeUnknownError } from '../../src/shared/transient.ts';
import { freshMetrics, quietLog } from '../support/quiet.ts';
import { LogSearch } from '../../src/api/search.ts';

/** The HTTP layer of the writes, with a scripted domain: what the client sees for each outcome. */
let next: (ctx: WriteContext) => Promise<unknown>;
const seen: WriteContext[] = [];
const domain = {
  createOrder: async (_input: unknown, ctx: WriteContext) => {
    seen.push(ctx);
    return next(ctx);
  },
} as unknown as Domain;

let server: Server;
let base = '';
beforeAll(async () => {
  const app = createApp({
    domain,
    metrics: freshMetrics(),
    log: quietLog,
    clients: [{ name: 'web', key: 'web-key-0123456789', ratePerSecond: 1000 }],
    rateLimiter: { check: async () => ({ allowed: true, retryAfterSeconds: 0, enforced: true }) } as unknown as RateLimiter,
    maxBodyBytes: 16 * 1024,
    budgets: deriveBudgets(),
    readiness: async () => ({ ready: true, checks: {} }),
    draining: () => false,
    search: new LogSearch(undefined, 500),
  });
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const order = { userId: '1', items: [{ productId: '2', quantity: 1 }] };
const post = (headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'web-key-0123456789', ...headers }, body: JSON.stringify(order) });

describe('writes over HTTP', () => {
  it('passes the key and the request fingerprint to the domain, and marks a replayed answer', async () => {
    next = async () => ({ status: 201, body: { id: '9' }, replayed: true });
    const r = await post({ 'idempotency-key': '"k-1"' });
    expect(r.status).toBe(201);
    expect(r.headers.get('idempotent-replayed')).toBe('true');
    expect(await r.json()).toEqual({ id: '9' });
    expect(seen.at(-1)?.idempotency).toMatchObject({ key: 'k-1', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(seen.at(-1)?.deadline.remaining()).toBeGreaterThan(0);
  });

  it('an unknown COMMIT outcome is a 503 with Retry-After only when the request carries a key', async () => {
    next = async () => {
      throw new CommitOutcomeUnknownError(new Error('Query read timeout'));
    };
    const keyed = await post({ 'idempotency-key': 'k-2' });
    expect(keyed.status).toBe(503);
    expect(keyed.headers.get('retry-after')).toBe('3');
    const blind = await post();
    expect(blind.status).toBe(503);
    expect(blind.headers.get('retry-after')).toBeNull();
    expect(await blind.json()).toMatchObject({ error: 'commit_outcome_unknown' });
  });

  it('a hung database is a 503 with Retry-After, never a 500; a malformed key is a 400 before any effect', async () => {
    next = async () => {
      throw new Error('Query read timeout');
    };
    const hung = await post();
    expect(hung.status).toBe(503);
    expect(hung.headers.get('retry-after')).toBe('3');
    const calls = seen.length;
    const bad = await post({ 'idempotency-key': 'x'.repeat(300) });
    expect(bad.status).toBe(400);
    expect(seen.length, 'the domain was not called').toBe(calls);
  });
});
