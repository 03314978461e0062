import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { openApiDocument, type OperationId } from '../../openapi/openapi.ts';
import type { Budgets } from '../shared/budgets.ts';
import type { ApiClient } from '../shared/config.ts';
import { Deadline } from '../shared/deadline.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import type { Domain, WriteContext, WriteOutcome } from './domain.ts';
import { HttpError, toHttpError } from './errors.ts';
import type { Faults } from './faults.ts';
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER, requestFingerprint } from './idempotency.ts';
import type { RateLimiter } from './rate-limit.ts';
import { parseLogQuery } from './search-query.ts';
import type { LogSearch } from './search.ts';
import { describeErrors, operation } from './validation.ts';

export interface AppDeps {
  domain: Domain;
  metrics: Metrics;
  log: Logger;
  clients: ApiClient[];
  rateLimiter: RateLimiter;
  maxBodyBytes: number;
  budgets: Budgets;
  /** /readyz: the per-dependency breakdown and whether the process should take traffic. */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, unknown> }>;
  /** Refreshes gauges that are cheap to read (pool sizes) right before a scrape. */
  beforeScrape?: () => void;
  /** True once SIGTERM arrived: every response says Connection: close. */
  draining: () => boolean;
  faults?: Faults;
  /** GET /v1/search/logs (the search tier; 503 + Retry-After while it is down). */
  search: LogSearch;
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    client?: ApiClient;
    log: Logger;
    /** When the answer is due: REQUEST_BUDGET_MS after arrival, less the answer reserve. */
    deadline: Deadline;
  }
}

type Handler = (req: Request, res: Response) => Promise<void>;

