import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { docker } from '../../../src/core/docker/engine.ts';
import { imageRef } from '../../../src/core/images/catalog.ts';
import { waitFor } from '../../../src/core/poll.ts';
import { logConfig } from '../../../src/stack/docker/container.ts';
import { placementLabels, serviceNetwork } from '../../../src/stack/docker/placement.ts';
import type { RunningStack } from '../../../src/stack/docker/stack.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { record } from '../../../src/testing/record.ts';
import { targets } from '../../../src/core/targets.ts';
import { useStack } from '../../../src/testing/stack.ts';

/**
 * The log tier on the one stack: every container's json-file log → the log shipper (rsyslog) → OpenSearch,
 * the API's ECS lines searchable by request id, a burst with none lost, the API unaffected while the search
 * tier is cut off and the backlog arriving when it is back, retention deleting an expired index.
 */
const BURST_LINES = 10_000;
/** Polls until `holds` is true (bounded), failing with what was awaited. */
const until = (what: string, holds: () => Promise<boolean>, timeoutMs: number, intervalMs: number) => waitFor(what, async () => ((await holds()) ? true : undefined), { timeoutMs, intervalMs });
const VISIBLE_WITHIN_S = targets.logs.searchVisibleSeconds.value;

describeWithDocker('logs: every service\'s lines in the search tier, none lost, the API unaffected by its outages', () => {
  // Two Postgres members and one API instance: the log tier is what is measured, on a shared 2-core machine.
  const stack = useStack({ services: ['nginx', 'opensearch', 'log-shipper'], replicas: { postgres: 2, 'sample-api': 1, rabbitmq: 1 } });

  const searchUrl = () => stack().first('opensearch').url('http');
  const search = async (index: string, body: object) => {
    const r = await fetch(`${await searchUrl()}/${index}/_search?ignore_unavailable=true&allow_no_indices=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
    if (!r.ok) throw new Error(`search ${index}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { hits: { total: { value: number }; hits: Array<{ _source: Record<string, unknown> }> }; aggregations?: Record<string, { value: number }> };
  };
  const byRequestId = (id: string) => search('logs-sample-api-*', { query: { term: { 'http.request.id': id } }, size: 5 });
  const api = async (path: string, init: RequestInit = {}) =>
    fetch(`${await stack().first('nginx').url('http')}${path}`, { ...init, headers: { 'X-API-Key': stack().apiKey(), 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(10_000) });

  it(`a request's log line is searchable by its request id within ${VISIBLE_WITHIN_S} s, through OpenSearch and through GET /v1/search/logs`, async () => {
    // The first line of a fresh index includes the index's creation: warm the tier up with one request first.
    await api('/v1/products/1', { headers: { 'X-Request-Id': `warm-${randomUUID()}` } });
    await until('the first sample-api line in the search tier', async () => (await search('logs-sample-api-*', { size: 0 })).hits.total.value > 0, 120_000, 500);
    const id = `visible-${randomUUID()}`;
    const t0 = performance.now();
    const answer = await api('/v1/products/1', { headers: { 'X-Request-Id': id } });
    expect(answer.status).toBe(200);
    await until(`the log line of request ${id}`, async () => (await byRequestId(id)).hits.total.value > 0, 60_000, 100);
    const seconds = (performance.now() - t0) / 1000;
    const doc = (await byRequestId(id)).hits.hits[0]!._source as { service?: { name?: string }; log?: { level?: string }; ecs?: { version?: string } };
    expect(doc.service?.name).toBe('sample-api');
    expect(doc.log?.level).toBe('info');
    expect(doc.ecs?.version).toMatch(/^8\./);
    const viaApi = await api(`/v1/search/logs?requestId=${id}`);
    expect(viaApi.status).toBe(200);
    expect(((await viaApi.json()) as { hits: Array<{ requestId: string }> }).hits.map((h) => h.requestId)).toContain(id);
    const r = record({ id: 'logs.search_visible_seconds', value: Number(seconds.toFixed(2)), unit: 's', target: targets.logs.searchVisibleSeconds });
    expect(r.pass, `the line took ${seconds.toFixed(1)} s to become searchable`).toBe(true);
  }, 240_000);

  it(`a burst of ${BURST_LINES.toLocaleString('en')} lines from a one-off container arrives with none lost and none doubled`, async () => {
    const run = randomUUID().slice(0, 8);
    const t0 = performance.now();
    const writerSeconds = await writeBurst(stack(), run, BURST_LINES);
    const distinct = async () => {
      const r = await search('logs-burst-*', { size: 0, query: { prefix: { 'event.id': `${run}-` } }, aggs: { ids: { cardinality: { field: 'event.id', precision_threshold: 40_000 } } } });
      return { docs: r.hits.total.value, ids: r.aggregations?.ids?.value ?? 0 };
    };
    let last = { docs: 0, ids: 0 };
    await until(`${BURST_LINES} burst lines searchable`, async () => (last = await distinct()).docs >= BURST_LINES, 180_000, 1_000).catch(() => undefined);
    const seconds = (performance.now() - t0) / 1000;
    record({ id: 'logs.burst_writer_seconds', value: Number(writerSeconds.toFixed(2)), unit: 's' });
    record({ id: 'logs.burst_all_searchable_seconds', value: Number(seconds.toFixed(1)), unit: 's' });
    record({ id: 'logs.duplicated_lines', value: last.docs - last.ids, unit: 'lines', target: targets.logs.duplicatedLines });
    const lost = record({ id: 'logs.lost_lines', value: BURST_LINES - last.ids, unit: 'lines', target: targets.logs.lostLines });
    expect(lost.pass, `${BURST_LINES - last.ids} of ${BURST_LINES} burst lines never arrived (docs ${last.docs}, distinct ids ${last.ids})`).toBe(true);
  }, 300_000);

  it('the search tier cut off: no API request fails, search answers 503 + Retry-After, and the backlog arrives when it is back', async () => {
    const tier = stack().first('opensearch');
    const marker = `during-outage-${randomUUID()}`;
    const user = (await (await api('/v1/users', { method: 'POST', body: JSON.stringify({ email: `${marker}@example.test`, name: 'outage' }) })).json()) as { id: string };
    await tier.isolate();
    const failures: number[] = [];
    let sent = 0;
    let searchAnswer: Response | undefined;
    try {
      for (let i = 0; i < 60; i++) {
        const headers: Record<string, string> = i === 0 ? { 'X-Request-Id': marker } : {};
        const r = i % 3 === 2
          ? await api('/v1/orders', { method: 'POST', body: JSON.stringify({ userId: user.id, items: [{ productId: '1', quantity: 1 }] }), headers })
          : await api(`/v1/products/${1 + (i % 5)}`, { headers });
        sent++;
        if (r.status >= 400) failures.push(r.status);
        // 10 requests a second: under the client's rate limit, so a failure can only be the outage's.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      searchAnswer = await api(`/v1/search/logs?requestId=${marker}`);
    } finally {
      await tier.recover();
    }
    record({ id: 'logs.api_requests_while_search_down', value: sent, unit: 'requests' });
    const failed = record({ id: 'logs.api_failed_while_search_down', value: failures.length, unit: 'requests', target: targets.logs.apiFailedWhileSearchDown, ...(failures.length ? { note: `statuses ${failures.join(', ')}` } : {}) });
    expect(searchAnswer?.status).toBe(503);
    expect(Number(searchAnswer?.headers.get('retry-after'))).toBeGreaterThan(0);
    const t0 = performance.now();
    await until(`the line of ${marker}, written while the search tier was cut off`, async () => (await byRequestId(marker).catch(() => ({ hits: { total: { value: 0 } } }))).hits.total.value > 0, 180_000, 500);
    record({ id: 'logs.backlog_arrived_seconds', value: Number(((performance.now() - t0) / 1000).toFixed(1)), unit: 's' });
    expect(failed.pass, `${failures.length} of ${sent} API requests failed while the search tier was cut off (statuses ${failures.join(', ')})`).toBe(true);
  }, 300_000);

  it('retention deletes an index older than RETENTION_SECONDS (by creation time) and keeps a younger one', async () => {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '.');
    const base = await searchUrl();
    const create = (name: string) => fetch(`${base}/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => expect(r.ok).toBe(true));
    const exists = async (name: string) => (await fetch(`${base}/${name}`, { method: 'HEAD' })).status === 200;
    const old = `logs-retention-old-${day}`;
    const young = `logs-retention-young-${day}`;
    await create(old);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await create(young);
    // The loop's own pass (log-tier retention), run now with a 4 s retention instead of waiting out the
    // profile's, narrowed to this test's indices (the stack's own log indices are young too).
    const t0 = performance.now();
    await stack().first('log-shipper').sh('RETENTION_SECONDS=4 RETENTION_PATTERN=logs-retention-* log-tier retention', { timeoutMs: 60_000 });
    const deleted = !(await exists(old));
    record({ id: 'logs.retention_deleted_expired_index', value: deleted ? 1 : 0, unit: 'bool', target: targets.logs.retentionDeletedExpiredIndex });
    record({ id: 'logs.retention_pass_seconds', value: Number(((performance.now() - t0) / 1000).toFixed(2)), unit: 's' });
    expect(deleted, `${old} (6 s old, retention 4 s) is still there`).toBe(true);
    expect(await exists(young), `${young} (younger than the retention) was deleted`).toBe(true);
  }, 120_000);
});

/** Runs a one-off container of the stack (labelled, on its network, its lines tagged `<project>/burst`) printing `lines` ECS lines; returns its run time in s. */
async function writeBurst(stack: RunningStack, run: string, lines: number): Promise<number> {
  const script = `for i in $(seq 1 ${lines}); do printf '{"log.level":"info","message":"burst line %d","event.id":"${run}-%d"}\\n' "$i" "$i"; done`;
  const container = await docker().createContainer({
    name: `${stack.project}-burst-${run}`,
    Image: imageRef('log-shipper'),
    Entrypoint: ['bash', '-c', script],
    Labels: placementLabels(stack.placement),
    HostConfig: { NetworkMode: serviceNetwork(stack.placement), LogConfig: logConfig('burst', stack.placement) },
  });
  const t0 = performance.now();
  try {
    await container.start();
    const result = (await Promise.race([container.wait(), new Promise((_, reject) => setTimeout(() => reject(new Error('the burst writer did not finish within 120 s')), 120_000))])) as { StatusCode: number };
    expect(result.StatusCode).toBe(0);
    return (performance.now() - t0) / 1000;
  } finally {
    // Removing it later would race the shipper reading its file: give the shipper until the end of the run.
    setTimeout(() => void container.remove({ force: true }).catch(() => undefined), 60_000).unref();
  }
}
