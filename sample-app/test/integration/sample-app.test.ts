import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import amqp from 'amqplib';
import pg from 'pg';
import { GenericContainer, Wait } from 'testcontainers';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { runLabels } from '../../../src/docker/labels.ts';
import { createNetwork, type LabelledNetwork } from '../../../src/docker/network.ts';
import { docker } from '../../../src/docker/engine.ts';
import { imageRef } from '../../../src/images/catalog.ts';
import { nginxConfigFor } from '../../../src/latency/environment.ts';
import { runOpenModel } from '../../../src/load/open-model.ts';
import { recordResult } from '../../../src/results/results.ts';
import { targets } from '../../../src/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { startSampleApp, startSampleAppBackends, type SampleAppBackends, type StartedSampleApp } from '../../../src/topologies/sample-app.ts';
import { DEAD_LETTER_QUEUE, EXCHANGE } from '../../src/shared/amqp.ts';
import { SENTINEL_PORT } from '../../../images/redis/redis.ts';
import { quantile, recordRegressionFigure } from '../support/contract-results.ts';
import { call, eventually } from '../support/http.ts';
import { malformedCases } from '../support/malformed.ts';
import { metric, scrape } from '../support/metrics.ts';

const SUITE = 'sample-app/test/integration/sample-app.test.ts';
const t = targets.sampleApp;

