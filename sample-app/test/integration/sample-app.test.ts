import { request as httpRequest } from 'node:http';
import amqp from 'amqplib';
import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { runOpenModel } from '../../../src/load/open-model.ts';
import { targets } from '../../../src/core/targets.ts';
import { redisMasterKill } from '../../../src/scenarios/cache.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { record } from '../../../src/testing/record.ts';
import { itScenario, useSharedStack } from '../../../src/testing/stack.ts';
import { postgresCluster, type PostgresCluster } from '../../../services/postgres/cluster.ts';
import { redisTier } from '../../../services/redis/handle.ts';
import { sentinel } from '../../../services/redis/spec.ts';
import { productCacheKey } from '../../src/api/domain.ts';
import { DEAD_LETTER_QUEUE, EXCHANGE } from '../../src/shared/amqp.ts';
import { call, eventually } from '../support/http.ts';
import { malformedCases } from '../support/malformed.ts';
import { metric, scrape } from '../support/metrics.ts';

const t = targets.sampleApp;

describeWithDocker('sample-app: the API and worker on the one stack (Patroni behind HAProxy, Redis Sentinel, RabbitMQ, nginx)', () => {
  // The run's shared stack: `tiny` has a rate limit of 5 req/s; faults on for the shutdown case; a 1.5 s
  // pre-stop delay during which an instance still serves but reports not ready (SHARED_REQUEST).
  const stack = useSharedStack();
  /** The first API instance directly: its metrics are its own (behind nginx they would be split over two processes). */
  const app = { baseUrl: '', apiKey: '', tinyKey: '', apiMetricsUrl: '', workerMetricsUrl: '', rabbitmqMetricsUrls: [] as string[], amqpUrl: '' };
  let cluster: PostgresCluster;
  let userId: string;

  beforeAll(async () => {
    const s = stack();
    app.baseUrl = await s.first('sample-api').url('http');
    app.apiKey = s.apiKey('web');
    app.tinyKey = s.apiKey('tiny');
    app.apiMetricsUrl = `${app.baseUrl}/metrics`;
    app.workerMetricsUrl = await s.first('sample-worker').url('metrics', '/metrics');
    // A quorum queue's series come from the node that leads it: every node is read.
    app.rabbitmqMetricsUrls = await Promise.all(s.instances('rabbitmq').map((n) => n.url('metrics', '/metrics')));
    app.amqpUrl = `amqp://${s.secrets.rabbitmqUser}:${s.secrets.rabbitmqPassword}@127.0.0.1:${await s.first('rabbitmq').hostPort('amqp')}`;
    cluster = await postgresCluster(s);
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/users', { email: 'suite-owner@example.test', name: 'Suite Owner' });
    expect(created.status, created.text).toBe(201);
    userId = (created.json as { id: string }).id;
  });

  const primaryClient = async () => {
    const client = new pg.Client(cluster.clientConfig(cluster.write));
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };

  it('a write goes to the primary and is read back from a streaming replica (HAProxy read port)', async () => {
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '3', quantity: 2 }] });
    expect(created.status, created.text).toBe(201);
    const order = created.json as { id: string; totalCents: number };

    const replica = new pg.Client(cluster.clientConfig(cluster.read));
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
    // Other suites on the shared stack read the whole catalogue: start from an absent entry.
    await (await redisTier(stack()).master()).sh(`redis-cli DEL ${productCacheKey('42')}`);
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
    const before = await scrape(app.workerMetricsUrl);
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '5', quantity: 3 }, { productId: '6', quantity: 1 }] });
    expect(created.status, created.text).toBe(201);
    const order = created.json as { id: string; totalCents: number; status: string };
    expect(order.status).toBe('pending');
    const primary = await primaryClient();
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
    const after = await scrape(app.workerMetricsUrl);
    expect(metric(after, 'revenue_total', { currency: 'EUR' }) - metric(before, 'revenue_total', { currency: 'EUR' })).toBeCloseTo(order.totalCents / 100, 6);
    expect(metric(after, 'orders_processed_total') - metric(before, 'orders_processed_total')).toBe(1);
  });

  it('a poison message (an order that does not exist: a permanent error) lands in the dead-letter queue at once, without retries', async () => {
    const before = await scrape(app.workerMetricsUrl);
    const connection = await amqp.connect(app.amqpUrl);
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
      const after = await scrape(app.workerMetricsUrl);
      const failed = (stage: string) => metric(after, 'queue_failed_total', { stage }) - metric(before, 'queue_failed_total', { stage });
      expect(failed('process'), 'one attempt').toBe(1);
      expect(failed('dead_letter')).toBe(1);
      const recorded = record({ id: 'sample_app.poison_to_dlq_seconds', value: Number(seconds.toFixed(2)), unit: 's', target: t.poisonToDlqSeconds });
      expect(recorded.pass, `the poison message took ${seconds.toFixed(1)} s to reach the DLQ`).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('with the worker paused, events wait in the quorum queue (RabbitMQ per-queue metrics) and are all processed once it resumes', async () => {
    const worker = stack().first('sample-worker');
    await worker.pause();
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
          const perNode = await Promise.all(app.rabbitmqMetricsUrls.map(async (url) => metric(await scrape(url), 'rabbitmq_queue_messages', { queue: 'events.process' })));
          const value = Math.max(...perNode);
          return value >= ids.length ? value : undefined;
        },
        30_000,
        1_000,
      );
      expect(ready).toBeGreaterThanOrEqual(ids.length);
    } finally {
      await worker.unpause();
    }
    const primary = await primaryClient();
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
    const recorded = record({ id: 'sample_app.malformed_requests_5xx', value: serverErrors.length, unit: 'responses', target: t.malformed5xx, note: `${cases.length} malformed requests` });
    expect(recorded.pass, `5xx answers: ${JSON.stringify(serverErrors)}`).toBe(true);
    expect(outcomes.filter((o) => o.status !== o.expect), 'each case gets the documented status').toEqual([]);
    expect(metric(after, 'errors_total', { kind: 'http_5xx' }) - metric(before, 'errors_total', { kind: 'http_5xx' })).toBe(0);
    expect((await call(app.baseUrl, undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await call(app.baseUrl, undefined, 'GET', '/readyz')).status).toBe(200);
    expect((await stack().first('sample-api').state()).running).toBe(true);
  });

  it('a client over its per-client rate limit gets 429 with Retry-After; other clients are unaffected', async () => {
    const burst = await Promise.all(Array.from({ length: 15 }, () => call(app.baseUrl, app.tinyKey, 'GET', '/v1/products/1')));
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

  it('the image runs the app as a non-root user on Node >= 20: a bundle of the production code, beside it only the libraries OpenTelemetry instruments', async () => {
    const api = stack().first('sample-api');
    const id = await api.exec(['id', '-u']);
    expect(Number(id.output.trim())).toBeGreaterThan(0);
    const version = await api.exec(['node', '--version']);
    expect(Number(/^v(\d+)\./.exec(version.output.trim())?.[1])).toBeGreaterThanOrEqual(20);
    const listing = await api.exec(['ls', '-A', '/app']);
    expect(listing.output.trim().split('\n')).toEqual(['node_modules', 'sample-app.cjs']);
    const modules = await api.exec(['ls', '/app/node_modules']);
    expect(modules.output).toMatch(/amqplib[\s\S]*express[\s\S]*ioredis[\s\S]*pg\b/);
  });

  it('with Redis down, reads are still served from the database (degraded, counted), and the cache comes back', async () => {
    const redisContainers = [...stack().instances('redis'), ...stack().instances(sentinel.name)];
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
    const recorded = record({ id: 'sample_app.redis_down_failed_reads', value: failed.length, unit: 'requests', target: t.redisDownFailedReads, note: `${reads} reads with all Redis containers paused` });
    expect(recorded.pass, `failed reads: ${failed.join(', ')}`).toBe(true);
    expect(metric(after, 'cache_degraded_total', { cache: 'product' }) - metric(before, 'cache_degraded_total', { cache: 'product' }), 'every read counted as degraded').toBe(reads);
    expect(metric(after, 'circuit_breaker_state', { dependency: 'redis' }), 'the breaker opened').toBeGreaterThan(0);
    await eventually('a cache hit after Redis is back', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', '/v1/products/10');
      return r.headers.get('x-read-source') === 'cache' ? true : undefined;
    }, 30_000, 500);
  });

  itScenario(redisMasterKill, stack);

  it('the database unreachable (HAProxy stopped): writes get 503 (never 500) and /readyz 503 while it is down; once it is back, writes succeed without restarting the API', async () => {
    const primary = stack().first('haproxy');
    const session = () => call(app.baseUrl, app.apiKey, 'POST', '/v1/sessions', { userId }).then((r) => r.status, () => 0);
    await primary.stop(2);
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
    record({ id: 'sample_app.write_recovery_after_primary_start_seconds', value: Number(recoveredAfter.toFixed(2)), unit: 's', note: `from docker start of the write endpoint (HAProxy) to 5 writes in a row; ${during['503']} writes answered 503 during the 4 s outage` });
  });

  it('a restarted RabbitMQ node: API and worker reconnect, re-declare the topology, and a new order is processed', async () => {
    await stack().first('rabbitmq').restart(5);
    const created = await eventually('an order accepted after the broker restart', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '9', quantity: 1 }] });
      return r.status === 201 ? (r.json as { id: string }) : undefined;
    }, 60_000, 500);
    await eventually('the order processed after the broker restart', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${created.id}`);
      return (r.json as { status?: string } | undefined)?.status === 'processed' ? true : undefined;
    }, 90_000, 500);
    // Each API instance reconnects on its own schedule: readiness through nginx says "up" once they have.
    await eventually('readiness reports the broker up again', async () => ((await call(app.baseUrl, undefined, 'GET', '/readyz')).json as { checks?: { rabbitmq?: string } } | undefined)?.checks?.rabbitmq === 'up' ? true : undefined, 30_000, 500);
  });

  it('the worker drains and exits 0 on SIGTERM, and a replacement worker processes what was queued meanwhile', async () => {
    const worker = stack().first('sample-worker');
    await worker.stop(10);
    const exitCode = (await worker.state()).exitCode;
    expect(exitCode, `the worker exited cleanly; its last log lines:\n${exitCode === 0 ? '' : await worker.logs({ tail: 20 })}`).toBe(0);
    const created = await call(app.baseUrl, app.apiKey, 'POST', '/v1/orders', { userId, items: [{ productId: '33', quantity: 1 }] });
    expect(created.status, created.text).toBe(201);
    await worker.start();
    await eventually('the order queued while no worker ran is processed', async () => {
      const r = await call(app.baseUrl, app.apiKey, 'GET', `/v1/orders/${(created.json as { id: string }).id}`);
      return (r.json as { status?: string } | undefined)?.status === 'processed' ? true : undefined;
    }, 60_000, 300);
  });

  it('SIGTERM under load: readiness turns 503, every in-flight request completes, 0 requests fail, and the process exits 0 in time', async () => {
    // The second API instance with a real 300 ms delay on every /v1 call (sample-app.faults) so dozens of
    // requests are in flight at SIGTERM; the stack gives it a 1.5 s pre-stop delay (SHUTDOWN_DELAY_MS).
    const drain = stack().instances('sample-api')[1]!;
    {
      const set = await call(await drain.url('http'), undefined, 'PUT', '/internal/faults', { latencyMs: 300 });
      expect(set.status, set.text).toBe(200);
      // Straight to the container's address, as a load balancer would (docker's port proxy would mask refusals).
      const target = { hostname: await drain.ip(), port: 8080 };
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
          const status = await get('/v1/products/1', { 'x-api-key': app.apiKey });
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
      const exit = await drain.signalAndWait('SIGTERM');
      const result = await load;
      await balancer;
      const refusedAfterExit = await get('/healthz').then(() => false, () => true);
      const recorded = record({
        id: 'sample_app.sigterm_failed_in_flight',
        value: failures.length,
        unit: 'requests',
        target: t.sigtermFailedRequests,
        note: `${inFlightAtSignal} in flight at SIGTERM, ${ok} ok, ${notRouted} not routed after readiness 503, exit in ${exit.exitSeconds.toFixed(2)} s`,
      });
      expect(recorded.pass, `failed requests: ${failures.join(', ')}`).toBe(true);
      expect(inFlightAtSignal, 'requests were in flight when the signal arrived').toBeGreaterThan(10);
      expect(notRouted, 'the load went on after readiness turned 503').toBeGreaterThan(0);
      expect(exit.exitCode, 'clean exit').toBe(0);
      expect(exit.exitSeconds).toBeLessThanOrEqual(t.shutdownTimeoutMs / 1000);
      expect(refusedAfterExit, 'nothing listens after exit').toBe(true);
      expect(result.scheduled).toBe(500);
    }
  });
});
