import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../openapi/openapi.ts';

type Op = { operationId: string; parameters?: Array<{ $ref?: string; in?: string }>; responses: Record<string, { headers?: Record<string, { $ref: string }> }> };
const operations = Object.entries(openApiDocument.paths).flatMap(([path, item]) => Object.entries(item as Record<string, Op>).map(([method, op]) => ({ path, method, op })));

describe('OpenAPI: the write contract', () => {
  it('every write accepts Idempotency-Key and documents replay (Idempotent-Replayed), 409 (in flight) and 422 (key reused)', () => {
    const writes = operations.filter((o) => o.method === 'post' || o.method === 'put');
    expect(writes.map((w) => w.op.operationId).sort()).toEqual(['createOrder', 'createSession', 'createUser', 'updateProduct']);
    for (const { op } of writes) {
      expect(op.parameters, op.operationId).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
      const success = op.responses['201'] ?? op.responses['200'];
      expect(success?.headers?.['Idempotent-Replayed'], op.operationId).toBeDefined();
      expect(Object.keys(op.responses), op.operationId).toEqual(expect.arrayContaining(['409', '422', '503']));
    }
  });

  it('every $ref resolves inside the document', () => {
    const refs = [...JSON.stringify(openApiDocument).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      const target = ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], openApiDocument);
      expect(target, ref).toBeDefined();
    }
  });
});
