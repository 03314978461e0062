import { sleep } from '../core/poll.ts';
import type { RunningStack } from '../stack/docker/stack.ts';
import { postgresCluster } from '../../services/postgres/cluster.ts';
import { redisInfo, sentinelMaster } from '../../services/redis/probe.ts';
import { MASTER_NAME, sentinel } from '../../services/redis/spec.ts';
import { apiClient } from '../../services/sample-app/client.ts';
import { ToxiproxyClient } from '../../services/toxiproxy/client.ts';
import { percentile } from './stats.ts';

/** One reading of a probe: a number (booleans read 1 when true) and what it saw. */
export interface ProbeReading {
  value: number;
  unit: string;
  detail: string;
}

/**
 * A steady-state probe (LitmusChaos' probes, Chaos Toolkit's hypothesis): it reads the running stack and
 * returns one figure. `tolerance: 'required'` probes need a tolerance in the experiment file (a threshold
 * from src/core/targets.ts); `'none'` probes are conditions that hold or not (value 1 or 0).
 */
export interface Probe {
  name: string;
  summary: string;
  /** Services the stack must run for the probe to read anything. */
  services: readonly string[];
  tolerance: 'required' | 'none';
  read(stack: RunningStack): Promise<ProbeReading>;
}

const SAMPLE_REQUESTS = 30;

/** 30 cached product reads through nginx, 50 ms apart: latencies in ms and how many failed. */
async function apiSample(stack: RunningStack): Promise<{ latencies: number[]; failed: number }> {
  const api = await apiClient(stack);
  const latencies: number[] = [];
  let failed = 0;
  for (let i = 0; i < SAMPLE_REQUESTS; i++) {
    const t0 = performance.now();
    const r = await api.call('GET', `/v1/products/${(i % 100) + 1}`, undefined, 3_000);
    latencies.push(performance.now() - t0);
    if (r.status !== 200) failed++;
    await sleep(50);
  }
  return { latencies, failed };
}

const condition = (ok: boolean, detail: string): ProbeReading => ({ value: ok ? 1 : 0, unit: 'bool', detail });

