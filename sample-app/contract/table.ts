import { bounds } from './budget-exprs.ts';
import { DEPENDENCIES, FAULTS, type ContractCell, type Dependency, type EndpointId, type Expectation, type Fault, type FigureSpec, type RegressionCase } from './types.ts';

/**
 * The contract: for every endpoint and every state of every dependency, what the client gets.
 * CONTRACT.md and the fault-matrix suite's cells are generated from this table; nothing about
 * the contract is typed twice.
 */

const p95 = (statuses: string[], degradedPath?: string, note?: string): Expectation => ({
  statuses,
  retryAfter: 'none',
  latency: { stat: 'p95', bound: bounds.p95Target },
  ...(degradedPath ? { degradedPath } : {}),
  ...(note ? { note } : {}),
});
const bounded = (statuses: string[], retryAfter: Expectation['retryAfter'], degradedPath?: string, note?: string): Expectation => ({
  statuses,
  retryAfter,
  latency: { stat: 'max', bound: bounds.requestBudget },
  ...(degradedPath ? { degradedPath } : {}),
  ...(note ? { note } : {}),
});
const events = (bound: Expectation['latency']['bound'], note: string): Expectation => ({ statuses: ['processed once'], retryAfter: 'none', latency: { stat: 'max', bound }, note });

const WRITES = ['updateProduct', 'createUser', 'createSession', 'createOrder'] as const;
const writeStatus = (id: (typeof WRITES)[number]) => (id === 'updateProduct' ? '200' : '201');
const eachWrite = (make: (success: string) => Expectation) => Object.fromEntries(WRITES.map((id) => [id, make(writeStatus(id))])) as Record<(typeof WRITES)[number], Expectation>;

const HEALTHY_EVENTS = events(bounds.eventHealthy, 'published right after COMMIT by the relay, processed once');

const AMBIGUOUS =
  'A statement cut by its timeout before COMMIT rolls back: 503 + Retry-After. A COMMIT sent without answer is ambiguous: Retry-After only with an Idempotency-Key (the retry gets the stored outcome, or 409 + Retry-After while the first is still committing).';

function postgresPrimary(fault: Fault): Record<EndpointId, Expectation> {
  const reads = { getProduct: p95(['200'], 'cache, then the read path'), getOrder: p95(['200', '404'], undefined, 'the read path only; 404 until replicated') };
  if (fault === 'healthy') return { ...reads, ...eachWrite((s) => p95([s])), events: HEALTHY_EVENTS };
  const retried = events(bounds.workerRetrySpan, 'retried on the transient schedule; not dead-lettered by an outage shorter than DB_FAILOVER_BUDGET_MS; processed once');
  switch (fault) {
    case 'refusing':
    case 'resource_alarm':
      return {
        ...reads,
        ...eachWrite(() => bounded(['503'], 'required', undefined, 'refused before anything was written (connect refused, too many connections, disk full answered by the server): a retry is always safe')),
        events: retried,
      };
    case 'failing_over':
      return {
        ...reads,
        ...eachWrite((s) => bounded([s, '503'], 'when-safe', undefined, `503 until the write endpoint reaches the new primary (57P01, 25006 read-only, refused), then ${s} without a restart. ${AMBIGUOUS}`)),
        events: retried,
      };
    default:
      return { ...reads, ...eachWrite((s) => bounded([s, '503'], 'when-safe', undefined, `a hung connection is destroyed, never sent ROLLBACK. ${AMBIGUOUS}`)), events: retried };
  }
}

function postgresReplica(fault: Fault): Record<EndpointId, Expectation> {
  const writes = eachWrite((s) => p95([s]));
  if (fault === 'healthy') return { getProduct: p95(['200'], 'cache, then the read path'), getOrder: p95(['200', '404']), ...writes, events: HEALTHY_EVENTS };
  const fallback = 'the primary path, once (X-Read-Source: primary); the read path gets half of the remaining budget';
  const syncNote = `${AMBIGUOUS} Applies only when this replica is the synchronous standby: COMMIT waits for it.`;
  const waitsForStandby = fault === 'slow' || fault === 'hung' || fault === 'partitioned';
  return {
    getProduct: bounded(['200', '404'], 'required', `cache, else ${fallback}`, 'a 503 (+ Retry-After) only when the primary path fails too'),
    getOrder: bounded(['200', '404'], 'required', fallback, 'a 503 (+ Retry-After) only when the primary path fails too'),
    ...(waitsForStandby ? eachWrite((s) => bounded([s, '503'], 'when-safe', undefined, syncNote)) : writes),
    events: HEALTHY_EVENTS,
  };
}

