import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker } from '../../../src/core/docker/engine.ts';
import type { DrillReport } from '../../../src/env/drills/drills.ts';
import { ENV_FILTER } from '../../../src/env/environment.ts';
import { ENV_PORTS } from '../../../src/env/ports.ts';
import type { ServiceStatus } from '../../../src/env/service.ts';
import { SERVICES } from '../../../src/env/services.ts';
import { recordResult } from '../../../src/core/results/results.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';

const SUITE = 'test/integration/env/environment.test.ts';

/** The CLI exactly as a user runs it; bounded so that a hung command fails the test instead of the run. */
function refstack(args: string[], timeoutMs: number): Promise<{ code: number; out: string; err: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/refstack.js', ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, out, err) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out, err, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) });
    });
  });
}

/** Runs a drill through the CLI and records every figure it reports. */
async function drill(name: string) {
  const r = await refstack(['drill', name, '--json'], 240_000);
  expect(r.out, `drill ${name} produced no report:\n${r.err.slice(-4000)}`).toMatch(/^\{/);
  const report = JSON.parse(r.out) as DrillReport;
  return report.figures.map((f) => recordResult({ id: f.id, value: f.value, unit: f.unit, ...(f.target ? { target: f.target } : {}), suite: SUITE, ...(f.note ? { note: f.note } : {}) }));
}

async function envResources() {
  const filters = { label: ENV_FILTER };
  const [containers, networks, volumes] = await Promise.all([
    docker().listContainers({ all: true, filters }),
    docker().listNetworks({ filters }),
    docker().listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: (volumes.Volumes ?? []).length };
}

describeWithDocker('refstack up → status → drill kill-primary → down: the whole environment on one machine', () => {
  beforeAll(async () => {
    const existing = await envResources();
    if (existing.containers > 0) {
      throw new Error(`an environment from \`refstack up\` is running (${existing.containers} containers); this suite starts and removes its own: run \`refstack down\` first`);
    }
  });

  afterAll(async () => {
    await refstack(['down'], 120_000);
  });

  it('`refstack up --profile test` starts every service healthy and prints the endpoints; laptop-only services are reported, not dropped', async () => {
    const r = await refstack(['up', '--profile', 'test'], 240_000);
    expect(r.code, `refstack up failed:\n${r.err.slice(-4000)}`).toBe(0);
    recordResult({ id: 'env.up_seconds', value: r.seconds, unit: 's', suite: SUITE, note: 'refstack up --profile test from built images, every service healthy' });
    const statuses = JSON.parse((await refstack(['status', '--json'], 60_000)).out) as ServiceStatus[];
    expect(statuses.map((s) => s.service).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    for (const s of statuses) {
      const def = SERVICES.find((d) => d.name === s.service)!;
      if (def.laptop && s.state === 'unavailable') {
        expect(r.out, `${s.service} must be named as unavailable by up`).toMatch(new RegExp(`${s.service}: image .* is not present`));
        continue;
      }
      expect([s.service, s.state, s.health]).toEqual([s.service, 'running', 'healthy']);
    }
    for (const name of ['API', 'Prometheus', 'Alertmanager', 'HAProxy stats', 'Grafana', 'RabbitMQ AMQP']) expect(r.out).toContain(name);
    expect(r.out).toContain(`http://127.0.0.1:${ENV_PORTS.api}/`);
  });

  it('`refstack up` on the running environment is a no-op that prints the table again', async () => {
    const r = await refstack(['up', '--profile', 'test'], 120_000);
    expect(r.code, r.err.slice(-2000)).toBe(0);
    expect(r.out).toMatch(/environment already up: nothing started/);
    expect(r.out).toContain('endpoints (127.0.0.1 only)');
  });

  it('`refstack status` shows the Patroni leader and replicas with their lag, and the Redis master and replica', async () => {
    const statuses = JSON.parse((await refstack(['status', '--json'], 60_000)).out) as ServiceStatus[];
    const detail = (name: string) => statuses.find((s) => s.service === name)?.detail ?? '';
    const pg = ['pg1', 'pg2', 'pg3'].map(detail);
    expect(pg.filter((d) => d.startsWith('leader')), pg.join(' | ')).toHaveLength(1);
    expect(pg.filter((d) => /replica|sync_standby/.test(d) && /lag \d+ B/.test(d)), pg.join(' | ')).toHaveLength(2);
    const redis = [detail('redis1'), detail('redis2')];
    expect(redis.map((d) => /^(master|replica)\b/.exec(d)?.[1]).sort(), redis.join(' | ')).toEqual(['master', 'replica']);
    expect(redis.find((d) => d.startsWith('master')), 'the master reports how far its replica is behind').toMatch(/\d+ B behind/);
  });

  it('`refstack drill kill-primary`: a new primary within the RTO, no acknowledged write lost, and the API kept serving reads and recovered its writes', async () => {
    const records = await drill('kill-primary');
    const get = (suffix: string) => {
      const found = records.find((rec) => rec.id === `env.kill_primary.${suffix}`);
      if (!found) throw new Error(`the drill did not report ${suffix}`);
      return found;
    };
    expect(get('rto_seconds').pass, `write outage ${get('rto_seconds').value} s: ${get('rto_seconds').note}`).toBe(true);
    expect(get('lost_acknowledged_writes').pass, 'acknowledged writes lost').toBe(true);
    expect(get('split_brain_observations').pass, 'two primaries at once').toBe(true);
    expect(get('api_failed_reads').pass, `the API failed reads during the failover: ${get('api_failed_reads').note}; ${get('app_process_restarts').note}`).toBe(true);
    expect(get('api_write_recovery_seconds').pass, `the API's writes did not recover in time: ${get('api_write_recovery_seconds').note}`).toBe(true);
  });

  it.each([
    ['switchover', ['write_pause_seconds', 'lost_acknowledged_writes', 'api_failed_reads']],
    ['redis-master-kill', ['api_failed_reads']],
    ['worker-stop', ['unprocessed_orders']],
  ])('`refstack drill %s` runs against the same environment and meets its targets', async (name, asserted) => {
    const report = await drill(name);
    for (const suffix of asserted) {
      const record = report.find((rec) => rec.id === `env.${name.replace(/-/g, '_')}.${suffix}`);
      expect(record, `the drill did not report ${suffix}`).toBeDefined();
      expect(record!.pass, `${record!.id} = ${record!.value} ${record!.unit} (target ${record!.target}): ${record!.note ?? ''}`).toBe(true);
    }
  });

  it('`refstack down` removes every container, network and volume `up` created', async () => {
    const r = await refstack(['down'], 120_000);
    expect(r.code, r.err).toBe(0);
    expect(await envResources()).toEqual({ containers: 0, networks: 0, volumes: 0 });
    const byName = await docker().listContainers({ all: true, filters: { name: ['refstack-'] } });
    expect(byName.filter((c) => c.Names.some((n) => SERVICES.some((s) => n === `/refstack-${s.name}`))).map((c) => c.Names[0])).toEqual([]);
  });
});
