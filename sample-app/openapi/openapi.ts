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
  '503': { description: 'A dependency is down', content: { 'application/json': { schema: error } } },
} as const;
const pathId = [{ name: 'id', in: 'path', required: true, schema: id }] as const;
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }) as const;

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'refstack sample-app',
    version: '1.0.0',
    description: `Products (cached reads), users, sessions and orders. Bodies up to ${thresholds.maxBodyBytes} bytes.`,
  },
  components: {
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
        responses: { '200': { description: 'The product', content: json('Product') }, '404': { description: 'No such product' }, ...errors },
      },
      put: {
        operationId: 'updateProduct',
        summary: 'Change a product on the primary and invalidate its cache entry',
        parameters: pathId,
        requestBody: { required: true, content: json('ProductUpdate') },
        responses: { '200': { description: 'The updated product', content: json('Product') }, '404': { description: 'No such product' }, ...errors },
      },
    },
    '/v1/users': {
      post: {
        operationId: 'createUser',
        requestBody: { required: true, content: json('NewUser') },
        responses: { '201': { description: 'Created', content: json('User') }, '409': { description: 'Email already registered' }, ...errors },
      },
    },
    '/v1/sessions': {
      post: {
        operationId: 'createSession',
        requestBody: { required: true, content: json('NewSession') },
        responses: { '201': { description: 'Created', content: json('Session') }, '422': { description: 'No such user' }, ...errors },
      },
    },
    '/v1/orders': {
      post: {
        operationId: 'createOrder',
        summary: 'Place an order (primary); the worker processes it asynchronously',
        requestBody: { required: true, content: json('NewOrder') },
        responses: { '201': { description: 'Created, pending', content: json('Order') }, '422': { description: 'No such user or product' }, ...errors },
      },
    },
    '/v1/orders/{id}': {
      get: {
        operationId: 'getOrder',
        summary: 'An order, read from the replica (eventually consistent)',
        parameters: pathId,
        responses: { '200': { description: 'The order', content: json('Order') }, '404': { description: 'No such order (yet)' }, ...errors },
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

export type OperationId = 'getProduct' | 'updateProduct' | 'createUser' | 'createSession' | 'createOrder' | 'getOrder';
