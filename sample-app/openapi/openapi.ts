import { DEFAULT_PROMISES } from '../src/shared/budgets.ts';
import { thresholds } from '../src/shared/thresholds.ts';

/**
 * The API contract. Served at /openapi.json; request bodies and path parameters are validated
 * against these very schemas (ajv), so the document cannot drift from what the server accepts.
 */
const id = { type: 'string', pattern: '^[1-9][0-9]{0,17}$', description: 'A positive integer id, as a string' } as const;
/** Printable text: no control characters (Postgres rejects NUL in text, and logs should stay one line). */
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }) as const;
const error = { $ref: '#/components/schemas/Error' } as const;
const errors = {
  '400': { description: 'Malformed request', content: { 'application/json': { schema: error } } },
  '401': { description: 'Missing or unknown API key', content: { 'application/json': { schema: error } } },
  '413': { description: 'Body larger than the limit', content: { 'application/json': { schema: error } } },
  '415': { description: 'Body is not application/json', content: { 'application/json': { schema: error } } },
  '429': { description: 'Client over its rate limit (Retry-After)', content: { 'application/json': { schema: error } } },
  '503': {
    description:
      'A dependency is unavailable. Retry-After is sent only when a retry is safe: reads, writes that certainly did not commit, and writes with an Idempotency-Key. A write whose COMMIT went unanswered and that has no key gets error "commit_outcome_unknown" without Retry-After. See sample-app/CONTRACT.md.',
    headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
    content: { 'application/json': { schema: error } },
  },
} as const;
/** Responses every write may add: the Idempotency-Key outcomes. */
const idempotencyErrors = {
  '409': {
    description: 'A request with this Idempotency-Key is still being processed (Retry-After); POST /v1/users also answers 409 for an e-mail already registered',
    headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
    content: { 'application/json': { schema: error } },
  },
  '422': { description: 'The Idempotency-Key was used with a different request, or a referenced record does not exist', content: { 'application/json': { schema: error } } },
} as const;
const idempotencyKey = { $ref: '#/components/parameters/IdempotencyKey' } as const;
const replayed = { 'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' } } as const;
const readSource = { 'X-Read-Source': { $ref: '#/components/headers/ReadSource' } } as const;
const pathId = [{ name: 'id', in: 'path', required: true, schema: id }] as const;
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }) as const;

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'refstack sample-app',
    version: '1.0.0',
    description: `Products (cached reads), users, sessions and orders. Bodies up to ${thresholds.maxBodyBytes} bytes. Every answer comes within the request budget (REQUEST_BUDGET_MS, ${DEFAULT_PROMISES.requestBudgetMs} ms by default). What clients get while a dependency fails: sample-app/CONTRACT.md.`,
  },
  components: {
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: `Makes a write safe to retry (draft-ietf-httpapi-idempotency-key-header). An sf-string ("…") or a bare token, 1..255 printable ASCII characters, unique per API client and request. Stored with the write's effect in one transaction and remembered for ${thresholds.idempotencyKeyTtlSeconds / 3600} h: a retry with the same request gets the stored status and body (Idempotent-Replayed: true); with a different request 422; while the first is still running 409 + Retry-After. Only committed writes are remembered.`,
        schema: { type: 'string', minLength: 1, maxLength: 257 },
      },
    },
    headers: {
      RetryAfter: { description: 'Seconds to wait before retrying (sent only when the retry is safe)', schema: { type: 'integer', minimum: 1 } },
      IdempotentReplayed: { description: '"true" when the answer is the stored outcome of an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
      ReadSource: {
        description: 'Which path answered: Redis (cache), the read endpoint (replica), or the write endpoint after the read path failed (primary, once)',
        schema: { type: 'string', enum: ['cache', 'replica', 'primary'] },
      },
    },
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error', 'message', 'requestId'],
        properties: { error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } },
      },
      Product: {
        type: 'object',
        required: ['id', 'sku', 'name', 'priceCents', 'currency', 'updatedAt'],
        properties: { id, sku: { type: 'string' }, name: { type: 'string' }, priceCents: { type: 'integer' }, currency: { type: 'string' }, updatedAt: { type: 'string', format: 'date-time' } },
      },
      ProductUpdate: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { name: text(200), priceCents: { type: 'integer', minimum: 0, maximum: 100_000_000 } },
      },
      NewUser: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'name'],
        properties: { email: { type: 'string', format: 'email', maxLength: 254 }, name: text(200) },
      },
      User: {
        type: 'object',
        required: ['id', 'email', 'name', 'createdAt'],
        properties: { id, email: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
      },
      NewSession: { type: 'object', additionalProperties: false, required: ['userId'], properties: { userId: id } },
      Session: {
        type: 'object',
        required: ['id', 'userId', 'createdAt'],
        properties: { id: { type: 'string', format: 'uuid' }, userId: id, createdAt: { type: 'string', format: 'date-time' } },
      },
      NewOrder: {
        type: 'object',
        additionalProperties: false,
        required: ['userId', 'items'],
        properties: {
          userId: id,
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 20,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['productId', 'quantity'],
              properties: { productId: id, quantity: { type: 'integer', minimum: 1, maximum: 1000 } },
            },
          },
        },
      },
      LogHits: {
        type: 'object',
        required: ['hits'],
        properties: {
          hits: {
            type: 'array',
            items: {
              type: 'object',
              required: ['timestamp', 'service', 'level', 'message', 'requestId', 'traceId', 'spanId'],
              properties: {
                timestamp: { type: 'string', format: 'date-time' },
                service: { type: 'string', nullable: true },
                level: { type: 'string', nullable: true },
                message: { type: 'string', nullable: true },
                requestId: { type: 'string', nullable: true },
                traceId: { type: 'string', nullable: true, description: 'W3C trace id (32 hex): the trace in Jaeger' },
                spanId: { type: 'string', nullable: true },
              },
            },
          },
        },
      },
      Order: {
        type: 'object',
        required: ['id', 'userId', 'status', 'totalCents', 'currency', 'createdAt'],
        properties: {
          id,
          userId: id,
          status: { type: 'string', enum: ['pending', 'processed'] },
          totalCents: { type: 'integer' },
          currency: { type: 'string' },
          createdAt: { type: 'string', format: 'date-time' },
          processedAt: { type: 'string', format: 'date-time', nullable: true },
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/v1/products/{id}': {
      get: {
        operationId: 'getProduct',
        summary: 'A product (Redis cache-aside, read replica on a miss)',
        parameters: pathId,
        responses: { '200': { description: 'The product', headers: readSource, content: json('Product') }, '404': { description: 'No such product' }, ...errors },
      },
      put: {
        operationId: 'updateProduct',
        summary: 'Change a product on the primary and invalidate its cache entry',
        parameters: [...pathId, idempotencyKey],
        requestBody: { required: true, content: json('ProductUpdate') },
        responses: { '200': { description: 'The updated product', headers: replayed, content: json('Product') }, '404': { description: 'No such product' }, ...idempotencyErrors, ...errors },
      },
    },
    '/v1/users': {
      post: {
        operationId: 'createUser',
        parameters: [idempotencyKey],
        requestBody: { required: true, content: json('NewUser') },
        responses: { '201': { description: 'Created', headers: replayed, content: json('User') }, ...idempotencyErrors, ...errors },
      },
    },
    '/v1/sessions': {
      post: {
        operationId: 'createSession',
        parameters: [idempotencyKey],
        requestBody: { required: true, content: json('NewSession') },
        responses: { '201': { description: 'Created', headers: replayed, content: json('Session') }, ...idempotencyErrors, ...errors },
      },
    },
    '/v1/orders': {
      post: {
        operationId: 'createOrder',
        summary: 'Place an order (primary); its event is committed with it and the worker processes it asynchronously',
        parameters: [idempotencyKey],
        requestBody: { required: true, content: json('NewOrder') },
        responses: { '201': { description: 'Created, pending', headers: replayed, content: json('Order') }, ...idempotencyErrors, ...errors },
      },
    },
    '/v1/orders/{id}': {
      get: {
        operationId: 'getOrder',
        summary: 'An order, read from the replica (eventually consistent); the primary once if the replica fails',
        parameters: pathId,
        responses: { '200': { description: 'The order', headers: readSource, content: json('Order') }, '404': { description: 'No such order (yet)' }, ...errors },
      },
    },
    '/v1/search/logs': {
      get: {
        operationId: 'searchLogs',
        summary: "The stack's log lines (the plan's \"Elasticsearch (Search)\"), newest first: by request id (X-Request-Id), trace id or text. Reads the search tier only; while it is down this endpoint answers 503 + Retry-After and no other endpoint is affected",
        parameters: [
          { name: 'requestId', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } },
          { name: 'traceId', in: 'query', required: false, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
          { name: 'q', in: 'query', required: false, description: 'words that must all be in the message', schema: text(200) },
          { name: 'service', in: 'query', required: false, schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } },
          { name: 'size', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        ],
        responses: {
          '200': { description: 'Matching log lines (none: an empty list)', content: json('LogHits') },
          '400': errors['400'],
          '401': errors['401'],
          '429': errors['429'],
          '503': { description: 'The search tier is unavailable or not configured: error "search_unavailable" with Retry-After, or "search_not_configured"', headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } }, content: { 'application/json': { schema: error } } },
        },
      },
    },
    '/healthz': { get: { operationId: 'healthz', security: [], responses: { '200': { description: 'The process is alive' } } } },
    '/readyz': {
      get: {
        operationId: 'readyz',
        security: [],
        responses: { '200': { description: 'Ready, per-dependency breakdown' }, '503': { description: 'The write path is down, or shutting down' } },
      },
    },
    '/metrics': { get: { operationId: 'metrics', security: [], responses: { '200': { description: 'Prometheus text format' } } } },
    '/openapi.json': { get: { operationId: 'openapi', security: [], responses: { '200': { description: 'This document' } } } },
  },
} as const;

export type OperationId = 'getProduct' | 'updateProduct' | 'createUser' | 'createSession' | 'createOrder' | 'getOrder' | 'searchLogs';
