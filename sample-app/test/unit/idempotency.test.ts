import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/api/errors.ts';
import { canonicalJson, claimKey, MAX_KEY_LENGTH, parseIdempotencyKey, requestFingerprint, storeOutcome } from '../../src/api/idempotency.ts';
import type { Tx } from '../../src/shared/db.ts';

/** A Tx that answers the idempotency statements from an in-memory table and a set of held locks. */
function fakeTx(state: { locked: Set<string>; rows: Map<string, { fingerprint: string; status: number; body: unknown }> }): Tx & { statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      statements.push(text.split(/\s+/).slice(0, 3).join(' '));
      const result = (rows: unknown[]) => ({ rows, rowCount: rows.length }) as unknown as pg.QueryResult<R>;
      if (text.includes('pg_try_advisory_xact_lock')) return result([{ locked: !state.locked.has(String(values[0])) }]);
      if (text.startsWith('SELECT fingerprint')) {
        const row = state.rows.get(`${String(values[0])}/${String(values[1])}`);
        return result(row ? [row] : []);
      }
      if (text.trimStart().startsWith('INSERT INTO idempotency_keys')) {
        state.rows.set(`${String(values[0])}/${String(values[1])}`, { fingerprint: String(values[2]), status: Number(values[3]), body: JSON.parse(String(values[4])) });
        return result([]);
      }
      throw new Error(`unexpected statement ${text}`);
    },
  };
}

describe('Idempotency-Key', () => {
  it('accepts the draft\'s sf-string form and Stripe\'s bare token; rejects empty, long or non-ASCII keys', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('order-42')).toBe('order-42');
    expect(parseIdempotencyKey('"a \\"quoted\\" key"')).toBe('a "quoted" key');
    for (const bad of ['', '""', '"unterminated', 'x'.repeat(MAX_KEY_LENGTH + 1), 'clé']) {
      expect(() => parseIdempotencyKey(bad), bad).toThrow(HttpError);
    }
  });

  it('the fingerprint ignores key order but not values, method or path', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
    const base = requestFingerprint('POST', '/v1/orders', { userId: '1', items: [{ productId: '2', quantity: 1 }] });
    expect(requestFingerprint('POST', '/v1/orders', { items: [{ quantity: 1, productId: '2' }], userId: '1' })).toBe(base);
    expect(requestFingerprint('POST', '/v1/orders', { userId: '1', items: [{ productId: '2', quantity: 2 }] })).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/users', { userId: '1', items: [{ productId: '2', quantity: 1 }] })).not.toBe(base);
  });

  it('first use claims the key; a retry with the same request gets the stored outcome; another request 422; in flight 409 + Retry-After', async () => {
    const state = { locked: new Set<string>(), rows: new Map() };
    const request = { key: 'k1', fingerprint: 'f1' };
    const tx = fakeTx(state);
    expect(await claimKey(tx, 'web', request, 5)).toBeUndefined();
    await storeOutcome(tx, 'web', request, { status: 201, body: { id: '7' } }, 86_400);

    expect(await claimKey(fakeTx(state), 'web', request, 5)).toEqual({ status: 201, body: { id: '7' } });
    expect(await claimKey(fakeTx(state), 'mobile', request, 5), 'keys are per client').toBeUndefined();
    await expect(claimKey(fakeTx(state), 'web', { key: 'k1', fingerprint: 'other' }, 5)).rejects.toMatchObject({ status: 422, error: 'idempotency_key_reused' });

    state.locked.add('idempotency:web:k2');
    const inFlight = await claimKey(fakeTx(state), 'web', { key: 'k2', fingerprint: 'f2' }, 5).catch((error: unknown) => error as HttpError);
    expect(inFlight).toMatchObject({ status: 409, error: 'idempotency_key_in_use' });
    expect((inFlight as HttpError).headers['Retry-After']).toBe('5');
  });
});