describeWithDocker('sample-app: the API and worker against real Postgres (primary + replica), Redis Sentinel and RabbitMQ', () => {
  let network: LabelledNetwork;
  let backends: SampleAppBackends;
  let app: StartedSampleApp;
  let userId: string;

  beforeAll(async () => {
    network = await createNetwork('sample-app');
    backends = await startSampleAppBackends(network.name);
    app = await startSampleApp({ ...backends.deps, clients: [{ name: 'web', key: 'web-key-0123456789' }, { name: 'tiny', key: 'tiny-key-0123456789', ratePerSecond: 5 }] });
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/users', { email: 'suite-owner@example.test', name: 'Suite Owner' });
    expect(created.status, created.text).toBe(201);
    userId = (created.json as { id: string }).id;
  });

  afterAll(async () => {
    await app?.stop();
    await backends?.stop();
    await network?.remove();
  });

  it('a write goes to the primary and is read back from the streaming replica', async () => {
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '3', quantity: 2 }] });
    expect(created.status, created.text).toBe(201);
    const order = created.json as { id: string; totalCents: number };

    const replica = new pg.Client({ connectionString: backends.postgres.hostReadUrl });
    await replica.connect();
    try {
      const { rows } = await replica.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
      expect(rows[0]?.recovery, 'the read URL must point at a standby').toBe(true);
      await eventually('the order on the replica', async () => ((await replica.query('SELECT 1 FROM orders WHERE id = $1', [order.id])).rowCount ? true : undefined));
    } finally {
      await replica.end();
    }
    const read = await eventually('GET /v1/orders/:id', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${order.id}`);
      return r.status === 200 ? r : undefined;
    });
    expect(read.headers.get('x-read-source')).toBe('replica');
    expect(read.json).toMatchObject({ id: order.id, userId, totalCents: order.totalCents });
  });

  it('cache-aside: a miss then hits, and a write replaces the entry with the new value', async () => {
    const before = await scrape(app.apiMetricsUrl);
    const get = () => call(app.baseUrl, app.apiKey, 'GET', '/v1/products/42');
    const reads = [await get(), await get(), await get()];
    expect(reads.map((r) => r.headers.get('x-read-source'))).toEqual(['replica', 'cache', 'cache']);
    const updated = await call(app.baseUrl, app.apiKey, 'PUT', '/v1/products/42', { priceCents: 4242 });
    expect(updated.status, updated.text).toBe(200);
    const fresh = await get();
    expect(fresh.headers.get('x-read-source')).toBe('cache');
    expect((fresh.json as { priceCents: number }).priceCents, 'the write invalidated the old entry').toBe(4242);
    const after = await scrape(app.apiMetricsUrl);
    const delta = (name: string) => metric(after, name, { cache: 'product' }) - metric(before, name, { cache: 'product' });
    expect(delta('cache_hits_total')).toBe(3);
    expect(delta('cache_misses_total')).toBe(1);
    expect(delta('cache_degraded_total'), 'Redis was up: nothing degraded').toBe(0);
  });

  it('an order event reaches the worker, which processes the order and counts its revenue', async () => {
    const before = await scrape(app.workerMetricsUrl!);
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '5', quantity: 3 }, { productId: '6', quantity: 1 }] });
    expect(created.status, created.text).toBe(201);
    const order = created.json as { id: string; totalCents: number; status: string };
    expect(order.status).toBe('pending');
    const primary = new pg.Client({ connectionString: backends.postgres.hostWriteUrl });
    await primary.connect();
    try {
      await eventually('the order processed by the worker', async () => {
        const { rows } = await primary.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [order.id]);
        return rows[0]?.status === 'processed' ? true : undefined;
      });
      await eventually('every outbox row marked published once its event was confirmed', async () => {
        const { rows } = await primary.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
        return Number(rows[0]?.n) === 0 ? true : undefined;
      });
    } finally {
      await primary.end();
    }
    const after = await scrape(app.workerMetricsUrl!);
    expect(metric(after, 'revenue_total', { currency: 'EUR' }) - metric(before, 'revenue_total', { currency: 'EUR' })).toBeCloseTo(order.totalCents / 100, 6);
    expect(metric(after, 'orders_processed_total') - metric(before, 'orders_processed_total')).toBe(1);
  });

  it('a poison message (an order that does not exist: a permanent error) lands in the dead-letter queue at once, without retries', async () => {
    const before = await scrape(app.workerMetricsUrl!);
    const connection = await amqp.connect(backends.rabbitmq.hostAmqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const started = performance.now();
      const messageId = `poison-${Date.now()}`;
      channel.publish(EXCHANGE, 'order.created', Buffer.from(JSON.stringify({ type: 'order.created', orderId: '987654321' })), { persistent: true, messageId });
      await channel.waitForConfirms();
      const dead = await eventually(
        'the poison message in the DLQ',
        async () => {
          const message = await channel.get(DEAD_LETTER_QUEUE, { noAck: false });
          if (!message) return undefined;
          channel.ack(message);
          return message.properties.messageId === messageId ? message : undefined;
        },
        60_000,
        100,
      );
      const seconds = (performance.now() - started) / 1000;
      expect(dead.properties.headers?.['x-attempt'], 'never re-published for a retry').toBeUndefined();
      const after = await scrape(app.workerMetricsUrl!);
      const failed = (stage: string) => metric(after, 'queue_failed_total', { stage }) - metric(before, 'queue_failed_total', { stage });
      expect(failed('process'), 'one attempt').toBe(1);
      expect(failed('dead_letter')).toBe(1);
      const record = recordResult({ id: 'sample_app.poison_to_dlq_seconds', value: Number(seconds.toFixed(2)), unit: 's', target: t.poisonToDlqSeconds, suite: SUITE });
      expect(record.pass, `the poison message took ${seconds.toFixed(1)} s to reach the DLQ`).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('with the worker paused, events wait in the quorum queue (RabbitMQ per-queue metrics) and are all processed once it resumes', async () => {
    await app.pauseWorker();
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: String(20 + i), quantity: 1 }] });
        expect(r.status, r.text).toBe(201);
        ids.push((r.json as { id: string }).id);
      }
      const ready = await eventually(
        'rabbitmq_queue_messages (ready + unacked) for events.process',
        async () => {
          // The frozen worker still holds up to its prefetch as unacked deliveries: count both.
          const value = metric(await scrape(backends.rabbitmq.hostMetricsUrl), 'rabbitmq_queue_messages', { queue: 'events.process' });
          return value >= ids.length ? value : undefined;
        },
        30_000,
        1_000,
      );
      expect(ready).toBeGreaterThanOrEqual(ids.length);
    } finally {
      await app.unpauseWorker();
    }
    const primary = new pg.Client({ connectionString: backends.postgres.hostWriteUrl });
    await primary.connect();
    try {
      await eventually('all queued orders processed', async () => {
        const { rows } = await primary.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id = ANY($1::bigint[]) AND status = 'processed'`, [ids]);
        return Number(rows[0]?.n) === ids.length ? true : undefined;
      });
    } finally {
      await primary.end();
    }
  });

  it('a table of malformed requests gets 4xx JSON errors, never a 5xx, and the API stays healthy', async () => {
    const cases = malformedCases({ userId, productId: '7' });
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const before = await scrape(app.apiMetricsUrl);
    const outcomes: Array<{ name: string; status: number; expect: number }> = [];
    for (const c of cases) {
      const response = await fetch(`${app.baseUrl}${c.path}`, {
        method: c.method,
        headers: { ...(c.noKey ? {} : { 'x-api-key': app.apiKey }), ...c.headers },
        ...(c.body !== undefined ? { body: c.body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      outcomes.push({ name: c.name, status: response.status, expect: c.expect });
      if (response.status >= 400) {
        expect(response.headers.get('content-type'), `${c.name}: JSON error body`).toMatch(/application\/json/);
        expect(JSON.parse(text), `${c.name}: error body`).toMatchObject({ error: expect.any(String), message: expect.any(String) });
      }
    }
    const serverErrors = outcomes.filter((o) => o.status >= 500);
    const after = await scrape(app.apiMetricsUrl);
    const record = recordResult({ id: 'sample_app.malformed_requests_5xx', value: serverErrors.length, unit: 'responses', target: t.malformed5xx, suite: SUITE, note: `${cases.length} malformed requests` });
    expect(record.pass, `5xx answers: ${JSON.stringify(serverErrors)}`).toBe(true);
    expect(outcomes.filter((o) => o.status !== o.expect), 'each case gets the documented status').toEqual([]);
    expect(metric(after, 'errors_total', { kind: 'http_5xx' }) - metric(before, 'errors_total', { kind: 'http_5xx' })).toBe(0);
    expect((await call(app.baseUrl, undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await call(app.baseUrl, undefined, 'GET', '/readyz')).status).toBe(200);
    expect((await docker().getContainer(app.api.getId()).inspect()).State.Running).toBe(true);
  });

  it('a client over its per-client rate limit gets 429 with Retry-After; other clients are unaffected', async () => {
    const tiny = app.clients.find((c) => c.name === 'tiny')!;
    const burst = await Promise.all(Array.from({ length: 15 }, () => call(app.baseUrl, tiny.key, 'GET', '/v1/products/1')));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length, 'a burst of 15 in one second against a limit of 5').toBeGreaterThanOrEqual(5);
    expect(limited[0]?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(burst.filter((r) => r.status !== 429 && r.status !== 200)).toEqual([]);
    expect((await call(app.baseUrl, app.apiKey, 'GET', '/v1/products/1')).status).toBe(200);
  });

  it('serves its OpenAPI 3 document, which names every /v1 operation', async () => {
    const doc = (await call(app.baseUrl, undefined, 'GET', '/openapi.json')).json as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.openapi).toMatch(/^3\./);
    const operations = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(operations).toEqual(expect.arrayContaining(['getProduct', 'updateProduct', 'createUser', 'createSession', 'createOrder', 'getOrder']));
  });

  it('the image runs the app as a non-root user on Node >= 20, with no node_modules (a bundle of the production code)', async () => {
    const id = await app.api.exec(['id', '-u']);
    expect(Number(id.output.trim())).toBeGreaterThan(0);
    const version = await app.api.exec(['node', '--version']);
    expect(Number(/^v(\d+)\./.exec(version.output.trim())?.[1])).toBeGreaterThanOrEqual(20);
    const listing = await app.api.exec(['ls', '-A', '/app']);
    expect(listing.output.trim().split('\n')).toEqual(['sample-app.mjs']);
  });

  it('with Redis down, reads are still served from the database (degraded, counted), and the cache comes back', async () => {
    const redisContainers = [backends.redis.master, backends.redis.replica, backends.redis.sentinel].map((c) => docker().getContainer(c.getId()));
    const before = await scrape(app.apiMetricsUrl);
    const reads = 40;
    const failed: string[] = [];
    await Promise.all(redisContainers.map((c) => c.pause()));
    try {
      for (let i = 0; i < reads; i++) {
        const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/products/${10 + (i % 5)}`);
        if (r.status !== 200 || r.headers.get('x-read-source') !== 'replica') failed.push(`${r.status} ${r.headers.get('x-read-source')}`);
      }
    } finally {
      await Promise.all(redisContainers.map((c) => c.unpause()));
    }
    const after = await scrape(app.apiMetricsUrl);
    const record = recordResult({ id: 'sample_app.redis_down_failed_reads', value: failed.length, unit: 'requests', target: t.redisDownFailedReads, suite: SUITE, note: `${reads} reads with all Redis containers paused` });
    expect(record.pass, `failed reads: ${failed.join(', ')}`).toBe(true);
    expect(metric(after, 'cache_degraded_total', { cache: 'product' }) - metric(before, 'cache_degraded_total', { cache: 'product' }), 'every read counted as degraded').toBe(reads);
    expect(metric(after, 'circuit_breaker_state', { dependency: 'redis' }), 'the breaker opened').toBeGreaterThan(0);
    await eventually('a cache hit after Redis is back', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', '/v1/products/10');
      return r.headers.get('x-read-source') === 'cache' ? true : undefined;
    }, 30_000, 500);
  });

  it('a stopped Redis master: Sentinel promotes the replica, reads are served throughout, and the API caches on the new master', async () => {
    const failed: string[] = [];
    // A drill starts from a healthy state. After the previous scenario froze every Redis container,
    // Sentinel sits in TILT mode (30 s without acting, by design) and the replica may still be re-linking.
    await eventually('Sentinel out of TILT and the replica linked to its master', async () => {
      const sentinel = await backends.redis.sentinel.exec(['redis-cli', '-p', String(SENTINEL_PORT), 'info', 'sentinel']);
      const replica = await backends.redis.replica.exec(['redis-cli', 'info', 'replication']);
      return /sentinel_tilt:0/.test(sentinel.output) && /master_link_status:up/.test(replica.output) ? true : undefined;
    }, 60_000, 500);
    await docker().getContainer(backends.redis.master.getId()).stop({ t: 1 });
    const started = performance.now();
    const promoted = await eventually('cache hits from the promoted replica', async () => {
      for (let i = 0; i < 2; i++) {
        const r = await call(app.baseUrl, app.apiKey, 'GET', '/v1/products/11');
        if (r.status !== 200) failed.push(String(r.status));
        if (i === 1 && r.headers.get('x-read-source') === 'cache') return (performance.now() - started) / 1000;
      }
      return undefined;
    }, 60_000, 250).catch(async (error: Error) => {
      // Say why: what Sentinel decided and what the replica thinks it is.
      const sentinel = await backends.redis.sentinel.exec(['sh', '-c', `redis-cli -p ${SENTINEL_PORT} sentinel masters; redis-cli -p ${SENTINEL_PORT} sentinel replicas mymaster`]);
      const role = await backends.redis.replica.exec(['redis-cli', 'role']);
      const logs = await backends.redis.sentinel.logs().then((stream) => readAll(stream)).catch(() => '(no sentinel log)');
      throw new Error(`${error.message}\n--- sentinel ---\n${sentinel.output}\n--- replica role ---\n${role.output}\n--- sentinel log ---\n${logs.slice(-3000)}`);
    });
    const role = await backends.redis.replica.exec(['redis-cli', 'role']);
    expect(role.output.split('\n')[0], 'the replica is the master now').toBe('master');
    expect(failed, 'reads failed during the Redis failover').toEqual([]);
    recordResult({ id: 'sample_app.redis_failover_cache_back_seconds', value: Number(promoted.toFixed(2)), unit: 's', suite: SUITE, note: 'from stopping the Redis master to a cache hit on the promoted replica (Sentinel down-after 3 s)' });
  });

  it('a stopped primary: writes get 503 (never 500) and /readyz 503 while it is down; once it is back, writes succeed without restarting the API', async () => {
    const primary = docker().getContainer(backends.postgres.primary.getId());
    const session = () => call(app.baseUrl, app.apiKey, 'POST', '/v1/sessions', { userId }).then((r) => r.status, () => 0);
    await primary.stop({ t: 2 });
    const during: Record<string, number> = {};
    const readiness: Record<string, number> = {};
    const outageEnds = performance.now() + 4_000;
    try {
      while (performance.now() < outageEnds) {
        const status = await session();
        during[status] = (during[status] ?? 0) + 1;
        const ready = (await call(app.baseUrl, undefined, 'GET', '/readyz')).status;
        readiness[ready] = (readiness[ready] ?? 0) + 1;
      }
    } finally {
      await primary.start();
    }
    const started = performance.now();
    const recoveredAfter = await eventually('five writes in a row after the primary is back', async () => {
      for (let i = 0; i < 5; i++) if ((await session()) !== 201) return undefined;
      return (performance.now() - started) / 1000;
    }, 60_000, 200);
    expect(Object.keys(during), `write statuses while the primary was down: ${JSON.stringify(during)}`).toEqual(['503']);
    expect(Object.keys(readiness), `/readyz while the primary was down: ${JSON.stringify(readiness)}`).toEqual(['503']);
    expect((await call(app.baseUrl, undefined, 'GET', '/readyz')).status).toBe(200);
    recordResult({ id: 'sample_app.write_recovery_after_primary_start_seconds', value: Number(recoveredAfter.toFixed(2)), unit: 's', suite: SUITE, note: `from docker start of the primary to 5 writes in a row; ${during['503']} writes answered 503 during the 4 s outage` });
  });

  it('a restarted RabbitMQ: API and worker reconnect, re-declare the topology, and a new order is processed', async () => {
    await docker().getContainer(backends.rabbitmq.container.getId()).restart({ t: 5 });
    const created = await eventually('an order accepted after the broker restart', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '9', quantity: 1 }] });
      return r.status === 201 ? (r.json as { id: string }) : undefined;
    }, 60_000, 500);
    await eventually('the order processed after the broker restart', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${created.id}`);
      return (r.json as { status?: string } | undefined)?.status === 'processed' ? true : undefined;
    }, 90_000, 500);
    expect((await call(app.baseUrl, undefined, 'GET', '/readyz')).json).toMatchObject({ checks: { rabbitmq: 'up' } });
  });

  it('the worker drains and exits 0 on SIGTERM, and a replacement worker processes what was queued meanwhile', async () => {
    const old = app.worker!;
    await app.stopWorker();
    const state = (await docker().getContainer(old.getId()).inspect()).State;
    expect(state.ExitCode, 'the worker exited cleanly').toBe(0);
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '33', quantity: 1 }] });
    expect(created.status, created.text).toBe(201);
    await app.startWorker();
    await eventually('the order queued while no worker ran is processed', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${(created.json as { id: string }).id}`);
      return (r.json as { status?: string } | undefined)?.status === 'processed' ? true : undefined;
    }, 60_000, 300);
  });

  it('SIGTERM under load: readiness turns 503, every in-flight request completes, 0 requests fail, and the process exits 0 in time', async () => {
    // A second API with a real 300 ms delay on every /v1 call (SAMPLE_APP_FAULTS) so dozens of requests are
    // in flight at SIGTERM, and a 1.5 s pre-stop delay during which it still serves but reports not ready.
    const drain = await startSampleApp({ ...backends.deps, name: 'drain', withWorker: false, env: { SAMPLE_APP_FAULTS: '1', SHUTDOWN_DELAY_MS: '1500' } });
    try {
      const set = await call(drain.baseUrl, undefined, 'PUT', '/internal/faults', { latencyMs: 300 });
      expect(set.status, set.text).toBe(200);
      // Straight to the container's address, as a load balancer would (docker's port proxy would mask refusals).
      const target = new URL(drain.directUrl);
      const get = (path: string, headers: Record<string, string> = {}) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: target.hostname, port: target.port, path, headers, agent: false, timeout: 10_000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('timeout', () => req.destroy(new Error('timeout')));
          req.on('error', reject);
          req.end();
        });
      // The load balancer: routes to the instance while /readyz answers 200, polled every 100 ms.
      let routable = true;
      const balancer = (async () => {
        while (routable) {
          const status = await get('/readyz').catch(() => 0);
          if (status !== 200) routable = false;
          else await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      let outstanding = 0;
      let ok = 0;
      let notRouted = 0;
      const failures: string[] = [];
      const request = async () => {
        if (!routable) {
          notRouted += 1;
          return { ok: true };
        }
        outstanding += 1;
        try {
          const status = await get('/v1/products/1', { 'x-api-key': drain.apiKey });
          if (status === 200) ok += 1;
          else failures.push(`status ${status}`);
          return { ok: status === 200, status };
        } catch (error) {
          failures.push((error as NodeJS.ErrnoException).code ?? (error as Error).message);
          return { ok: false };
        } finally {
          outstanding -= 1;
        }
      };
      const load = runOpenModel({ rps: 100, durationSeconds: 5, request, timeoutMs: 12_000, maxInFlight: 1_000 });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const inFlightAtSignal = outstanding;
      const exit = await drain.signalApi('SIGTERM');
      const result = await load;
      await balancer;
      const refusedAfterExit = await get('/healthz').then(() => false, () => true);
      const record = recordResult({
        id: 'sample_app.sigterm_failed_in_flight',
        value: failures.length,
        unit: 'requests',
        target: t.sigtermFailedRequests,
        suite: SUITE,
        note: `${inFlightAtSignal} in flight at SIGTERM, ${ok} ok, ${notRouted} not routed after readiness 503, exit in ${exit.exitSeconds.toFixed(2)} s`,
      });
      expect(record.pass, `failed requests: ${failures.join(', ')}`).toBe(true);
      expect(inFlightAtSignal, 'requests were in flight when the signal arrived').toBeGreaterThan(10);
      expect(notRouted, 'the load went on after readiness turned 503').toBeGreaterThan(0);
      expect(exit.exitCode, 'clean exit').toBe(0);
      expect(exit.exitSeconds).toBeLessThanOrEqual(t.shutdownTimeoutMs / 1000);
      expect(refusedAfterExit, 'nothing listens after exit').toBe(true);
      expect(result.scheduled).toBe(500);
    } finally {
      await drain.stop();
    }
  });

  // ── Regression cases of the contract (sample-app/CONTRACT.md, ids contract.regression.<case>.<figure>) ──

  it('regression hung_primary: a primary paused for 12 s gives 503 + Retry-After within the request budget, never a 500; reads go on; retried writes are not duplicated', async () => {
    const owner = await newUser('hung-primary');
    const readable = await placeOrder(owner, randomUUID());
    await eventually('the order readable from the replica', async () => ((await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${readable}`)).status === 200 ? true : undefined));
    // An order whose event reaches the worker while the primary is paused: it must be retried, not dead-lettered.
    const sql = await primaryClient();
    await sql.connect();
    onTestFinished(() => sql.end().catch(() => undefined));
    const waiting = (await sql.query<{ id: string }>(`INSERT INTO orders (user_id, client, total_cents, currency) VALUES ($1, 'web', 100, 'EUR') RETURNING id`, [owner])).rows[0]!.id;
    const broker = await amqp.connect(await hostUrlNow(backends.rabbitmq.hostAmqpUrl, backends.rabbitmq.container, 5672));
    onTestFinished(() => broker.close().catch(() => undefined));
    const workerBefore = await scrape(app.workerMetricsUrl!);
    const writes: Array<Promise<Timed & { key: string }>> = [];
    const reads: Array<Promise<Timed>> = [];
    const primary = docker().getContainer(backends.postgres.primary.getId());
    await primary.pause();
    try {
      const channel = await broker.createConfirmChannel();
      const eventId = randomUUID();
      channel.publish(EXCHANGE, 'order.created', Buffer.from(JSON.stringify({ type: 'order.created', orderId: waiting, eventId })), { persistent: true, messageId: eventId });
      await channel.waitForConfirms();
      for (let second = 0; second < 12; second++) {
        const key = randomUUID();
        writes.push(timed(() => call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': key })).then((r) => ({ ...r, key })));
        reads.push(timed(() => call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${readable}`)));
        await sleep(1_000);
      }
    } finally {
      await primary.unpause();
    }
    const during = [...(await Promise.all(writes)), ...(await Promise.all(reads))];
    const written = await Promise.all(writes);
    const unavailable = written.filter((w) => w.status === 503);
    // The client retries every write it was told to retry, with the same key, until it gets its order.
    for (const w of written.filter((x) => x.status !== 201)) await retryUntilCreated(owner, w.key);
    const processedLate = await eventually(
      'the order event sent during the pause processed',
      async () => ((await sql.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [waiting])).rows[0]?.status === 'processed' ? true : undefined),
      90_000,
      500,
    ).catch(() => false);
    const workerAfter = await scrape(app.workerMetricsUrl!);
    const deadLettered = metric(workerAfter, 'queue_failed_total', { stage: 'dead_letter' }) - metric(workerBefore, 'queue_failed_total', { stage: 'dead_letter' });
    const retried = metric(workerAfter, 'worker_retries_scheduled_total', { class: 'transient' }) - metric(workerBefore, 'worker_retries_scheduled_total', { class: 'transient' });
    const orders = await countOrders(owner) - 1;
    const note = `statuses during the pause: ${JSON.stringify(countBy(during.map((d) => d.status)))}`;
    const figures = [
      recordRegressionFigure('hung_primary', 'http_500', during.filter((d) => d.status === 500).length, SUITE, note),
      recordRegressionFigure('hung_primary', 'max_latency_ms', Math.round(Math.max(...during.map((d) => d.ms))), SUITE, note),
      recordRegressionFigure('hung_primary', 'retry_after_missing', unavailable.filter((w) => !w.retryAfter).length, SUITE, `${unavailable.length} writes answered 503`),
      recordRegressionFigure('hung_primary', 'failed_reads', (await Promise.all(reads)).filter((r) => r.status !== 200).length, SUITE),
      recordRegressionFigure('hung_primary', 'duplicate_orders', orders - 1 - written.length, SUITE, `${written.length} keys, ${orders - 1} orders`),
      recordRegressionFigure('hung_primary', 'dead_lettered', deadLettered + (processedLate ? 0 : 1), SUITE, `the event was retried ${retried} times (transient), then processed: ${processedLate}`),
    ];
    for (const f of figures) expect(f.pass, `${f.id} = ${f.value} (${note})`).toBe(true);
    expect(unavailable.length, 'the pause was felt by writes').toBeGreaterThan(0);
  });

  it('regression ambiguous_commit: with the synchronous standby frozen, an order retried as told with its Idempotency-Key exists exactly once', async () => {
    const owner = await newUser('ambiguous-commit');
    const admin = await primaryClient();
    await admin.connect();
    const replica = docker().getContainer(backends.postgres.replica.getId());
    const key = randomUUID();
    const answers: Timed[] = [];
    try {
      await admin.query(`ALTER SYSTEM SET synchronous_standby_names = '*'`);
      await admin.query('SELECT pg_reload_conf()');
      await eventually('the replica is the synchronous standby', async () => {
        const { rows } = await admin.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication');
        return rows.some((r) => r.sync_state === 'sync') ? true : undefined;
      });
      await replica.pause();
      try {
        // The first answer comes when the request budget is spent: COMMIT was sent, its outcome unknown.
        answers.push(await timed(() => call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': key })));
        // Retried as told while the standby is still frozen: the first transaction still holds the key.
        await sleep(Number(answers[0]!.retryAfter ?? 1) * 1000);
        answers.push(await timed(() => call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': key })));
      } finally {
        await replica.unpause();
      }
      const final = await retryUntilCreated(owner, key, answers);
      expect(final.headers.get('idempotent-replayed'), 'the retry got the stored outcome of the first request').toBe('true');
    } finally {
      await admin.query('ALTER SYSTEM RESET synchronous_standby_names').catch(() => undefined);
      await admin.query('SELECT pg_reload_conf()').catch(() => undefined);
      await admin.end();
    }
    const orders = await countOrders(owner);
    const note = `answers: ${answers.map((a) => `${a.status}${a.retryAfter ? ` RA ${a.retryAfter}` : ''} ${a.error ?? ''} ${Math.round(a.ms)} ms`).join(', ')}`;
    const refused = answers.filter((a) => a.status === 503 || a.status === 409);
    const figures = [
      recordRegressionFigure('ambiguous_commit', 'duplicate_orders', orders - 1, SUITE, note),
      recordRegressionFigure('ambiguous_commit', 'retry_after_missing', refused.filter((a) => !a.retryAfter).length, SUITE, note),
      recordRegressionFigure('ambiguous_commit', 'server_errors', answers.filter((a) => a.status >= 500 && a.status !== 503).length, SUITE, note),
    ];
    for (const f of figures) expect(f.pass, `${f.id} = ${f.value} (${note})`).toBe(true);
    expect(answers[0]!.status, note).toBe(503);
    expect(answers[0]!.error).toBe('commit_outcome_unknown');
  });

  it('regression broker_alarm: under a memory alarm writes stay fast (outbox), and every event is processed once after it clears', async () => {
    const owner = await newUser('broker-alarm');
    const primary = await primaryClient();
    await primary.connect();
    // The worker's counter is compared with the orders' own transitions: start from a quiet worker.
    await quiet(primary);
    const before = await scrape(app.workerMetricsUrl!);
    const since = (await primary.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
    const rabbitmqctl = (...args: string[]) => backends.rabbitmq.container.exec(['rabbitmqctl', ...args]);
    const set = await rabbitmqctl('set_vm_memory_high_watermark', '0');
    expect(set.exitCode, set.output).toBe(0);
    const latencies: number[] = [];
    const ids: string[] = [];
    let backlogDuringAlarm = 0;
    let others = 0;
    try {
      await sleep(1_000); // the alarm is raised and the publishing connection blocked
      for (let i = 0; i < 30; i++) {
        const r = await timed(() => call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': randomUUID() }));
        expect(r.status, r.error).toBe(201);
        latencies.push(r.ms);
        ids.push(r.id!);
      }
      await sleep(1_000);
      const { rows } = await primary.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
      backlogDuringAlarm = Number(rows[0]?.n);
    } finally {
      await rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    }
    let processed = 0;
    try {
      processed = await eventually(
        'every order of the alarm processed',
        async () => {
          const { rows } = await primary.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id = ANY($1::bigint[]) AND status = 'processed'`, [ids]);
          return Number(rows[0]?.n) === ids.length ? ids.length : undefined;
        },
        90_000,
        500,
      ).catch(async () => Number((await primary.query<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id = ANY($1::bigint[]) AND status = 'processed'`, [ids])).rows[0]?.n));
      await quiet(primary); // late duplicates, if any, are counted by now
      others = Number((await primary.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE processed_at > $1 AND id <> ALL($2::bigint[])', [since, ids])).rows[0]?.n);
    } finally {
      await primary.end();
    }
    const after = await scrape(app.workerMetricsUrl!);
    const counted = metric(after, 'orders_processed_total') - metric(before, 'orders_processed_total');
    const deduplicated = metric(after, 'events_deduplicated_total') - metric(before, 'events_deduplicated_total');
    const p95 = quantile(latencies, 0.95);
    const note = `30 writes during the alarm, outbox backlog ${backlogDuringAlarm} while blocked, ${deduplicated} duplicate deliveries deduplicated by the worker`;
    const figures = [
      recordRegressionFigure('broker_alarm', 'write_p95_ms', Math.round(p95 * 10) / 10, SUITE, `${note}; max ${Math.round(Math.max(...latencies))} ms`),
      recordRegressionFigure('broker_alarm', 'lost_events', ids.length - processed, SUITE, note),
      recordRegressionFigure('broker_alarm', 'duplicate_effects', counted - ids.length - others, SUITE, `${counted} orders counted by the worker, ${others} of them from earlier cases`),
    ];
    for (const f of figures) expect(f.pass, `${f.id} = ${f.value} (${note})`).toBe(true);
    expect(backlogDuringAlarm, 'the events waited in the outbox while the broker was blocked').toBeGreaterThan(0);
  });

  it('regression keep_alive: POSTs through nginx with idle gaps around the keep-alive timeouts never get a 502; a stopped instance is skipped', async () => {
    const second = await startSampleApp({ ...backends.deps, name: 'second', withWorker: false });
    const nginx = await new GenericContainer(imageRef('nginx'))
      .withLabels(runLabels())
      .withNetworkMode(network.name)
      .withExposedPorts(8080)
      .withCopyContentToContainer([{ content: nginxConfigFor(['sample-api', 'second-api']), target: '/etc/nginx/nginx.conf', mode: 0o644 }])
      .withWaitStrategy(Wait.forHttp('/nginx-health', 8080).forStatusCode(200))
      .start();
    const proxy = `http://127.0.0.1:${nginx.getMappedPort(8080)}`;
    const owner = await newUser('keep-alive');
    const statuses: number[] = [];
    try {
      // Gaps just below/above Node's old keepAliveTimeout (5 s) and nginx's upstream keepalive_timeout (15 s).
      for (const gapMs of [0, 4_900, 5_100, 14_800, 15_200]) {
        await sleep(gapMs);
        const burst = await Promise.all(Array.from({ length: 4 }, () => call(proxy, app.apiKey, 'POST', '/v1/sessions', { userId: owner })));
        statuses.push(...burst.map((r) => r.status));
      }
      await second.stop();
      const failover = await Promise.all([
        ...Array.from({ length: 4 }, () => call(proxy, app.apiKey, 'GET', '/v1/products/3')),
        ...Array.from({ length: 4 }, () => call(proxy, app.apiKey, 'POST', '/v1/sessions', { userId: owner })),
      ]);
      expect(failover.map((r) => r.status), 'the stopped instance is skipped for GET and, as nothing was sent to it, for POST').toEqual([200, 200, 200, 200, 201, 201, 201, 201]);
    } finally {
      await nginx.stop();
      await second.stop().catch(() => undefined);
    }
    const record = recordRegressionFigure('keep_alive', 'http_502', statuses.filter((s) => s === 502).length, SUITE, `${statuses.length} POSTs: ${JSON.stringify(countBy(statuses))}`);
    expect(record.pass, JSON.stringify(countBy(statuses))).toBe(true);
    expect(statuses.every((s) => s === 201)).toBe(true);
  });

  /**
   * A client of the primary at its current published port: docker assigns a new host port when a
   * container is restarted (the stopped-primary case above restarts it).
   */
  async function primaryClient(): Promise<pg.Client> {
    return new pg.Client({ connectionString: await hostUrlNow(backends.postgres.hostWriteUrl, backends.postgres.primary, 5432) });
  }

  /** Waits (bounded) until the worker has nothing in flight: no unpublished event, no order processed in the last 3 s. */
  async function quiet(sql: pg.Client): Promise<void> {
    await eventually(
      'a quiet worker',
      async () => {
        const { rows } = await sql.query<{ backlog: string; idle: boolean }>(
          `SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS backlog,
                  coalesce((SELECT max(processed_at) FROM orders) < now() - interval '3 seconds', true) AS idle`,
        );
        return Number(rows[0]?.backlog) === 0 && rows[0]?.idle ? true : undefined;
      },
      60_000,
      500,
    );
  }

  /** A URL of `container` for the test process at its current published port (docker picks a new one on restart). */
  async function hostUrlNow(url: string, container: { getId(): string }, port: number): Promise<string> {
    const info = await docker().getContainer(container.getId()).inspect();
    const published = info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
    const parsed = new URL(url);
    if (published) parsed.port = published;
    return parsed.toString();
  }

  /** A fresh user: its orders are this case's orders. */
  async function newUser(tag: string): Promise<string> {
    const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/users', { email: `${tag}-${Date.now()}@example.test`, name: tag });
    expect(r.status, r.text).toBe(201);
    return (r.json as { id: string }).id;
  }

  function orderBody(owner: string) {
    return { userId: owner, items: [{ productId: '8', quantity: 1 }] };
  }

  async function placeOrder(owner: string, key: string): Promise<string> {
    const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': key });
    expect(r.status, r.text).toBe(201);
    return (r.json as { id: string }).id;
  }

  /** What a well-behaved client does: retry with the same key, after Retry-After, until the order is created (bounded). */
  async function retryUntilCreated(owner: string, key: string, log: Timed[] = []) {
    const until = performance.now() + 60_000;
    for (;;) {
      const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', orderBody(owner), { 'idempotency-key': key });
      log.push({ status: r.status, ms: 0, retryAfter: r.headers.get('retry-after') ?? undefined, error: (r.json as { error?: string } | undefined)?.error });
      if (r.status === 201) return r;
      if (performance.now() > until) throw new Error(`key ${key}: no 201 within 60 s, last ${r.status} ${r.text}`);
      await sleep(Number(r.headers.get('retry-after') ?? 1) * 1000);
    }
  }

  async function countOrders(owner: string): Promise<number> {
    const primary = await primaryClient();
    await primary.connect();
    try {
      const { rows } = await primary.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE user_id = $1', [owner]);
      return Number(rows[0]?.n);
    } finally {
      await primary.end();
    }
  }

});

interface Timed {
  status: number;
  ms: number;
  retryAfter?: string | undefined;
  error?: string | undefined;
  id?: string | undefined;
}

/** One call, timed from the client; a transport failure counts as status 0. */
async function timed(run: () => ReturnType<typeof call>): Promise<Timed> {
  const started = performance.now();
  try {
    const r = await run();
    const body = r.json as { error?: string; id?: string } | undefined;
    return { status: r.status, ms: performance.now() - started, retryAfter: r.headers.get('retry-after') ?? undefined, error: body?.error, id: body?.id };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, error: (error as Error).message };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const countBy = (values: number[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    setTimeout(() => resolve(text), 1_000);
  });
}
