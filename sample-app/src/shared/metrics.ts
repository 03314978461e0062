import client from 'prom-client';

/**
 * The metric names the plan lists (see sample-app/METRICS.md); the monitoring suites' alert rules
 * query them by these exact names. One registry per process, with a `service` default label.
 */
export function createMetrics(service: 'sample-api' | 'sample-worker') {
  const register = new client.Registry();
  register.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register });
  const registers = [register];

  return {
    register,
    httpRequests: new client.Counter({
      name: 'http_requests_total',
      help: 'Finished HTTP requests',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    httpDuration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration from arrival to response finish',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10],
      registers,
    }),
    httpInProgress: new client.Gauge({
      name: 'http_requests_in_progress',
      help: 'HTTP requests being served',
      labelNames: ['method'] as const,
      registers,
    }),
    errors: new client.Counter({
      name: 'errors_total',
      help: 'Errors by kind: http_5xx, http_4xx, dependency, unhandled',
      labelNames: ['kind'] as const,
      registers,
    }),
    connectionsUsed: new client.Gauge({
      name: 'connections_used',
      help: 'pg pool connections checked out',
      labelNames: ['pool'] as const,
      registers,
    }),
    connectionsMax: new client.Gauge({
      name: 'connections_max',
      help: 'pg pool size limit',
      labelNames: ['pool'] as const,
      registers,
    }),
    queryDuration: new client.Histogram({
      name: 'query_duration',
      help: 'Database query duration in seconds',
      labelNames: ['pool', 'operation'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    slowQueries: new client.Counter({
      name: 'slow_queries',
      help: 'Queries at or above the slow-query threshold (thresholds.slowQuerySeconds)',
      labelNames: ['pool', 'operation'] as const,
      registers,
    }),
    replicationLag: new client.Gauge({
      name: 'replication_lag',
      help: 'Seconds the read endpoint is behind the primary (-1: read endpoint unreachable)',
      registers,
    }),
    dbUp: new client.Gauge({
      name: 'db_up',
      help: '1 when the last probe of the pool succeeded',
      labelNames: ['pool'] as const,
      registers,
    }),
    cacheHits: new client.Counter({
      name: 'cache_hits_total',
      help: 'Cache-aside lookups answered by Redis',
      labelNames: ['cache'] as const,
      registers,
    }),
    cacheMisses: new client.Counter({
      name: 'cache_misses_total',
      help: 'Cache-aside lookups not answered by Redis (degraded ones included)',
      labelNames: ['cache'] as const,
      registers,
    }),
    cacheDegraded: new client.Counter({
      name: 'cache_degraded_total',
      help: 'Lookups that skipped Redis because it failed or its breaker is open',
      labelNames: ['cache'] as const,
      registers,
    }),
    breakerState: new client.Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['dependency'] as const,
      registers,
    }),
    queuePublished: new client.Counter({
      name: 'queue_published_total',
      help: 'Messages confirmed by RabbitMQ',
      labelNames: ['queue'] as const,
      registers,
    }),
    queueConsumed: new client.Counter({
      name: 'queue_consumed_total',
      help: 'Messages processed and acked',
      labelNames: ['queue'] as const,
      registers,
    }),
    queueFailed: new client.Counter({
      name: 'queue_failed_total',
      help: 'Queue failures by stage: publish, process, dead_letter',
      labelNames: ['queue', 'stage'] as const,
      registers,
    }),
    queueDepth: new client.Gauge({
      name: 'queue_depth',
      help: 'Ready messages in the queue',
      labelNames: ['queue'] as const,
      registers,
    }),
    readFallbacks: new client.Counter({
      name: 'db_read_fallbacks_total',
      help: 'Reads that failed on the read path and were answered by the primary path (once per read)',
      labelNames: ['operation'] as const,
      registers,
    }),
    connectionsDiscarded: new client.Counter({
      name: 'db_connections_discarded_total',
      help: 'Database connections destroyed instead of reused (read timeout, connection lost, demoted primary)',
      labelNames: ['pool', 'reason'] as const,
      registers,
    }),
    idempotentRequests: new client.Counter({
      name: 'idempotent_requests_total',
      help: 'Writes carrying an Idempotency-Key, by outcome: first, replayed, in_flight (409), mismatch (422)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    outboxBacklog: new client.Gauge({
      name: 'outbox_backlog',
      help: 'Committed events not yet confirmed by RabbitMQ (outbox rows with published_at NULL)',
      registers,
    }),
    outboxOldestAge: new client.Gauge({
      name: 'outbox_oldest_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when the backlog is empty)',
      registers,
    }),
    outboxBlocked: new client.Gauge({
      name: 'outbox_relay_blocked',
      help: '1 while RabbitMQ has blocked the relay connection (connection.blocked, e.g. a memory alarm)',
      registers,
    }),
    eventsDeduplicated: new client.Counter({
      name: 'events_deduplicated_total',
      help: 'Deliveries whose event id was already processed: acked without effect',
      registers,
    }),
    retriesScheduled: new client.Counter({
      name: 'worker_retries_scheduled_total',
      help: 'Failed processing attempts scheduled for a later retry, by error class (transient, unexpected)',
      labelNames: ['class'] as const,
      registers,
    }),
    activeUsers: new client.Gauge({
      name: 'active_users',
      help: 'Distinct users with a session seen in the last 15 minutes',
      registers,
    }),
    sessionsCreated: new client.Counter({
      name: 'sessions_created_total',
      help: 'Sessions created',
      registers,
    }),
    apiUsage: new client.Counter({
      name: 'api_usage_by_client',
      help: 'Authenticated API calls per configured client',
      labelNames: ['client', 'route'] as const,
      registers,
    }),
    revenue: new client.Counter({
      name: 'revenue_total',
      help: 'Money of processed orders, in currency units',
      labelNames: ['currency'] as const,
      registers,
    }),
    ordersProcessed: new client.Counter({
      name: 'orders_processed_total',
      help: 'Orders moved from pending to processed by the worker',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
