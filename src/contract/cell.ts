import { cell as contractCell, deriveBudgets, type ContractCell, type FigureSpec } from '../../sample-app/contract/index.ts';
import { apiClient } from '../../services/sample-app/client.ts';
import { appPromises } from '../../services/sample-app/spec.ts';
import { postgresCluster } from '../../services/postgres/cluster.ts';
import { sleep, waitForQuietHost } from '../core/poll.ts';
import { sampleSum, scrapeText } from '../core/prometheus-text.ts';
import { ROLLBACKS } from '../chaos/rollbacks.ts';
import { describeSelector, resolveTargets } from '../chaos/targets.ts';
import { percentile } from '../chaos/stats.ts';
import type { Scenario, ScenarioContext } from '../scenarios/scenario.ts';
import { RunningStack } from '../stack/docker/stack.ts';
import { faultVerb, type Injected } from '../stack/faults/index.ts';
import { resolveParams } from '../stack/faults/params.ts';
import { ContractClient, warmCache, type ContractSample } from './client.ts';
import { INJECTIONS, isInjection, type Injection } from './injections.ts';

const BASELINE_SECONDS = 3;
/** After the undo the load goes on until this many clean seconds in a row (reads and writes answered as when healthy). */
const CLEAN_SECONDS = 3;
const RECOVERY_SECONDS = 90;
/** Every acknowledged order's event processed within this long after the load stops. */
const EVENTS_SECONDS = 120;
const QUERY_LIMITS = { connectionTimeoutMillis: 5_000, query_timeout: 10_000 };

/** The cells the suite can produce here, and for the others why not (src/contract/injections.ts). */
export function cellInjection(c: ContractCell): Injection | { notRunHere: string } {
  if (c.fault === 'healthy') return { notRunHere: 'the healthy row is what every other suite measures (latency, sample-app)' };
  return INJECTIONS[c.dependency][c.fault];
}

/**
 * One cell of the sample app's contract as a runbook: a fixed mixed load through nginx (src/contract/client.ts),
 * the fault injected for its hold, undone, the load kept until the API answers cleanly again, every
 * Idempotency-Key settled, every order's event processed; then each figure of the cell's table entry
 * recorded as `contract.<dependency>.<fault>.<figure>` against its bound for the stack's budgets.
 * Rollbacks always run: every instance recovered, Toxiproxy reset, the Postgres cluster healthy.
 */
export function cellScenario(dependency: ContractCell['dependency'], fault: ContractCell['fault']): Scenario {
  const c = contractCell(dependency, fault);
  const injection = cellInjection(c);
  if (!isInjection(injection)) throw new Error(`${c.id}: not run here: ${injection.notRunHere}`);
  return {
    name: `${dependency.replace(/_/g, '-')}-${fault.replace(/_/g, '-')}`,
    title: `Contract: ${dependency} ${fault}`,
    claim: `With ${dependency} ${fault.replace(/_/g, ' ')} (${c.injection}), clients get what sample-app/CONTRACT.md promises: ${c.figures.map((f) => `${f.name} ${f.op} ${f.bound.expr}`).join(', ')}.`,
    services: ['nginx', 'sample-api', 'sample-worker', 'toxiproxy', 'postgres', 'redis', 'rabbitmq'],
    resultPrefix: c.id,
    run: (ctx) => runCell(ctx, c, injection),
  };
}