export function createApp(deps: AppDeps): express.Express {
  const { metrics, log } = deps;
  const byKey = new Map(deps.clients.map((c) => [c.key, c]));
  const { request } = deps.budgets;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Request id, structured access log and the HTTP metrics, for every request.
  app.use((req, res, next) => {
    const started = performance.now();
    req.deadline = Deadline.after(request.budgetMs, request.answerReserveMs);
    const incoming = req.get('x-request-id');
    req.id = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    req.log = log.child({ requestId: req.id });
    res.setHeader('X-Request-Id', req.id);
    if (deps.draining()) res.setHeader('Connection', 'close');
    metrics.httpInProgress.inc({ method: req.method });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      metrics.httpInProgress.dec({ method: req.method });
      const route = req.route ? String(req.route.path) : 'unmatched';
      const status = String(res.statusCode);
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequests.inc({ method: req.method, route, status });
      metrics.httpDuration.observe({ method: req.method, route, status }, seconds);
      if (res.statusCode >= 500) metrics.errors.inc({ kind: 'http_5xx' });
      else if (res.statusCode >= 400) metrics.errors.inc({ kind: 'http_4xx' });
      if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz') {
        req.log.info({ method: req.method, route, url: req.originalUrl.slice(0, 200), status: res.statusCode, ms: Math.round(seconds * 1000), client: req.client?.name }, 'request');
      }
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const { ready, checks } = await deps.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    deps.beforeScrape?.();
    res.setHeader('Content-Type', metrics.register.contentType);
    res.send(await metrics.register.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  const json = express.json({ limit: deps.maxBodyBytes, strict: true, type: 'application/json' });
  const authenticate: RequestHandler = async (req, res, next) => {
    const key = req.get('x-api-key');
    const client = key ? byKey.get(key) : undefined;
    if (!client) return next(new HttpError(401, 'unauthorized', 'missing or unknown X-API-Key'));
    req.client = client;
    const decision = await deps.rateLimiter.check(client.name, client.ratePerSecond);
    if (!decision.allowed) {
      return next(new HttpError(429, 'rate_limited', `client ${client.name} is over ${client.ratePerSecond} requests per second`, undefined, { 'Retry-After': String(decision.retryAfterSeconds) }));
    }
    next();
  };

  /** Auth, rate limit, (faults), body parsing and validation against the OpenAPI operation, then the handler. */
  const route = (operationId: OperationId, handler: Handler): RequestHandler[] => {
    const op = operation(operationId);
    const validate: RequestHandler = (req, _res, next) => {
      if (op.params && !op.params(req.params)) return next(new HttpError(400, 'bad_request', 'invalid path parameter', describeErrors('path', op.params.errors)));
      if (op.body) {
        if (!req.is('application/json')) return next(new HttpError(415, 'unsupported_media_type', 'the body must be application/json'));
        if (!op.body(req.body)) return next(new HttpError(400, 'validation_failed', 'the body does not match the schema', describeErrors('body', op.body.errors)));
      }
      deps.metrics.apiUsage.inc({ client: req.client!.name, route: String(req.route?.path ?? op.path) });
      next();
    };
    const run: RequestHandler = (req, res, next) => {
      handler(req, res).catch(next);
    };
    const chain: RequestHandler[] = [authenticate];
    if (deps.faults) chain.push(deps.faults.middleware);
    if (op.body) chain.push(json);
    return [...chain, validate, run];
  };

  /** The write's context: client, deadline and the Idempotency-Key with the request's fingerprint. */
  const writeContext = (req: Request): WriteContext => {
    const key = parseIdempotencyKey(req.get(IDEMPOTENCY_HEADER));
    return {
      client: req.client!.name,
      deadline: req.deadline,
      ...(key ? { idempotency: { key, fingerprint: requestFingerprint(req.method, req.path, req.body) } } : {}),
    };
  };
  const sendWrite = (res: Response, outcome: WriteOutcome<unknown>) => {
    if (outcome.replayed) res.setHeader(REPLAYED_HEADER, 'true');
    res.status(outcome.status).json(outcome.body);
  };

  app.get('/v1/products/:id', ...route('getProduct', async (req, res) => {
    const { body, source } = await deps.domain.getProduct(String(req.params.id), req.deadline);
    res.setHeader('X-Read-Source', source);
    res.type('application/json').send(body);
  }));
  app.put('/v1/products/:id', ...route('updateProduct', async (req, res) => {
    sendWrite(res, await deps.domain.updateProduct(String(req.params.id), req.body as { name?: string; priceCents?: number }, writeContext(req)));
  }));
  app.post('/v1/users', ...route('createUser', async (req, res) => {
    sendWrite(res, await deps.domain.createUser(req.body as { email: string; name: string }, writeContext(req)));
  }));
  app.post('/v1/sessions', ...route('createSession', async (req, res) => {
    sendWrite(res, await deps.domain.createSession((req.body as { userId: string }).userId, writeContext(req)));
  }));
  app.post('/v1/orders', ...route('createOrder', async (req, res) => {
    sendWrite(res, await deps.domain.createOrder(req.body as { userId: string; items: Array<{ productId: string; quantity: number }> }, writeContext(req)));
  }));
  app.get('/v1/orders/:id', ...route('getOrder', async (req, res) => {
    const { order, source } = await deps.domain.getOrder(String(req.params.id), req.deadline);
    res.setHeader('X-Read-Source', source);
    res.json(order);
  }));
  app.get('/v1/search/logs', ...route('searchLogs', async (req, res) => {
    res.json({ hits: await deps.search.search(parseLogQuery(req.query as Record<string, unknown>)) });
  }));
  if (deps.faults) app.put('/internal/faults', express.json({ limit: 1024 }), deps.faults.configure);

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path.slice(0, 100)}`)));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const http = toHttpError(error, { keyed: Boolean(req.get(IDEMPOTENCY_HEADER)), retryAfterSeconds: deps.budgets.db.retryAfterSeconds });
    if (http.status === 500) metrics.errors.inc({ kind: 'unhandled' });
    if (http.status >= 500) (req.log ?? log).error({ err: error }, 'request failed');
    if (res.headersSent) return void res.end();
    res.set(http.headers);
    res.status(http.status).json({ error: http.error, message: http.message, requestId: req.id, ...(http.details ? { details: http.details } : {}) });
  });
  return app;
}
