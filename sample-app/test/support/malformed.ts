/** One malformed request and the 4xx it must get. Shared by the unit and the integration suites. */
export interface MalformedCase {
  name: string;
  method: string;
  path: string;
  /** A raw string is sent as is; anything else as JSON. */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Omit the API key. */
  noKey?: boolean;
  expect: number;
}

const json = { 'content-type': 'application/json' };
const big = (bytes: number) => JSON.stringify({ email: 'big@example.test', name: 'x'.repeat(bytes) });

export function malformedCases(ids: { userId: string; productId: string }): MalformedCase[] {
  const order = (items: unknown, userId: unknown = ids.userId) => JSON.stringify({ userId, items });
  return [
    { name: 'no API key', method: 'GET', path: `/v1/products/${ids.productId}`, noKey: true, expect: 401 },
    { name: 'unknown API key', method: 'GET', path: `/v1/products/${ids.productId}`, noKey: true, headers: { 'x-api-key': 'not-a-key-at-all' }, expect: 401 },
    { name: 'id not a number', method: 'GET', path: '/v1/products/abc', expect: 400 },
    { name: 'id zero', method: 'GET', path: '/v1/products/0', expect: 400 },
    { name: 'id negative', method: 'GET', path: '/v1/products/-1', expect: 400 },
    { name: 'id decimal', method: 'GET', path: '/v1/products/1.5', expect: 400 },
    { name: 'id beyond bigint', method: 'GET', path: '/v1/products/99999999999999999999999', expect: 400 },
    { name: 'id with SQL', method: 'GET', path: `/v1/products/${encodeURIComponent("1' OR '1'='1")}`, expect: 400 },
    { name: 'id broken percent-encoding', method: 'GET', path: '/v1/products/%E0%A4%A', expect: 400 },
    { name: 'id with NUL', method: 'GET', path: '/v1/orders/1%00', expect: 400 },
    { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', expect: 404 },
    { name: 'wrong method', method: 'DELETE', path: `/v1/products/${ids.productId}`, expect: 404 },
    { name: 'JSON syntax error', method: 'POST', path: '/v1/users', body: '{"email": "a@b.test", "name": ', headers: json, expect: 400 },
    { name: 'JSON null', method: 'POST', path: '/v1/users', body: 'null', headers: json, expect: 400 },
    { name: 'JSON array instead of object', method: 'POST', path: '/v1/users', body: '[1,2,3]', headers: json, expect: 400 },
    { name: 'empty body', method: 'POST', path: '/v1/users', body: '', headers: json, expect: 400 },
    { name: 'not JSON content type', method: 'POST', path: '/v1/users', body: 'email=a@b.test', headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 415 },
    { name: 'no content type', method: 'POST', path: '/v1/users', body: '{"email":"a@b.test","name":"A"}', expect: 415 },
    { name: 'missing field', method: 'POST', path: '/v1/users', body: '{"email":"a@b.test"}', headers: json, expect: 400 },
    { name: 'unknown field', method: 'POST', path: '/v1/users', body: '{"email":"a@b.test","name":"A","admin":true}', headers: json, expect: 400 },
    { name: 'wrong type', method: 'POST', path: '/v1/users', body: '{"email":42,"name":"A"}', headers: json, expect: 400 },
    { name: 'bad email', method: 'POST', path: '/v1/users', body: '{"email":"not-an-email","name":"A"}', headers: json, expect: 400 },
    { name: 'NUL in a string', method: 'POST', path: '/v1/users', body: '{"email":"nul@b.test","name":"A\\u0000B"}', headers: json, expect: 400 },
    { name: 'string too long', method: 'POST', path: '/v1/users', body: big(500), headers: json, expect: 400 },
    { name: 'oversize body', method: 'POST', path: '/v1/users', body: big(64 * 1024), headers: json, expect: 413 },
    { name: 'invalid UTF-8', method: 'POST', path: '/v1/users', body: Buffer.concat([Buffer.from('{"email":"u'), Buffer.from([0xff, 0xfe]), Buffer.from('@b.test","name":"U"}')]), headers: json, expect: 400 },
    { name: 'unsupported charset', method: 'POST', path: '/v1/users', body: '{"email":"c@b.test","name":"A"}', headers: { 'content-type': 'application/json; charset=klingon' }, expect: 415 },
    { name: 'gzip that is not gzip', method: 'POST', path: '/v1/users', body: 'definitely not gzip', headers: { ...json, 'content-encoding': 'gzip' }, expect: 400 },
    { name: 'unknown content encoding', method: 'POST', path: '/v1/users', body: '{}', headers: { ...json, 'content-encoding': 'zstd-9000' }, expect: 415 },
    { name: 'session for an unknown user', method: 'POST', path: '/v1/sessions', body: '{"userId":"999999999"}', headers: json, expect: 422 },
    { name: 'session userId as number', method: 'POST', path: '/v1/sessions', body: `{"userId":${ids.userId}}`, headers: json, expect: 400 },
    { name: 'order without items', method: 'POST', path: '/v1/orders', body: order([]), headers: json, expect: 400 },
    { name: 'order quantity zero', method: 'POST', path: '/v1/orders', body: order([{ productId: ids.productId, quantity: 0 }]), headers: json, expect: 400 },
    { name: 'order quantity huge', method: 'POST', path: '/v1/orders', body: order([{ productId: ids.productId, quantity: 1e12 }]), headers: json, expect: 400 },
    { name: 'order quantity fractional', method: 'POST', path: '/v1/orders', body: order([{ productId: ids.productId, quantity: 1.5 }]), headers: json, expect: 400 },
    { name: 'order with 21 items', method: 'POST', path: '/v1/orders', body: order(Array.from({ length: 21 }, (_, i) => ({ productId: String(i + 1), quantity: 1 }))), headers: json, expect: 400 },
    { name: 'order duplicate product', method: 'POST', path: '/v1/orders', body: order([{ productId: ids.productId, quantity: 1 }, { productId: ids.productId, quantity: 2 }]), headers: json, expect: 400 },
    { name: 'order unknown product', method: 'POST', path: '/v1/orders', body: order([{ productId: '999999999', quantity: 1 }]), headers: json, expect: 422 },
    { name: 'order unknown user', method: 'POST', path: '/v1/orders', body: order([{ productId: ids.productId, quantity: 1 }], '999999999'), headers: json, expect: 422 },
    { name: 'order deeply nested junk', method: 'POST', path: '/v1/orders', body: `{"userId":"1","items":${'['.repeat(500)}${']'.repeat(500)}}`, headers: json, expect: 400 },
    { name: 'product update empty', method: 'PUT', path: `/v1/products/${ids.productId}`, body: '{}', headers: json, expect: 400 },
    { name: 'product update negative price', method: 'PUT', path: `/v1/products/${ids.productId}`, body: '{"priceCents":-5}', headers: json, expect: 400 },
    { name: 'product update unknown product', method: 'PUT', path: '/v1/products/999999999', body: '{"priceCents":5}', headers: json, expect: 404 },
    { name: 'Idempotency-Key longer than 255', method: 'POST', path: '/v1/sessions', body: `{"userId":"${ids.userId}"}`, headers: { ...json, 'idempotency-key': 'k'.repeat(256) }, expect: 400 },
    { name: 'Idempotency-Key with an unterminated quote', method: 'POST', path: '/v1/sessions', body: `{"userId":"${ids.userId}"}`, headers: { ...json, 'idempotency-key': '"abc' }, expect: 400 },
    { name: 'prototype pollution attempt', method: 'PUT', path: `/v1/products/${ids.productId}`, body: '{"__proto__":{"admin":true}}', headers: json, expect: 400 },
  ];
}
