import { describe, expect, it } from 'vitest';
import { operation } from '../../src/api/validation.ts';
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

describe('worker message parsing', () => {
  it('a typed JSON event parses; anything else is poison (dead-lettered at once)', () => {
    expect(parseEvent(Buffer.from('{"type":"order.created","orderId":"7"}'))).toMatchObject({ orderId: '7' });
    expect(parseEvent(Buffer.from('{"type":"user.created","userId":"1"}')).type).toBe('user.created');
    for (const bad of ['not json', '{}', '[]', '{"type":"order.created"}', '{"type":"order.created","orderId":"-3"}']) {
      expect(() => parseEvent(Buffer.from(bad)), bad).toThrow(PoisonMessageError);
    }
  });
});
