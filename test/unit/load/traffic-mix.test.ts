import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpLoadClient } from '../../../src/load/http.ts';
import { runOpenModel } from '../../../src/load/open-model.ts';
import { prepareMixState, sampleApiRequester } from '../../../src/load/sample-api.ts';
import { MIX_WEIGHTS, newMixState, observeResponse, parseApiKeys, pickOperation, planCall, SEEDED_PRODUCTS } from '../../../src/load/traffic-mix.ts';
import { openApiDocument } from '../../../sample-app/openapi/openapi.ts';

const keys = parseApiKeys('web:key-web-0001,mobile:key-mob-0001');

describe('traffic mix', () => {
  it('weights sum to 100 and every weighted operation is an operation of the OpenAPI document', () => {
    expect(Object.values(MIX_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(100);
    const documented = Object.values(openApiDocument.paths).flatMap((path) => Object.values(path).map((op) => (op as { operationId: string }).operationId));
    for (const operation of Object.keys(MIX_WEIGHTS)) expect(documented).toContain(operation);
    expect(pickOperation(0)).toBe('getProduct');
    expect(pickOperation(0.999999)).toBe('createUser');
  });

  it('plans calls whose path, method and body fit the documented routes, deterministically per index', () => {
    const state = newMixState('t1', ['1', '2']);
    state.orderIds.push('7');
    const routes = new Map(Object.entries(openApiDocument.paths).map(([path, ops]) => [path, Object.keys(ops).map((m) => m.toUpperCase())]));
    for (let i = 0; i < 500; i++) {
      const call = planCall(i, state, keys);
      expect(routes.get(call.route), call.route).toContain(call.method);
      const pattern = new RegExp(`^${call.route.replace('{id}', '[1-9][0-9]*')}$`);
      expect(call.path).toMatch(pattern);
      expect(call).toEqual(planCall(i, state, keys));
      expect(call.apiKey).toBe(keys[i % keys.length]);
      if (call.operation === 'getProduct') expect(Number(call.path.split('/').at(-1))).toBeLessThanOrEqual(SEEDED_PRODUCTS);
    }
  });

  it('creates a user when no user exists yet, reads products when no order exists yet, and keeps its memory bounded', () => {
    const empty = newMixState('t2', []);
    const operations = new Set(Array.from({ length: 300 }, (_, i) => planCall(i, empty, keys).operation));
    expect(operations.has('createSession') || operations.has('createOrder') || operations.has('getOrder')).toBe(false);
    const call = planCall(0, empty, keys);
    for (let n = 0; n < 1_000; n++) observeResponse(empty, { ...call, operation: 'createOrder' }, 201, { id: String(n + 1) });
    expect(empty.orderIds.length).toBe(200);
    expect(empty.orderIds.at(-1)).toBe('1000');
  });

  it('rejects API key lists it cannot use', () => {
    expect(() => parseApiKeys('')).toThrow(/API_KEYS is empty/);
    expect(() => parseApiKeys('web:')).toThrow(/must be name:key/);
    expect(parseApiKeys('just-a-key')).toEqual([{ name: 'client1', key: 'just-a-key' }]);
    expect(() => newMixState('Bad Tag', [])).toThrow(/runTag/);
  });
});

describe('sample API requester', () => {
  it('creates the user pool, then drives the mix through runOpenModel with each call keyed and bodied', async () => {
    const seen: Array<{ method: string; url: string; key: string | undefined; body: string }> = [];
    let nextId = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined, body });
        res.statusCode = req.method === 'POST' ? 201 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: String(++nextId) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createHttpLoadClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      const state = await prepareMixState(client, keys, 'unit', 4);
      expect(state.userIds).toEqual(['1', '2', '3', '4']);
      const result = await runOpenModel({ rps: 200, durationSeconds: 1, request: sampleApiRequester(client, keys, state) });
      expect(result).toMatchObject({ scheduled: 200, errors: 0 });
      const load = seen.slice(4);
      expect(new Set(load.map((r) => r.key))).toEqual(new Set(['key-web-0001', 'key-mob-0001']));
      expect(load.filter((r) => r.method === 'POST').every((r) => JSON.parse(r.body))).toBe(true);
      expect(load.some((r) => r.url.startsWith('/v1/orders/'))).toBe(true);
    } finally {
      await client.close();
      server.close();
    }
  });
});