async function runCell(ctx: ScenarioContext, c: ContractCell, injection: Injection): Promise<void> {
  if (!(ctx.stack instanceof RunningStack)) throw new Error(`${c.id} needs a stack started by refstack (faults act on its containers)`);
  const stack = ctx.stack;
  for (const name of ['recover-all', 'toxiproxy-reset', 'postgres-healthy'] as const) ctx.onRollback(ROLLBACKS[name]!.summary, () => ROLLBACKS[name]!.run(stack));
  const budgets = deriveBudgets(appPromises(ctx.profile));
  const cluster = await postgresCluster(stack);
  await ctx.step('the stack is healthy: Postgres cluster, every instance ready', async () => {
    await cluster.waitHealthy(180_000);
    for (const i of stack.all()) await i.waitReady();
  });

  const api = await apiClient(stack);
  const userId = await api.createUser(`contract-${c.dependency}-${c.fault}`);
  const readable = await ctx.step('an order to read back, replicated and processed', async () => {
    const r = await api.call('POST', '/v1/orders', { userId, items: [{ productId: '8', quantity: 1 }] }, 5_000, { 'idempotency-key': `seed-${userId}` });
    if (r.status !== 201) throw new Error(`POST /v1/orders answered ${r.status} on a healthy stack`);
    const id = (r.body as { id: string }).id;
    for (let i = 0; i < 50 && (await api.call('GET', `/v1/orders/${id}`)).status !== 200; i++) await sleep(200);
    // Processed before the worker's counters are read, so that their increase is this cell's orders alone.
    if ((await waitProcessed(cluster, [id])) !== 1) throw new Error(`order ${id} was not processed within ${EVENTS_SECONDS} s on a healthy stack`);
    return id;
  });
  await ctx.step('the hot products cached (each answered from the cache once)', () => warmCache(api));
  // A cell with a latency target is a benchmark too: its fault window starts on a quiet host (bounded; the load is in the note).
  const host = c.figures.some((f) => f.name.endsWith('p95_ms')) ? await ctx.step('a quiet host for the latency figure (load average ≤ 2.5 per core, at most 90 s)', () => waitForQuietHost(90_000)) : undefined;
  const workerMetrics = await stack.first('sample-worker').url('metrics', '/metrics');
  const before = await scrapeText(workerMetrics);

  const t0 = performance.now();
  const client = new ContractClient(api, userId, readable, t0).start();
  const window: [number, number] = [0, 0];
  try {
    await sleep(BASELINE_SECONDS * 1000);
    const verb = faultVerb(injection.verb);
    const targets = (await Promise.all(injection.targets.map((s) => resolveTargets(stack, s)))).flat();
    const { params, problems } = resolveParams(verb, injection.params);
    if (problems.length) throw new Error(`contract cell ${c.id}: ${verb.verb} parameters: ${problems.join('; ')}`);
    const injected: Injected = await ctx.step(`${verb.verb} on ${injection.targets.map(describeSelector).join(', ')} for ${injection.seconds} s (${c.injection})`, () => verb.inject(stack, targets, params, injection.seconds));
    window[0] = performance.now() - t0;
    ctx.mark(`inject ${injected.detail}`);
    // Undone by its step, or by the rollback when a step before it threw: once either way (a toxic removed twice is a 404).
    let undone: Promise<void> | undefined;
    const undo = () => (undone ??= injected.undo());
    ctx.onRollback(`undo ${verb.verb}`, undo);
    await sleep(injection.seconds * 1000);
    await ctx.step(`undo: ${verb.undo}`, undo);
    window[1] = performance.now() - t0;
    ctx.mark('fault undone');
    const clean = await ctx.step(`the API answers cleanly for ${CLEAN_SECONDS} s in a row (at most ${RECOVERY_SECONDS} s)`, () => waitClean(client.samples, window[1]));
    ctx.figure('disruption_seconds', round(Math.max(0, clean - window[0]) / 1000), 's', { note: `injection → the end of the last answer that was not clean (a read not 200/404, a write not 201; a client waits Retry-After between writes); 0: none; the fault was undone after ${injection.seconds} s` });
  } finally {
    await client.stop();
  }

  const processed = await ctx.step(`every acknowledged order processed by the worker (at most ${EVENTS_SECONDS} s)`, () => waitProcessed(cluster, [...client.acknowledged.values()]));
  const after = await scrapeText(workerMetrics);
  const orders = await cluster.withClient(cluster.write, (db) => db.query<{ id: string }>('SELECT id::text AS id FROM orders WHERE user_id = $1 AND id <> $2', [userId, readable]), QUERY_LIMITS).then((r) => r.rows.map((x) => x.id));
  const measured: Record<string, { value: number; note: string }> = measure(client.samples, window, {
    acknowledged: client.acknowledged.size,
    orders: orders.length,
    processed,
    counted: sampleSum(after, 'orders_processed_total') - sampleSum(before, 'orders_processed_total'),
    deadLettered: sampleSum(after, 'queue_failed_total', { stage: 'dead_letter' }) - sampleSum(before, 'queue_failed_total', { stage: 'dead_letter' }),
  });
  for (const f of c.figures) {
    const m = measured[figureKey(c, f)];
    if (!m) throw new Error(`${c.id}.${f.name}: the suite does not measure this figure`);
    const load = host && f.name.endsWith('p95_ms') ? `; host load average ${host.loadAverage} when the fault began` : '';
    ctx.figure(f.name, m.value, f.unit, { target: { op: f.op, value: f.bound.value(budgets) }, note: `${m.note}${f.bound.expr === '0' ? '' : `; bound ${f.bound.expr}`}${load}` });
  }
}

/** Which measurement a figure is: `duplicate_effects` counts orders for the database's cells, processed events for the broker's. */
const figureKey = (c: ContractCell, f: FigureSpec) => (f.name === 'duplicate_effects' ? (c.dependency === 'rabbitmq' ? 'duplicate_events' : 'duplicate_orders') : f.name);

interface Ledger {
  acknowledged: number;
  orders: number;
  processed: number;
  counted: number;
  deadLettered: number;
}

