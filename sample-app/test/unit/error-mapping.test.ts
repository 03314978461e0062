import { describe, expect, it } from 'vitest';
import { HttpError, toHttpError } from '../../src/api/errors.ts';
import { BreakerOpenError } from '../../src/shared/breaker.ts';
import { CommitOutcomeUnknownError } from '../../src/shared/transient.ts';

const ctx = { keyed: false, retryAfterSeconds: 3 };
const coded = (code: string) => Object.assign(new Error(code), { code });

describe('error mapping: bad input is 4xx, a dependency fault 503 (never 500), Retry-After only when a retry is safe', () => {
  it('input errors from the database are 4xx', () => {
    expect(toHttpError(coded('23505'), ctx).status).toBe(409);
    expect(toHttpError(coded('23503'), ctx).status).toBe(422);
    expect(toHttpError(coded('22021'), ctx).status).toBe(400);
    expect(toHttpError(Object.assign(new Error('too big'), { status: 413, type: 'entity.too.large' }), ctx).status).toBe(413);
  });

  it('every transient dependency error is 503 with Retry-After from the budget', () => {
    for (const error of [coded('ECONNREFUSED'), coded('57P01'), coded('25006'), new Error('Query read timeout'), new BreakerOpenError('redis'), coded('57014')]) {
      const http = toHttpError(error, ctx);
      expect(http.status, String(error)).toBe(503);
      expect(http.headers['Retry-After']).toBe('3');
    }
  });

  it('an unknown COMMIT outcome: Retry-After only with an Idempotency-Key', () => {
    const ambiguous = new CommitOutcomeUnknownError(new Error('Query read timeout'));
    const keyed = toHttpError(ambiguous, { ...ctx, keyed: true });
    expect(keyed).toMatchObject({ status: 503, error: 'commit_outcome_unknown' });
    expect(keyed.headers['Retry-After']).toBe('3');
    const unkeyed = toHttpError(ambiguous, ctx);
    expect(unkeyed).toMatchObject({ status: 503, error: 'commit_outcome_unknown' });
    expect(unkeyed.headers['Retry-After'], 'retrying blindly could place it twice').toBeUndefined();
  });

  it('only an error nobody knows is a 500; HttpErrors pass through', () => {
    expect(toHttpError(new Error('bug'), ctx).status).toBe(500);
    expect(toHttpError(new TypeError('x'), ctx).status).toBe(500);
    const conflict = new HttpError(409, 'idempotency_key_in_use', 'busy', undefined, { 'Retry-After': '5' });
    expect(toHttpError(conflict, ctx)).toBe(conflict);
  });
});
