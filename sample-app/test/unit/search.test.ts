import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.ts';
import type { Domain } from '../../src/api/domain.ts';
import type { RateLimiter } from '../../src/api/rate-limit.ts';
import { LogSearch, SEARCH_RETRY_AFTER_SECONDS } from '../../src/api/search.ts';
import { deriveBudgets } from '../../src/shared/budgets.ts';
import { freshMetrics, quietLog } from '../support/quiet.ts';

const KEY = 'web-key-0123456789';
const servers: Server[] = [];
const listen = async (server: Server) => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

async function api(searchUrl: string | undefined): Promise<string> {
  const app = createApp({
    domain: {} as Domain,
    metrics: freshMetrics(),
    log: quietLog,
    clients: [{ name: 'web', key: KEY, ratePerSecond: 1000 }],
    rateLimiter: { check: async () => ({ allowed: true, retryAfterSeconds: 0, enforced: true }) } as unknown as RateLimiter,
    maxBodyBytes: 16 * 1024,
    budgets: deriveBudgets(),
    readiness: async () => ({ ready: true, checks: {} }),
    draining: () => false,
    search: new LogSearch(searchUrl, 500),
  });
  return listen(createServer(app));
}

const get = (base: string, query: string) => fetch(`${base}/v1/search/logs?${query}`, { headers: { 'X-API-Key': KEY } });

describe('GET /v1/search/logs: the search tier through the OpenSearch client, degraded to 503 + Retry-After', () => {
  let seenBody: unknown;
  let tier = '';
  let hung = '';
  beforeAll(async () => {
    tier = await listen(
      createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c));
        req.on('end', () => {
          seenBody = JSON.parse(raw || '{}');
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ hits: { hits: [{ _source: { '@timestamp': '2026-01-01T00:00:00.000Z', message: 'request', service: { name: 'sample-api' }, log: { level: 'info' }, http: { request: { id: 'r-1' } }, trace: { id: 'a'.repeat(32) }, span: { id: 'b'.repeat(16) } } }] } }));
        });
      }),
    );
    hung = await listen(createServer(() => undefined));
  });

  it('finds a request id\'s lines with a term filter on http.request.id', async () => {
    const r = await get(await api(tier), 'requestId=r-1');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ hits: [{ timestamp: '2026-01-01T00:00:00.000Z', service: 'sample-api', level: 'info', message: 'request', requestId: 'r-1', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) }] });
    expect(JSON.stringify(seenBody)).toContain('{"term":{"http.request.id":"r-1"}}');
  });

  it('answers 503 + Retry-After at once when the search tier refuses connections, and within the timeout when it hangs', async () => {
    for (const url of ['http://127.0.0.1:1', hung]) {
      const t0 = performance.now();
      const r = await get(await api(url), 'q=order');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe(String(SEARCH_RETRY_AFTER_SECONDS));
      expect((await r.json()) as { error: string }).toMatchObject({ error: 'search_unavailable' });
      expect(performance.now() - t0).toBeLessThan(2_000);
    }
  });

  it('rejects a search without criteria or with a malformed one (400), and says when no search tier is configured', async () => {
    const base = await api(undefined);
    expect((await get(base, '')).status).toBe(400);
    expect((await get(base, 'traceId=xyz')).status).toBe(400);
    const r = await get(base, 'requestId=r-1');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: string }).error).toBe('search_not_configured');
  });
});