function redis(fault: Fault): Record<EndpointId, Expectation> {
  if (fault === 'healthy') {
    return { getProduct: p95(['200'], undefined, 'cache hit (X-Read-Source: cache)'), getOrder: p95(['200', '404']), ...eachWrite((s) => p95([s])), events: HEALTHY_EVENTS };
  }
  const degraded = 'Postgres (X-Read-Source: replica/primary), counted in cache_degraded_total; after 5 failures the breaker skips Redis';
  const limiter = 'the per-client rate limiter fails open (not enforced)';
  const getProduct =
    fault === 'resource_alarm'
      ? p95(['200'], undefined, 'GET still answers; SET NX fails (OOM) and is counted, so misses stay misses')
      : bounded(['200'], 'none', degraded, fault === 'failing_over' ? 'cache hits again within CACHE_FAILOVER_BUDGET_MS + breaker open + reconnect cap' : undefined);
  return {
    getProduct,
    getOrder: bounded(['200', '404'], 'none', undefined, limiter),
    ...eachWrite((s) => bounded([s], 'none', undefined, `${limiter}; PUT: the cache entry is deleted instead of replaced (a stale entry lives at most one TTL)`)),
    events: HEALTHY_EVENTS,
  };
}

function rabbitmq(fault: Fault): Record<EndpointId, Expectation> {
  const reads = { getProduct: p95(['200']), getOrder: p95(['200', '404']) };
  const writes = eachWrite((s) => p95([s], 'the outbox: the event commits with the write and waits there', 'write latency does not depend on the broker'));
  if (fault === 'healthy') return { ...reads, ...writes, events: HEALTHY_EVENTS };
  const note: Record<Exclude<Fault, 'healthy'>, string> = {
    slow: 'the relay waits for confirms; events are delayed, never lost',
    hung: 'unconfirmed rows stay in the outbox and are published again (the worker dedupes by event id)',
    refusing: 'the relay reconnects with backoff and publishes the backlog',
    failing_over: 'the relay reconnects with backoff and publishes the backlog',
    partitioned: 'unconfirmed rows stay in the outbox and are published again (the worker dedupes by event id)',
    resource_alarm: 'the relay pauses on connection.blocked and resumes on unblocked; nothing is published twice by a timeout while blocked',
  };
  return { ...reads, ...writes, events: events(bounds.brokerBack, `${note[fault]}; none lost, each processed once`) };
}

const BUILDERS: Record<Dependency, (fault: Fault) => Record<EndpointId, Expectation>> = {
  postgres_primary: postgresPrimary,
  postgres_replica: postgresReplica,
  redis,
  rabbitmq,
};

const INJECTIONS: Record<Dependency, Record<Fault, string>> = {
  postgres_primary: {
    healthy: 'nothing',
    slow: '1,200 ms of latency on every chunk of the write route (Toxiproxy): an order outlasts its statement budget',
    hung: '`docker pause` of the primary, shorter than the leader lease (no failover)',
    refusing: 'the write route refuses connections (its Toxiproxy proxy disabled)',
    failing_over: 'the Patroni leader killed; the write endpoint moves to the new leader',
    partitioned: 'data stops flowing on the write route (Toxiproxy timeout toxic, connections left open)',
    resource_alarm: 'max_connections exhausted or disk full',
  },
  postgres_replica: {
    healthy: 'nothing',
    slow: '1,500 ms of latency on every chunk of the read route (Toxiproxy): replica statements slower than half the budget',
    hung: '`docker pause` of the asynchronous replica',
    refusing: 'the read route refuses connections (its Toxiproxy proxy disabled): no replica answers',
    failing_over: 'the asynchronous replica restarted and rejoining',
    partitioned: 'data stops flowing on the read route (Toxiproxy timeout toxic, connections left open)',
    resource_alarm: 'max_connections exhausted on the replica',
  },
  redis: {
    healthy: 'nothing',
    slow: 'commands slower than REDIS command timeout (250 ms)',
    hung: '`docker pause` of every Redis container',
    refusing: 'Redis stopped',
    failing_over: 'the Redis master killed; the Sentinels promote a replica',
    partitioned: 'every Redis container disconnected from the network',
    resource_alarm: 'maxmemory 1 B with noeviction on the master (OOM on every write)',
  },
  rabbitmq: {
    healthy: 'nothing',
    slow: '1,000 ms of latency on every chunk of the broker route (Toxiproxy): confirms delayed',
    hung: '`docker pause` of the broker',
    refusing: 'the broker route refuses connections (its Toxiproxy proxy disabled)',
    failing_over: 'the broker restarted',
    partitioned: 'data stops flowing on the broker route (Toxiproxy timeout toxic, connections left open)',
    resource_alarm: '`rabbitmqctl set_vm_memory_high_watermark 0` (memory alarm: connection.blocked)',
  },
};

const fig = (name: string, unit: string, what: string, op: FigureSpec['op'], bound: FigureSpec['bound']): FigureSpec => ({ name, unit, what, op, bound });
const SERVER_ERRORS = fig('server_errors', 'responses', '5xx answers other than 503 (a 500, or 502/504 through nginx)', '==', bounds.zero);

