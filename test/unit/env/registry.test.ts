import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ENV_NETWORK, containerOptions, type EnvContext } from '../../../src/env/service.ts';
import { SERVICES, startOrder } from '../../../src/env/services.ts';
import { listImageNames } from '../../../src/core/images/catalog.ts';

const ctx: EnvContext = { network: ENV_NETWORK, profile: 'test', available: new Set(SERVICES.map((s) => s.name)) };

describe('the environment registry', () => {
  it('has the architecture of the plan: etcd ×3, Patroni ×3, HAProxy, Redis + Sentinel, RabbitMQ, ≥ 2 API instances behind nginx, worker, monitoring', () => {
    const names = SERVICES.map((s) => s.name);
    for (const n of ['etcd1', 'etcd2', 'etcd3', 'pg1', 'pg2', 'pg3', 'haproxy', 'redis1', 'redis2', 'redis-sentinel', 'rabbitmq', 'nginx', 'sample-worker', 'prometheus', 'alertmanager', 'postgres-exporter', 'redis-exporter', 'node-exporter', 'grafana', 'elasticsearch']) {
      expect(names).toContain(n);
    }
    expect(SERVICES.find((s) => s.name === 'nginx')!.dependsOn.filter((d) => d.startsWith('sample-api')).length).toBeGreaterThanOrEqual(2);
  });

  it('orders every service after its dependencies; no service needs a laptop-only one', () => {
    const order = startOrder().map((s) => s.name);
    for (const s of SERVICES) {
      for (const d of s.dependsOn) {
        expect(order.indexOf(d), `${s.name} depends on ${d}`).toBeLessThan(order.indexOf(s.name));
        if (!s.laptop) expect(SERVICES.find((x) => x.name === d)!.laptop ?? false, `${s.name} needs laptop-only ${d}`).toBe(false);
      }
    }
  });

  it('builds every refstack image from images/, gives each service a health check, and names each container once', () => {
    const buildable = new Set(listImageNames());
    for (const s of SERVICES) {
      if ('build' in s.image) expect(buildable.has(s.image.build), `images/${s.image.build}/Dockerfile`).toBe(true);
      expect(containerOptions(s, ctx).Healthcheck?.Test?.length, `${s.name} has no health check`).toBeGreaterThan(0);
    }
    expect(new Set(SERVICES.map((s) => s.name)).size).toBe(SERVICES.length);
  });
});

describe('refstack up / drill usage', () => {
  const refstack = (args: string[]) => spawnSync(process.execPath, ['bin/refstack.js', ...args], { encoding: 'utf8', timeout: 60_000 });

  it.each([
    [['up', '--profile', 'staging'], /--profile must be one of test, production, got "staging"/],
    [['drill'], /drill needs one scenario name: kill-primary, switchover, redis-master-kill, worker-stop/],
    [['drill', 'unplug-everything'], /unknown drill "unplug-everything"/],
  ])('refstack %j is a usage error (exit 2) naming the valid choices', (args, message) => {
    const r = refstack(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
