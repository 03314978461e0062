import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveBudgets } from '../../src/shared/budgets.ts';
import { thresholds } from '../../src/shared/thresholds.ts';

/** The nginx configuration in front of the API (the file the nginx image ships). */
const conf = readFileSync(join(import.meta.dirname, '..', '..', '..', 'services', 'nginx', 'nginx.conf'), 'utf8').replace(/#.*$/gm, '');
const block = (name: string) => {
  const match = new RegExp(`${name}\\s*\\{([^}]*)\\}`).exec(conf);
  if (!match) throw new Error(`nginx.conf has no ${name} block`);
  return match[1]!;
};
const directive = (text: string, name: string) => new RegExp(`^\\s*${name}\\s+([^;]+);`, 'm').exec(text)?.[1]?.trim();
const seconds = (value: string | undefined) => {
  const match = /^(\d+)(s|ms)?$/.exec(value ?? '');
  if (!match) throw new Error(`not a duration: ${value}`);
  return match[2] === 'ms' ? Number(match[1]) / 1000 : Number(match[1]);
};

describe('nginx ↔ Node keep-alive and retries cannot race', () => {
  const upstream = block('upstream sample_api');
  const location = block('location /');
  const budgets = deriveBudgets();

  it('nginx closes idle upstream connections before Node does, and Node reads headers for longer than it keeps them', () => {
    const nginxIdle = seconds(directive(upstream, 'keepalive_timeout'));
    expect(nginxIdle, 'nginx.conf agrees with thresholds.proxyUpstreamKeepAliveSeconds').toBe(thresholds.proxyUpstreamKeepAliveSeconds);
    expect(budgets.http.keepAliveTimeoutMs).toBeGreaterThanOrEqual(nginxIdle * 1000 + 5_000);
    expect(budgets.http.headersTimeoutMs).toBeGreaterThan(budgets.http.keepAliveTimeoutMs);
  });

  it('the server the API creates really has those timeouts', () => {
    const server = createServer({ keepAliveTimeout: budgets.http.keepAliveTimeoutMs, headersTimeout: budgets.http.headersTimeoutMs, requestTimeout: budgets.http.requestTimeoutMs });
    expect(server.keepAliveTimeout).toBe(budgets.http.keepAliveTimeoutMs);
    expect(server.headersTimeout).toBe(budgets.http.headersTimeoutMs);
    expect(server.requestTimeout).toBe(budgets.http.requestTimeoutMs);
  });

  it('idempotent requests are retried once on the other instance; non-idempotent ones never', () => {
    const next = directive(location, 'proxy_next_upstream')!.split(/\s+/);
    expect(next).toEqual(expect.arrayContaining(['error', 'timeout', 'http_502', 'http_503']));
    expect(next, 'POST must not be re-sent').not.toContain('non_idempotent');
    expect(directive(location, 'proxy_next_upstream_tries')).toBe('2');
    expect(seconds(directive(location, 'proxy_next_upstream_timeout'))).toBe(thresholds.proxyNextUpstreamTimeoutSeconds);
    expect(seconds(directive(location, 'proxy_connect_timeout'))).toBe(thresholds.proxyConnectTimeoutSeconds);
    expect(thresholds.proxyConnectTimeoutSeconds, 'a connect timeout can still be retried').toBeLessThan(thresholds.proxyNextUpstreamTimeoutSeconds);
  });

  it('a 503 never takes an instance out of the pool (max_fails=0), and the API answers before nginx gives up', () => {
    const servers = [...upstream.matchAll(/^\s*server\s+([^;]+);/gm)].map((m) => m[1]!);
    expect(servers.length).toBeGreaterThanOrEqual(2);
    for (const server of servers) expect(server, server).toMatch(/max_fails=0/);
    expect(seconds(directive(location, 'proxy_read_timeout'))).toBe(thresholds.proxyReadTimeoutSeconds);
    expect(thresholds.proxyReadTimeoutSeconds * 1000).toBeGreaterThan(budgets.request.budgetMs + 1_000);
  });
});
