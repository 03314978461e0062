/**
 * The sample API's realistic traffic mix, in one place, for both the k6 scripts (bundled into
 * load/dist) and the Node open-model generator. Pure TypeScript: no node:* and no k6 imports.
 * Routes and bodies follow sample-app/openapi/openapi.ts; change them here only.
 */

export type OperationName = 'getProduct' | 'getOrder' | 'createSession' | 'createOrder' | 'updateProduct' | 'createUser';

export interface ApiKey {
  /** The client name the API labels its metrics with (as in sample-app's API_CLIENTS). */
  name: string;
  key: string;
}

export interface PlannedCall {
  operation: OperationName;
  method: 'GET' | 'POST' | 'PUT';
  /** Relative to BASE_URL. */
  path: string;
  /** The route template, for metrics tags (bounded cardinality). */
  route: string;
  json?: unknown;
  /** Statuses that mean the API did its job (getOrder's 404 is the documented "not replicated yet"). */
  okStatuses: readonly number[];
  apiKey: ApiKey;
}

/** Share of calls per operation (sums to 100): read-heavy, as a shop's API is. */
export const MIX_WEIGHTS: Readonly<Record<OperationName, number>> = {
  getProduct: 55,
  getOrder: 15,
  createSession: 10,
  createOrder: 10,
  updateProduct: 5,
  createUser: 5,
};

/** sample-app seeds products 1..100 (sample-app/src/shared/schema.ts). */
export const SEEDED_PRODUCTS = 100;
/** 80 % of product reads go to this many hot products, so the Redis cache sees a realistic hit rate. */
const HOT_PRODUCTS = 20;
/** Orders remembered per generator (or k6 VU) for getOrder; bounded so a soak does not grow memory. */
const REMEMBERED_ORDERS = 200;

export const API_KEY_HEADER = 'X-API-Key';

/** The state a mix needs between calls: users made in set-up, orders created along the way. */
export interface MixState {
  runTag: string;
  userIds: string[];
  orderIds: string[];
  /** Calls planned on this state by the Node requester (k6 numbers calls with iterationInTest instead). */
  callsPlanned: number;
}

export function newMixState(runTag: string, userIds: string[]): MixState {
  if (!/^[a-z0-9-]{1,40}$/.test(runTag)) throw new Error(`traffic mix: runTag "${runTag}" must match [a-z0-9-]{1,40}`);
  return { runTag, userIds: [...userIds], orderIds: [], callsPlanned: 0 };
}

/** "web:key-one,mobile:key-two:50" (sample-app's API_CLIENTS format; a rate is ignored) or a single bare key. */
export function parseApiKeys(raw: string | undefined): ApiKey[] {
  const entries = (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  if (!entries.length) throw new Error('API_KEYS is empty: set API_KEYS="name:key,name2:key2" (the API\'s clients) or API_KEY');
  return entries.map((entry, index) => {
    const parts = entry.split(':');
    if (parts.length === 1) return { name: `client${index + 1}`, key: parts[0]! };
    const [name, key] = parts;
    if (!name || !key) throw new Error(`API_KEYS entry "${entry}" must be name:key`);
    return { name, key };
  });
}

/** A small deterministic PRNG (mulberry32), so call i of a run is the same call on every run. */
export function randomFor(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pickOperation(r: number): OperationName {
  let acc = 0;
  const entries = Object.entries(MIX_WEIGHTS) as Array<[OperationName, number]>;
  for (const [name, weight] of entries) {
    acc += weight / 100;
    if (r < acc) return name;
  }
  return entries[entries.length - 1]![0];
}

function productId(rand: () => number): string {
  const hot = rand() < 0.8;
  return String(1 + Math.floor(rand() * (hot ? HOT_PRODUCTS : SEEDED_PRODUCTS)));
}

/**
 * Call number i of the mix. Keys rotate round-robin (each client gets an even share of the rate,
 * keeping under per-client rate limits). Without users yet, user-bound calls fall back to creating one.
 */
export function planCall(i: number, state: MixState, keys: readonly ApiKey[]): PlannedCall {
  if (!keys.length) throw new Error('traffic mix: at least one API key is needed');
  const rand = randomFor(i * 2_654_435_761 + 1);
  const apiKey = keys[i % keys.length]!;
  let operation = pickOperation(rand());
  const needsUser = operation === 'createSession' || operation === 'createOrder';
  if (needsUser && !state.userIds.length) operation = 'createUser';
  if (operation === 'getOrder' && !state.orderIds.length) operation = 'getProduct';
  const user = () => state.userIds[Math.floor(rand() * state.userIds.length)]!;
  switch (operation) {
    case 'getProduct': {
      const id = productId(rand);
      return { operation, method: 'GET', path: `/v1/products/${id}`, route: '/v1/products/{id}', okStatuses: [200], apiKey };
    }
    case 'getOrder': {
      const id = state.orderIds[Math.floor(rand() * state.orderIds.length)]!;
      return { operation, method: 'GET', path: `/v1/orders/${id}`, route: '/v1/orders/{id}', okStatuses: [200, 404], apiKey };
    }
    case 'createSession':
      return { operation, method: 'POST', path: '/v1/sessions', route: '/v1/sessions', json: { userId: user() }, okStatuses: [201], apiKey };
    case 'createOrder': {
      const count = 1 + Math.floor(rand() * 3);
      const ids = new Set<string>();
      while (ids.size < count) ids.add(productId(rand));
      const items = [...ids].map((productId) => ({ productId, quantity: 1 + Math.floor(rand() * 3) }));
      return { operation, method: 'POST', path: '/v1/orders', route: '/v1/orders', json: { userId: user(), items }, okStatuses: [201], apiKey };
    }
    case 'updateProduct': {
      const id = productId(rand);
      const json = { priceCents: 100 + Math.floor(rand() * 9_900) };
      return { operation, method: 'PUT', path: `/v1/products/${id}`, route: '/v1/products/{id}', json, okStatuses: [200], apiKey };
    }
    case 'createUser':
      return userCreation(`${state.runTag}-${i}`, apiKey);
  }
}

/** A createUser call with a unique e-mail for this run (also used by set-up to make the user pool). */
export function userCreation(unique: string, apiKey: ApiKey): PlannedCall {
  return {
    operation: 'createUser',
    method: 'POST',
    path: '/v1/users',
    route: '/v1/users',
    json: { email: `load-${unique}@example.test`, name: `Load ${unique}` },
    okStatuses: [201],
    apiKey,
  };
}

/** Feeds a response back into the state: created users and orders become targets of later calls. */
export function observeResponse(state: MixState, call: PlannedCall, status: number, body: unknown): void {
  if (status !== 201 || typeof body !== 'object' || body === null) return;
  const id = (body as { id?: unknown }).id;
  if (typeof id !== 'string') return;
  if (call.operation === 'createOrder') {
    state.orderIds.push(id);
    if (state.orderIds.length > REMEMBERED_ORDERS) state.orderIds.shift();
  } else if (call.operation === 'createUser' && state.userIds.length < REMEMBERED_ORDERS) {
    state.userIds.push(id);
  }
}

/** Whether observeResponse needs the body of this call (others can be discarded unread). */
export function needsBody(call: PlannedCall): boolean {
  return call.operation === 'createOrder' || call.operation === 'createUser';
}
