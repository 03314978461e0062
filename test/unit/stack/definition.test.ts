import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImageNames } from '../../../src/core/images/catalog.ts';
import { ROOT, SERVICES_DIR } from '../../../src/core/paths.ts';
import { CONTAINER_FAULTS, instanceNames } from '../../../src/core/spec.ts';
import { CORE_SERVICES, STACK, withDependencies } from '../../../src/stack/definition.ts';
import { planStack } from '../../../src/stack/plan.ts';
import { generateSecrets } from '../../../src/stack/secrets.ts';

const plan = (request: Parameters<typeof planStack>[0]) => planStack(request, generateSecrets());

describe('the one stack', () => {
  it("has the plan's architecture: etcd ×3, Patroni ×3, HAProxy, Redis ×3 + Sentinel ×3, RabbitMQ ×3, API ×2 behind nginx, worker, monitoring", () => {
    const instances = plan({ profile: 'production', services: STACK.map((s) => s.name) }).instances.map((i) => i.name);
    for (const n of ['etcd1', 'etcd2', 'etcd3', 'pg1', 'pg2', 'pg3', 'haproxy', 'redis1', 'redis2', 'redis3', 'redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3', 'rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3', 'sample-api-1', 'sample-api-2', 'nginx', 'sample-worker', 'prometheus', 'alertmanager', 'alert-receiver', 'pg1-exporter', 'redis1-exporter', 'node-exporter', 'container-node', 'grafana', 'elasticsearch']) {
      expect(instances).toContain(n);
    }
  });

  it('a subset brings its dependencies, each after what it depends on; no core service needs a laptop-only one', () => {
    const order = withDependencies(['nginx']).map((s) => s.name);
    expect(order).toEqual(expect.arrayContaining(['etcd', 'postgres', 'haproxy', 'redis', 'redis-sentinel', 'rabbitmq', 'sample-api', 'nginx']));
    expect(order).not.toContain('prometheus');
    for (const s of withDependencies(STACK.map((x) => x.name))) {
      for (const d of s.dependsOn) expect(order.indexOf(d) <= order.indexOf(s.name) || !order.includes(s.name), `${s.name} after ${d}`).toBe(true);
    }
    for (const name of CORE_SERVICES) expect(withDependencies([name]).every((s) => !('pull' in s.image)), name).toBe(true);
  });

  it('builds every refstack image from services/<folder>/, names each instance once, and gives every service a health check and a summary', () => {
    const images = new Set(listImageNames());
    const all = STACK.flatMap((s) => instanceNames(s));
    expect(new Set(all).size).toBe(all.length);
    for (const s of STACK) {
      if ('build' in s.image) expect(images, `${s.name} builds services/${s.image.build}/`).toContain(s.image.build);
      expect(s.health.command.length, s.name).toBeGreaterThan(0);
      expect(s.summary.length, s.name).toBeGreaterThan(10);
      for (const f of s.faults ?? []) expect(CONTAINER_FAULTS.map((c) => c.verb), `${s.name} redefines ${f.verb}`).not.toContain(f.verb);
    }
  });

  it('refuses bad requests with what is allowed', () => {
    expect(() => plan({ profile: 'test', services: ['postgress'] })).toThrow(/unknown service "postgress"; the stack has: etcd, postgres/);
    expect(() => plan({ profile: 'test', services: ['haproxy'], replicas: { postgres: 5 } })).toThrow(/postgres runs 2 to 3 instance\(s\), not 5/);
    expect(() => plan({ profile: 'test', services: ['haproxy'], replicas: { 'sample-api': 2 } })).toThrow(/the stack does not run "sample-api"/);
    expect(() => plan({ profile: 'test', services: ['haproxy'], options: { 'postgres.sync': 'off' } })).toThrow(/unknown stack option "postgres.sync"; options of this stack: postgres.synchronous/);
  });

  it('renders one Prometheus target per process, each named by its instance', () => {
    const p = plan({ profile: 'test', services: ['prometheus', 'nginx'], replicas: { 'sample-api': 3 } });
    const prom = p.instancesOf('prometheus')[0]!;
    const config = prom.spec.files!(prom.ctx).find((f) => f.path.endsWith('prometheus.yml'))!.content;
    for (const i of ['sample-api-1', 'sample-api-2', 'sample-api-3']) expect(config).toContain(`- ${i}:8080\n        labels:\n          instance: ${i}`);
    expect(config).not.toMatch(/- sample-api:8080/);
  });

  it("keeps each service's settings in its own folder: Redis's names appear under services/redis/ only", () => {
    const offenders = tsFiles(ROOT)
      .filter((f) => !f.startsWith('services/redis/') && !f.startsWith('node_modules') && !f.includes('/test/') && !f.startsWith('test/'))
      .filter((f) => /mymaster|redis-sentinel/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('every service folder with a Dockerfile has a typed spec', () => {
    for (const folder of listImageNames()) {
      const files = readdirSync(join(SERVICES_DIR, folder));
      expect(files, `services/${folder}`).toContain('spec.ts');
    }
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (['node_modules', '.git', 'reports', '.refstack'].includes(e.name)) return [];
    const full = join(dir, e.name);
    return e.isDirectory() ? tsFiles(full) : e.name.endsWith('.ts') ? [relative(ROOT, full)] : [];
  });
}