/** The figures of a cell from the client's samples (the fault window: injection → undo) and the database's ledger. */
export function measure(samples: readonly ContractSample[], window: readonly [number, number], ledger: Ledger): Record<string, { value: number; note: string }> {
  const during = samples.filter((s) => s.t >= window[0] && s.t <= window[1]);
  const reads = during.filter((s) => s.kind !== 'createOrder');
  const writes = during.filter((s) => s.kind === 'createOrder' && s.status > 0);
  const serverErrors = samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503));
  const byStatus = (list: readonly ContractSample[]) => [...list.reduce((m, s) => m.set(s.status, (m.get(s.status) ?? 0) + 1), new Map<number, number>())].map(([k, n]) => `${n}× ${k || 'no answer'}`).join(', ') || 'none';
  const failedReads = reads.filter((s) => s.status !== 200 && !(s.kind === 'getOrder' && s.status === 404));
  return {
    server_errors: { value: serverErrors.length, note: `${samples.length} requests: ${byStatus(samples)}` },
    max_latency_ms: { value: round(Math.max(0, ...during.map((s) => s.ms)), 1), note: `${during.length} requests while the fault lasted` },
    retry_after_missing: { value: samples.filter((s) => s.status === 503 && !s.retryAfter).length, note: `${samples.filter((s) => s.status === 503).length} answers 503 (every write carried an Idempotency-Key)` },
    duplicate_orders: { value: ledger.orders - ledger.acknowledged, note: `${ledger.acknowledged} keys acknowledged, ${ledger.orders} orders in the database` },
    duplicate_events: { value: Math.max(0, ledger.counted - ledger.processed), note: `orders_processed_total rose by ${ledger.counted}, ${ledger.processed} orders processed` },
    lost_events: { value: ledger.acknowledged - ledger.processed, note: `${ledger.acknowledged} orders acknowledged, ${ledger.processed} processed` },
    dead_lettered: { value: ledger.deadLettered, note: 'queue_failed_total{stage="dead_letter"} increase' },
    failed_reads: { value: failedReads.length, note: `${reads.length} reads while the fault lasted: ${byStatus(reads)}` },
    cache_back_ms: cacheBack(samples, window[0]),
    write_p95_ms: { value: writes.length ? round(percentile(writes.map((s) => s.ms), 95), 1) : Number.NaN, note: `${writes.length} answered writes while the fault lasted: ${byStatus(writes)}` },
  };
}

/**
 * From the injection to the end of the first product read answered from the cache again after the cache
 * stopped answering (X-Read-Source other than cache); 0 when every product read came from the cache.
 */
function cacheBack(samples: readonly ContractSample[], from: number): { value: number; note: string } {
  const products = samples.filter((s) => s.kind === 'getProduct' && s.t >= from && s.status === 200);
  const firstMiss = products.find((s) => s.source !== 'cache');
  if (!firstMiss) return { value: 0, note: `all ${products.length} product reads after the injection came from the cache` };
  const back = products.find((s) => s.t > firstMiss.t && s.source === 'cache');
  const misses = products.filter((s) => s.source !== 'cache').length;
  if (!back) return { value: Number.POSITIVE_INFINITY, note: `no product read came from the cache again (${misses} of ${products.length} from ${[...new Set(products.map((s) => s.source))].join('/')})` };
  return { value: round(back.t + back.ms - from, 0), note: `first read from the cache again at t+${((back.t + back.ms) / 1000).toFixed(1)} s; ${misses} of ${products.length} product reads served by Postgres meanwhile` };
}

/**
 * Waits until the client has seen CLEAN_SECONDS of clean answers, including a write, after both `from`
 * and its last unclean answer; returns when that last unclean answer ended (ms since t0; it may precede `from`).
 */
async function waitClean(samples: readonly ContractSample[], from: number): Promise<number> {
  const deadline = performance.now() + RECOVERY_SECONDS * 1000;
  const clean = (s: ContractSample) => s.status === 200 || s.status === 201 || (s.kind === 'getOrder' && s.status === 404);
  for (;;) {
    const lastBad = Math.max(0, ...samples.filter((s) => !clean(s)).map((s) => s.t + s.ms));
    const after = samples.filter((s) => s.t >= Math.max(from, lastBad));
    const last = Math.max(0, ...after.map((s) => s.t));
    if (last - Math.max(from, lastBad) >= CLEAN_SECONDS * 1000 && after.some((s) => s.kind === 'createOrder')) return lastBad;
    if (performance.now() > deadline) throw new Error(`not answering cleanly ${RECOVERY_SECONDS} s after the undo: last failure at t+${(lastBad / 1000).toFixed(1)} s`);
    await sleep(500);
  }
}

async function waitProcessed(cluster: Awaited<ReturnType<typeof postgresCluster>>, ids: string[]): Promise<number> {
  const deadline = performance.now() + EVENTS_SECONDS * 1000;
  for (;;) {
    const n = Number((await cluster.withClient(cluster.write, (db) => db.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id = ANY($1::bigint[]) AND status = 'processed'`, [ids]), QUERY_LIMITS)).rows[0]?.n);
    if (n === ids.length || performance.now() > deadline) return n;
    await sleep(1_000);
  }
}


const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);