export const PROBES: readonly Probe[] = [
  {
    name: 'api-p95-ms',
    summary: `p95 of ${SAMPLE_REQUESTS} cached product reads through nginx, in ms`,
    services: ['nginx'],
    tolerance: 'required',
    async read(stack) {
      const s = await apiSample(stack);
      return { value: Math.round(percentile(s.latencies, 95) * 10) / 10, unit: 'ms', detail: `${SAMPLE_REQUESTS} reads, ${s.failed} failed` };
    },
  },
  {
    name: 'api-error-rate',
    summary: `share of ${SAMPLE_REQUESTS} product reads through nginx that failed`,
    services: ['nginx'],
    tolerance: 'required',
    async read(stack) {
      const s = await apiSample(stack);
      return { value: s.failed / SAMPLE_REQUESTS, unit: 'ratio', detail: `${s.failed} of ${SAMPLE_REQUESTS} failed` };
    },
  },
  {
    name: 'postgres-healthy',
    summary: 'one Patroni leader, every replica streaming (a sync standby in synchronous mode), HAProxy routing writes to the leader',
    services: ['haproxy'],
    tolerance: 'none',
    async read(stack) {
      const cluster = await postgresCluster(stack);
      try {
        const primary = await cluster.waitHealthy(3_000);
        return condition(true, `leader ${primary.name}, roles ${JSON.stringify(await cluster.roles())}`);
      } catch (error) {
        return condition(false, (error as Error).message.split('\n')[0]!);
      }
    },
  },
  {
    name: 'postgres-writable',
    summary: "a write through HAProxy's write port commits within 2 s (1) or not (0)",
    services: ['haproxy'],
    tolerance: 'required',
    async read(stack) {
      const cluster = await postgresCluster(stack);
      try {
        await cluster.withClient(
          cluster.write,
          async (client) => {
            await client.query('CREATE TABLE IF NOT EXISTS chaos_probe (at timestamptz DEFAULT now())');
            await client.query('INSERT INTO chaos_probe DEFAULT VALUES');
          },
          { connectionTimeoutMillis: 2_000, query_timeout: 2_000 },
        );
        return { value: 1, unit: 'bool', detail: 'a row committed through the write port' };
      } catch (error) {
        return { value: 0, unit: 'bool', detail: `write refused: ${(error as Error).message.split('\n')[0]}` };
      }
    },
  },
  {
    name: 'postgres-primaries',
    summary: 'members answering as primary (pg_is_in_recovery() false), asked directly on each published port',
    services: ['postgres'],
    tolerance: 'required',
    async read(stack) {
      const cluster = await postgresCluster(stack);
      const answers = await Promise.all(
        cluster.members.map(async (m) => ({ name: m.name, primary: await m.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r', [], 2_000).then((rows) => rows[0]?.r === false, () => false) })),
      );
      const primaries = answers.filter((a) => a.primary).map((a) => a.name);
      return { value: primaries.length, unit: 'members', detail: primaries.length ? `primary: ${primaries.join(', ')}` : 'no member answers as primary' };
    },
  },
  {
    name: 'replication-lag-seconds',
    summary: "the largest replay lag of any replica, from the primary's pg_stat_replication, in s",
    services: ['haproxy'],
    tolerance: 'required',
    async read(stack) {
      const cluster = await postgresCluster(stack);
      const { rows } = await cluster.withClient(cluster.write, (client) => client.query<{ name: string; lag: number | null }>("SELECT application_name AS name, EXTRACT(EPOCH FROM replay_lag)::float8 AS lag FROM pg_stat_replication"), { connectionTimeoutMillis: 3_000, statement_timeout: 3_000 });
      const worst = Math.max(0, ...rows.map((r) => r.lag ?? 0));
      return { value: Math.round(worst * 1000) / 1000, unit: 's', detail: rows.map((r) => `${r.name} ${r.lag ?? 0} s`).join(', ') || 'no replica streaming' };
    },
  },
  {
    name: 'sentinel-agreement',
    summary: 'every Sentinel names the same Redis master, that node says it is master, and every other node is linked to it',
    services: [sentinel.name],
    tolerance: 'none',
    async read(stack) {
      const named = await Promise.all(stack.instances(sentinel.name).map(async (s) => (await sentinelMaster(await s.hostPort('sentinel'), MASTER_NAME).catch(() => ['?']))[0]));
      const roles = await Promise.all(stack.instances('redis').map(async (n) => ({ name: n.name, info: await redisInfo(await n.hostPort('redis'), 'replication').catch(() => ({}) as Record<string, string>) })));
      const master = named[0];
      const agree = named.every((n) => n === master) && roles.some((r) => r.name === master && r.info.role === 'master');
      const linked = roles.every((r) => r.name === master || (r.info.role === 'slave' && r.info.master_link_status === 'up'));
      return condition(agree && linked, `Sentinels name ${named.join(', ')}; ${roles.map((r) => `${r.name} ${r.info.role ?? '?'}${r.info.master_link_status ? ` link ${r.info.master_link_status}` : ''}`).join(', ')}`);
    },
  },
  {
    name: 'queue-depth',
    summary: 'ready messages in the fullest RabbitMQ queue (its own per-queue metrics)',
    services: ['rabbitmq'],
    tolerance: 'required',
    async read(stack) {
      // Each node reports the queues it leads (a quorum queue's leader, a classic queue's home): read them all.
      const texts = await Promise.all(stack.instances('rabbitmq').map(async (n) => (await fetch(await n.url('metrics', '/metrics/per-object'), { signal: AbortSignal.timeout(5_000) })).text()));
      const depths = texts.flatMap((text) => [...text.matchAll(/^rabbitmq_queue_messages_ready\{[^}]*queue="([^"]+)"[^}]*\}\s+([\d.e+]+)/gm)].map((m) => ({ queue: m[1]!, ready: Number(m[2]) })));
      const worst = depths.reduce((a, b) => (b.ready > a.ready ? b : a), { queue: 'none', ready: 0 });
      return { value: worst.ready, unit: 'messages', detail: `${depths.length} queues; fullest ${worst.queue}` };
    },
  },
  {
    name: 'instances-healthy',
    summary: 'every instance of the stack running, not paused, attached to its network and passing its health command',
    services: [],
    tolerance: 'none',
    async read(stack) {
      const all = stack.services().flatMap((s) => stack.instances(s));
      const sick: string[] = [];
      await Promise.all(
        all.map(async (i) => {
          const s = await i.state();
          if (!s.running || s.paused || !s.attached) sick.push(`${i.name} ${s.status}${s.attached ? '' : ' detached'}`);
          else if (s.health !== 'healthy' && s.health !== 'none') {
            const probe = await i.exec(['sh', '-c', i.spec.health.command], { timeoutMs: 10_000 }).catch(() => ({ exitCode: 1 }));
            if (probe.exitCode !== 0) sick.push(`${i.name} ${s.health}`);
          }
        }),
      );
      return condition(sick.length === 0, sick.length ? `not healthy: ${sick.join(', ')}` : `${all.length} instances healthy`);
    },
  },
  {
    name: 'toxiproxy-clean',
    summary: 'Toxiproxy has no toxic on any route and every route is enabled',
    services: ['toxiproxy'],
    tolerance: 'none',
    async read(stack) {
      const proxies = await new ToxiproxyClient(await stack.first('toxiproxy').url('api')).proxies();
      const dirty = Object.values(proxies).filter((p) => !p.enabled || p.toxics.length);
      return condition(dirty.length === 0, dirty.length ? `toxics or disabled routes: ${dirty.map((p) => `${p.name} (${p.toxics.map((t) => t.name).join(', ') || 'disabled'})`).join('; ')}` : `${Object.keys(proxies).length} routes clean`);
    },
  },
];

export function probeByName(name: string): Probe {
  const found = PROBES.find((p) => p.name === name);
  if (!found) throw new Error(`unknown probe "${name}" (probes: ${PROBES.map((p) => p.name).join(', ')})`);
  return found;
}
