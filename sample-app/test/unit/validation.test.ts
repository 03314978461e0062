import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../src/api/errors.ts';
import { operation } from '../../src/api/validation.ts';
import { BreakerOpenError } from '../../src/shared/breaker.ts';
import { parseEvent, PoisonMessageError } from '../../src/worker/process.ts';

describe('request validation against the OpenAPI document', () => {
  const order = operation('createOrder');
  const user = operation('createUser');
  const product = operation('getProduct');

  it('accepts a well-formed order and rejects unknown fields, wrong types and out-of-range values', () => {
    expect(order.body!({ userId: '1', items: [{ productId: '2', quantity: 3 }] })).toBe(true);
    expect(order.body!({ userId: '1', items: [{ productId: '2', quantity: 3 }], coupon: 'FREE' })).toBe(false);
    expect(order.body!({ userId: 1, items: [{ productId: '2', quantity: 3 }] })).toBe(false);
    expect(order.body!({ userId: '1', items: [{ productId: '2', quantity: 0 }] })).toBe(false);
    expect(order.body!({ userId: '1', items: [] })).toBe(false);
  });

  it('rejects control characters in text and malformed e-mails', () => {
    expect(user.body!({ email: 'a@b.test', name: 'Ann' })).toBe(true);
    expect(user.body!({ email: 'a@b.test', name: 'A\u0000nn' })).toBe(false);
    expect(user.body!({ email: 'a@b.test', name: 'line\nbreak' })).toBe(false);
    expect(user.body!({ email: 'nope', name: 'Ann' })).toBe(false);
  });

  it('path ids are positive integers that fit a bigint', () => {
    for (const ok of ['1', '42', '999999999999999999']) expect(product.params!({ id: ok }), ok).toBe(true);
    for (const bad of ['0', '-1', '01', '1.5', 'abc', '1 OR 1=1', '9999999999999999999', '']) expect(product.params!({ id: bad }), bad).toBe(false);
  });
});

describe('error mapping', () => {
  it('database errors caused by input are 4xx, dependency failures 503, the rest 500', () => {
    expect(toHttpError(Object.assign(new Error('dup'), { code: '23505' })).status).toBe(409);
    expect(toHttpError(Object.assign(new Error('fk'), { code: '23503' })).status).toBe(422);
    expect(toHttpError(Object.assign(new Error('nul'), { code: '22021' })).status).toBe(400);
    expect(toHttpError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).status).toBe(503);
    expect(toHttpError(Object.assign(new Error('admin shutdown'), { code: '57P01' })).status).toBe(503);
    expect(toHttpError(new BreakerOpenError('redis')).status).toBe(503);
    expect(toHttpError(Object.assign(new Error('too big'), { status: 413, type: 'entity.too.large' })).status).toBe(413);
    expect(toHttpError(new Error('bug')).status).toBe(500);
  });
});

describe('worker message parsing', () => {
  it('a typed JSON event parses; anything else is poison (dead-lettered at once)', () => {
    expect(parseEvent(Buffer.from('{"type":"order.created","orderId":"7"}'))).toMatchObject({ orderId: '7' });
    expect(parseEvent(Buffer.from('{"type":"user.created","userId":"1"}')).type).toBe('user.created');
    for (const bad of ['not json', '{}', '[]', '{"type":"order.created"}', '{"type":"order.created","orderId":"-3"}']) {
      expect(() => parseEvent(Buffer.from(bad)), bad).toThrow(PoisonMessageError);
    }
  });
});
