import { describe, expect, it } from 'vitest';
import { formatCores } from '../../cpu-sampler.ts';
import { nginxConfigFor } from '../../environment.ts';
import { queries, window } from '../../prometheus.ts';

describe('nginxConfigFor', () => {
  it("keeps the web tier's configuration and points its upstream at the run's API instances", () => {
    const config = nginxConfigFor(['latency-1-api', 'latency-2-api', 'latency-3-api']);
    expect(config).not.toMatch(/server sample-api-\d/);
    expect(config.match(/^\s*server latency-\d-api:8080 max_fails=2 fail_timeout=5s;$/gm)).toHaveLength(3);
    expect(config).toContain('proxy_next_upstream error timeout;');
    expect(config).toContain('location = /nginx-health');
  });
});

describe('latency queries', () => {
  it('count application requests only, over whole-second windows of at least two scrapes', () => {
    expect(queries.serverQuantile(0.95, 30)).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="sample-api",route!~"/metrics|/healthz|/readyz"}[30s])))',
    );
    expect(queries.dbQuantile(0.95, 5)).toContain('rate(query_duration_bucket{service="sample-api"}[5s])');
    expect(() => window(1)).toThrow(/at least 2 s/);
  });
});

describe('formatCores', () => {
  it('lists the biggest consumers first', () => {
    expect(formatCores({ nginx: 0.05, pg1: 0.291, api: 0.2 }, 2)).toBe('pg1 0.29, api 0.20');
  });
});
