import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/shared/metrics.ts';

const doc = readFileSync(new URL('../../METRICS.md', import.meta.url), 'utf8');
/** First-column metric names of the tables in METRICS.md. */
const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));

describe('metrics', () => {
  it('every metric in METRICS.md is registered, with the documented type (the alert rules depend on the names)', async () => {
    const metrics = createMetrics('sample-api');
    const registered = new Map((await metrics.register.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    expect(documented.length).toBeGreaterThanOrEqual(20);
    for (const { name, type } of documented) expect(registered.get(name), name).toBe(type);
  });

  it('every metric the app registers (beyond the default process and nodejs ones) is documented', async () => {
    const names = (await createMetrics('sample-api').register.getMetricsAsJSON()).map((m) => m.name).filter((n) => !/^(process|nodejs)_/.test(n));
    const known = new Set(documented.map((d) => d.name));
    expect(names.filter((n) => !known.has(n))).toEqual([]);
  });

  it('the plan\'s names are there, and the latency histogram has 0.2, 1 and 5 s bucket bounds', async () => {
    const metrics = createMetrics('sample-worker');
    const names = (await metrics.register.getMetricsAsJSON()).map((m) => m.name);
    for (const name of ['http_requests_total', 'http_request_duration_seconds', 'http_requests_in_progress', 'errors_total', 'connections_used', 'query_duration', 'slow_queries', 'replication_lag', 'cache_hits_total', 'cache_misses_total', 'queue_published_total', 'queue_consumed_total', 'queue_failed_total', 'queue_depth', 'active_users', 'sessions_created_total', 'api_usage_by_client', 'revenue_total', 'process_cpu_seconds_total']) {
      expect(names, name).toContain(name);
    }
    metrics.httpDuration.observe({ method: 'GET', route: '/x', status: '200' }, 0.15);
    const text = await metrics.register.metrics();
    for (const le of ['0.005', '0.2', '1', '5', '10']) expect(text).toContain(`http_request_duration_seconds_bucket{le="${le}",service="sample-worker",method="GET"`);
    expect(text).toContain('service="sample-worker"');
  });
});
