import type { Budgets } from '../src/shared/budgets.ts';

/** The dependencies a fault is injected into. Names are result-id segments: [a-z_] only. */
export const DEPENDENCIES = ['postgres_primary', 'postgres_replica', 'redis', 'rabbitmq'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** The dependency states of the contract (the list). */
export const FAULTS = ['healthy', 'slow', 'hung', 'refusing', 'failing_over', 'partitioned', 'resource_alarm'] as const;
export type Fault = (typeof FAULTS)[number];

/** The client-facing surfaces: the /v1 operations and the asynchronous processing of their events. */
export const ENDPOINTS = [
  { id: 'getProduct', method: 'GET', path: '/v1/products/:id', kind: 'read' },
  { id: 'updateProduct', method: 'PUT', path: '/v1/products/:id', kind: 'write' },
  { id: 'createUser', method: 'POST', path: '/v1/users', kind: 'write' },
  { id: 'createSession', method: 'POST', path: '/v1/sessions', kind: 'write' },
  { id: 'createOrder', method: 'POST', path: '/v1/orders', kind: 'write' },
  { id: 'getOrder', method: 'GET', path: '/v1/orders/:id', kind: 'read' },
  { id: 'events', method: 'ASYNC', path: 'order events → worker', kind: 'async' },
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];
export type EndpointId = Endpoint['id'];

/** Structurally the harness's Target (src/results/target.ts): the app never imports the harness. */
export type Comparator = '<' | '<=' | '==' | '>=' | '>';
export interface Target {
  op: Comparator;
  value: number;
}

/** A bound written as an expression of the budgets, evaluated for the budgets in force. */
export interface BudgetExpr {
  /** How the bound is written in CONTRACT.md, e.g. "REQUEST_BUDGET_MS + 250". */
  expr: string;
  /** The bound in ms (or the figure's unit) for these budgets. */
  value: (budgets: Budgets) => number;
}

/**
 * Retry-After on a 503:
 *   required  — every 503 carries it: the request certainly had no effect (or is a read);
 *   when-safe — carried when the write certainly did not commit or carries an Idempotency-Key;
 *               absent on a write whose COMMIT outcome is unknown and that has no key;
 *   none      — this cell never answers 503.
 */
export type RetryAfterRule = 'required' | 'when-safe' | 'none';

/** What a client of one endpoint gets while one dependency is in one state. */
export interface Expectation {
  /** Allowed statuses ('200', '201', '503', '404'…); never a 500 for a dependency fault. */
  statuses: string[];
  retryAfter: RetryAfterRule;
  /** The degraded path that answers instead, if any. */
  degradedPath?: string;
  /** p95 (healthy paths) or max (degraded paths) latency bound. */
  latency: { stat: 'p95' | 'max'; bound: BudgetExpr };
  note?: string;
}

/** A figure the fault-matrix suite records as `contract.<dependency>.<fault>.<name>`. */
export interface FigureSpec {
  name: string;
  unit: string;
  /** What is counted or timed. */
  what: string;
  op: Comparator;
  bound: BudgetExpr;
}

export interface ContractCell {
  /** `contract.<dependency>.<fault>` */
  id: string;
  dependency: Dependency;
  fault: Fault;
  /** How the fault is produced in a test (what the suite does to the dependency). */
  injection: string;
  expectations: Record<EndpointId, Expectation>;
  figures: FigureSpec[];
}

/** A named regression case of the issue, proven by sample-app/test/integration (ids `contract.regression.<case>.<figure>`). */
export interface RegressionCase {
  name: string;
  what: string;
  figures: FigureSpec[];
}