function figures(dependency: Dependency, fault: Fault): FigureSpec[] {
  if (fault === 'healthy') return [SERVER_ERRORS, fig('p95_ms', 'ms', 'p95 latency of all /v1 requests', '<', bounds.p95Target)];
  const common = [SERVER_ERRORS];
  switch (dependency) {
    case 'postgres_primary':
      return [
        ...common,
        fig('max_latency_ms', 'ms', 'slowest answer while the fault lasts', '<=', bounds.requestBudget),
        fig('retry_after_missing', 'responses', '503 answers without Retry-After where a retry is safe', '==', bounds.zero),
        fig('duplicate_effects', 'writes', 'writes retried with their Idempotency-Key that were applied twice', '==', bounds.zero),
        fig('dead_lettered', 'events', 'events dead-lettered by an outage shorter than DB_FAILOVER_BUDGET_MS', '==', bounds.zero),
      ];
    case 'postgres_replica':
      return [
        ...common,
        fig('max_latency_ms', 'ms', 'slowest answer while the fault lasts', '<=', bounds.requestBudget),
        fig('failed_reads', 'requests', 'reads not answered 200/404 (the primary path was up)', '==', bounds.zero),
      ];
    case 'redis':
      return [
        ...common,
        fig('max_latency_ms', 'ms', 'slowest answer while the fault lasts', '<=', bounds.requestBudget),
        fig('failed_reads', 'requests', 'reads not answered 200 (Postgres was up)', '==', bounds.zero),
        ...(fault === 'failing_over' ? [fig('cache_back_ms', 'ms', 'from the master stop to the first cache hit on the promoted replica', '<=', bounds.cacheBack)] : []),
      ];
    case 'rabbitmq':
      return [
        ...common,
        fig('write_p95_ms', 'ms', 'p95 latency of writes while the fault lasts', '<', bounds.p95Target),
        fig('lost_events', 'events', 'writes answered 2xx whose event was never processed', '==', bounds.zero),
        fig('duplicate_effects', 'events', 'events whose effect was applied more than once', '==', bounds.zero),
      ];
  }
}

/** Every cell: dependencies × states, each with the expectation of every endpoint and its figures. */
export const contractTable: ContractCell[] = DEPENDENCIES.flatMap((dependency) =>
  FAULTS.map((fault) => ({
    id: `contract.${dependency}.${fault}`,
    dependency,
    fault,
    injection: INJECTIONS[dependency][fault],
    expectations: BUILDERS[dependency](fault),
    figures: figures(dependency, fault),
  })),
);

/** The regressions, proven by sample-app/test/integration/sample-app.test.ts. */
export const regressionCases: RegressionCase[] = [
  {
    name: 'hung_primary',
    what: '`docker pause` of the primary for 12 s while POST /v1/orders (with Idempotency-Key) runs once a second and GET /v1/orders/:id reads',
    figures: [
      fig('http_500', 'responses', '500 answers', '==', bounds.zero),
      fig('max_latency_ms', 'ms', 'slowest answer', '<=', bounds.requestBudget),
      fig('retry_after_missing', 'responses', '503 answers without Retry-After (every write carried a key)', '==', bounds.zero),
      fig('failed_reads', 'requests', 'reads not answered 200 (they use the replica)', '==', bounds.zero),
      fig('duplicate_orders', 'orders', 'orders applied twice after the client retried every 503 with its key', '==', bounds.zero),
      fig('dead_lettered', 'events', 'an order event published while the primary was paused that was dead-lettered instead of processed', '==', bounds.zero),
    ],
  },
  {
    name: 'ambiguous_commit',
    what: 'synchronous standby frozen: COMMIT waits; the client retries as told with the same Idempotency-Key until it gets the order',
    figures: [
      fig('duplicate_orders', 'orders', 'orders created beyond one per key', '==', bounds.zero),
      fig('retry_after_missing', 'responses', '503/409 answers without Retry-After', '==', bounds.zero),
      fig('server_errors', 'responses', '5xx answers other than 503', '==', bounds.zero),
    ],
  },
  {
    name: 'broker_alarm',
    what: '`rabbitmqctl set_vm_memory_high_watermark 0`, POST /v1/orders during the alarm, then the alarm cleared',
    figures: [
      fig('write_p95_ms', 'ms', 'p95 latency of the writes during the alarm', '<', bounds.p95Target),
      fig('lost_events', 'events', 'orders not processed after the alarm cleared', '==', bounds.zero),
      fig('duplicate_effects', 'events', 'orders processed (counted) more than once', '==', bounds.zero),
    ],
  },
  {
    name: 'keep_alive',
    what: 'POSTs through nginx to two API instances with idle gaps around the keep-alive timeouts',
    figures: [fig('http_502', 'responses', '502 answers from nginx', '==', bounds.zero)],
  },
];

/** The result id of a figure: `contract.<dependency>.<fault>.<figure>` or `contract.regression.<case>.<figure>`. */
export function figureId(cellOrCase: ContractCell | RegressionCase, figure: FigureSpec): string {
  return 'id' in cellOrCase ? `${cellOrCase.id}.${figure.name}` : `contract.regression.${cellOrCase.name}.${figure.name}`;
}

export function cell(dependency: Dependency, fault: Fault): ContractCell {
  const found = contractTable.find((c) => c.dependency === dependency && c.fault === fault);
  if (!found) throw new Error(`no contract cell for ${dependency}/${fault}`);
  return found;
}

export function regression(name: string): RegressionCase {
  const found = regressionCases.find((r) => r.name === name);
  if (!found) throw new Error(`no regression case ${name}`);
  return found;
}
