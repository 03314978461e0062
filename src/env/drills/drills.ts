import { docker } from '../../core/docker/engine.ts';
import { formatTarget, meets, type Target } from '../../core/results/target.ts';
import { targets } from '../../core/targets.ts';
import type { PostgresCluster } from '../../topologies/postgres/cluster.ts';
import { measureWriteOutage, describeOutage, type OutageMeasurement } from '../../topologies/postgres/outage.ts';
import { waitFor } from '../../core/poll.ts';
import { ENV_PORTS } from '../ports.ts';
import { containerName, PROFILE_LABEL, serviceStatus } from '../service.ts';
import { SERVICES } from '../services.ts';
import { API_INSTANCES } from '../services/app.ts';
import { REDIS_MASTER_NAME, REDIS_MEMBERS } from '../services/messaging.ts';
import { redisInfo, redisSet, sentinelMaster } from '../services/redis-probe.ts';
import { ApiProbe, callApi, createOrder, createUser, writeRecoverySeconds, type ProbeReport } from './api-probe.ts';
import { attachEnvCluster } from './env-cluster.ts';
import { Timeline } from './timeline.ts';

const APP_CONTAINERS = [...API_INSTANCES, 'sample-worker'];

export interface DrillFigure {
  id: string;
  value: number;
  unit: string;
  /** The target from src/core/targets.ts; absent for a figure that is reported, not asserted. */
  target?: Target;
  pass: boolean;
  note?: string;
}

export interface DrillReport {
  name: string;
  profile: string;
  timeline: Array<{ at: number; what: string }>;
  figures: DrillFigure[];
}

type Drill = (timeline: Timeline, figure: (id: string, value: number, unit: string, target?: Target, note?: string) => void) => Promise<string>;

const DRILLS: Record<string, Drill> = {
  'kill-primary': killPrimary,
  switchover,
  'redis-master-kill': redisMasterKill,
  'worker-stop': workerStop,
};

export function drillNames(): string[] {
  return Object.keys(DRILLS);
}

/** Runs one fault scenario against the running environment and leaves it healthy again. */
export async function runDrill(name: string): Promise<DrillReport> {
  const drill = DRILLS[name];
  if (!drill) throw new Error(`unknown drill "${name}": use one of ${drillNames().join(', ')}`);
  await assertEnvironmentUp();
  const timeline = new Timeline();
  const figures: DrillFigure[] = [];
  const figure = (id: string, value: number, unit: string, target?: Target, note?: string) =>
    figures.push({ id: `env.${name.replace(/-/g, '_')}.${id}`, value, unit, ...(target ? { target } : {}), pass: target ? meets(value, target) : Number.isFinite(value), ...(note ? { note } : {}) });
  const profile = await drill(timeline, figure);
  return { name, profile, timeline: timeline.events, figures };
}

export function formatDrill(report: DrillReport): string {
  const lines = report.timeline.map((e) => `  t+${e.at.toFixed(2).padStart(6)} s  ${e.what}`);
  const width = Math.max(...report.figures.map((f) => f.id.length));
  const figures = report.figures.map((f) => `  ${f.pass ? 'ok  ' : 'MISS'}  ${f.id.padEnd(width)}  ${f.value} ${f.unit}${f.target ? `  (target ${formatTarget(f.target)})` : ''}${f.note ? `  — ${f.note}` : ''}`);
  return `\ndrill ${report.name} (${report.profile} profile)\n\ntimeline:\n${lines.join('\n')}\n\nfigures:\n${figures.join('\n')}\n`;
}

/** An order created before the fault: reading it back exercises the replica path, never the cache. */
async function apiProbe(label: string): Promise<{ probe: ApiProbe; userId: string }> {
  const userId = await createUser(label);
  const order = await createOrder(userId);
  if (order.status !== 201) throw new Error(`POST /v1/orders answered ${order.status}: ${JSON.stringify(order.body)}`);
  const orderId = (order.body as { id: string }).id;
  await waitFor('the drill order on the replicas', async () => ((await callApi('GET', `/v1/orders/${orderId}`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
  return { probe: new ApiProbe(userId, orderId).start(), userId };
}

function apiFigures(figure: Parameters<Drill>[1], api: ProbeReport, faultAt: number, rtoTarget: Target): void {
  const why = (method: string) => Object.entries(api.why).filter(([k]) => k.startsWith(method)).map(([k, n]) => `${n}× ${k}`).join(', ');
  figure('api_failed_reads', api.reads.failed, 'requests', targets.environment.drillFailedReads, `${api.reads.ok} reads served through nginx during the drill${api.reads.failed ? `; failed: ${why('GET')}` : ''}`);
  figure('api_failed_writes', api.writes.failed, 'requests', undefined, `${api.writes.ok} orders accepted during the drill${api.writes.failed ? `; failed: ${why('POST')}` : ''}`);
  figure('api_write_recovery_seconds', writeRecoverySeconds(api, faultAt), 's', rtoTarget, 'fault → first order accepted after the last refused one');
}

async function postgresDrill(
  timeline: Timeline,
  figure: Parameters<Drill>[1],
  fault: (cluster: PostgresCluster, primary: string) => Promise<void>,
  ids: { outage: string; outageTarget: Target; lostTarget: Target },
): Promise<{ cluster: PostgresCluster; m: OutageMeasurement; faultAt: number }> {
  const cluster = await attachEnvCluster();
  const restartsBefore = await appRestarts();
  const { probe } = await apiProbe('postgres');
  let faultAt = 0;
  let m: OutageMeasurement;
  let api: ProbeReport;
  try {
    m = await measureWriteOutage(
      cluster,
      async (primary) => {
        faultAt = timeline.mark(`fault on the primary ${primary.name}`);
        await fault(cluster, primary.name);
      },
      { expectNewPrimary: true, timeoutMs: 120_000 },
    );
    await probe.waitForWrites(faultAt, 5, 60_000);
  } finally {
    api = await probe.stop();
  }
  const gap = longestGap(m.writes.ackTimes);
  if (gap) {
    timeline.mark('last write acknowledged before the outage (HAProxy write port)', gap.from);
    timeline.mark(`writes acknowledged again, by ${m.after.name}`, gap.to);
  }
  const apiRecovered = api.writeSuccesses.find((t) => t > (api.writeFailures.filter((f) => f >= faultAt).at(-1) ?? Number.POSITIVE_INFINITY));
  if (apiRecovered) timeline.mark('API accepts orders again', apiRecovered);
  figure(ids.outage, m.outageSeconds, 's', ids.outageTarget, describeOutage(m));
  figure('lost_acknowledged_writes', m.lost.length, 'rows', ids.lostTarget);
  figure('split_brain_observations', m.splitBrain.splitBrainTicks, 'polls', targets.postgresHa.splitBrainObservations, `${m.splitBrain.ticks} polls of every member`);
  apiFigures(figure, api, faultAt, ids.outageTarget);
  const restarts = (await appRestarts()) - restartsBefore;
  figure('app_process_restarts', restarts, 'restarts', undefined, restarts ? 'sample-app processes exited during the drill and were restarted (see `docker logs`)' : 'no sample-app process exited');
  return { cluster, m, faultAt };
}

function longestGap(times: number[]): { from: number; to: number } | undefined {
  let best: { from: number; to: number } | undefined;
  for (let i = 1; i < times.length; i++) if (!best || times[i]! - times[i - 1]! > best.to - best.from) best = { from: times[i - 1]!, to: times[i]! };
  return best;
}

async function killPrimary(timeline: Timeline, figure: Parameters<Drill>[1]): Promise<string> {
  const { cluster, m } = await postgresDrill(timeline, figure, (c, primary) => c.kill(primary), {
    outage: 'rto_seconds',
    outageTarget: targets.failover.rtoSeconds,
    lostTarget: targets.failover.lostAcknowledgedWrites,
  });
  // Leave the environment as found: the killed member comes back and rejoins as a replica.
  const t = performance.now();
  await cluster.restart(m.before.name);
  await cluster.waitHealthy(120_000);
  timeline.mark(`${m.before.name} restarted and streaming as a replica of ${m.after.name}`);
  figure('rejoin_seconds', Number(((performance.now() - t) / 1000).toFixed(2)), 's');
  return cluster.options.timing;
}

async function switchover(timeline: Timeline, figure: Parameters<Drill>[1]): Promise<string> {
  const { cluster } = await postgresDrill(timeline, figure, async (c) => void (await c.switchover()), {
    outage: 'write_pause_seconds',
    outageTarget: targets.switchover.writePauseSeconds,
    lostTarget: targets.switchover.lostAcknowledgedWrites,
  });
  await cluster.waitHealthy(120_000);
  timeline.mark('cluster healthy: former primary streaming as a replica');
  return cluster.options.timing;
}

/** Kills whichever Redis node Sentinel names as master; reads must keep being served (from the database while the cache is gone). */
async function redisMasterKill(timeline: Timeline, figure: Parameters<Drill>[1]): Promise<string> {
  const masterHost = (await sentinelMaster(ENV_PORTS.sentinel, REDIS_MASTER_NAME))[0] ?? '(none)';
  const index = REDIS_MEMBERS.findIndex((m) => m === masterHost);
  if (index < 0) throw new Error(`Sentinel names ${masterHost} as master, which is not one of ${REDIS_MEMBERS.join(', ')}`);
  const other = REDIS_MEMBERS[1 - index]!;
  const products = new CachedReads();
  products.start();
  await new Promise((r) => setTimeout(r, 1_000));
  const faultAt = timeline.mark(`SIGKILL ${masterHost} (the master Sentinel names)`);
  let promotedAt: number;
  try {
    await docker().getContainer(containerName(masterHost)).kill({ signal: 'SIGKILL' });
    await waitFor(`Sentinel to promote ${other}`, async () => ((await sentinelMaster(ENV_PORTS.sentinel, REDIS_MASTER_NAME).catch(() => []))[0] === other ? true : undefined), { timeoutMs: 90_000, intervalMs: 100 });
    promotedAt = timeline.mark(`Sentinel names ${other} as master`);
    await waitFor(`a write on ${other}`, async () => ((await redisSet(ENV_PORTS.redis[1 - index]!, 'refstack:drill', String(Date.now())).then(() => true, () => undefined))), { timeoutMs: 30_000, intervalMs: 100 });
    timeline.mark(`${other} accepts writes`);
    // The old master comes back as a replica of the new one (Sentinel reconfigures it).
    await docker().getContainer(containerName(masterHost)).start();
    await waitFor(`${masterHost} back as a replica of ${other}`, async () => {
      const info = await redisInfo(ENV_PORTS.redis[index]!, 'replication').catch(() => undefined);
      return info?.role === 'slave' && info.master_link_status === 'up' ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
  } finally {
    await products.stop();
  }
  timeline.mark(`${masterHost} restarted and replicating from ${other}`);
  figure('sentinel_failover_seconds', Number(((promotedAt - faultAt) / 1000).toFixed(2)), 's', undefined, 'SIGKILL → Sentinel names the new master (down-after + election)');
  figure('api_failed_reads', products.failed, 'requests', targets.sampleApp.redisDownFailedReads, `${products.ok} product reads through nginx during the drill`);
  return runningProfile();
}

/** GET /v1/products/<1..100> in a bounded loop: the cache-aside path that depends on Redis. */
class CachedReads {
  ok = 0;
  failed = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;

  start(): void {
    this.loop = (async () => {
      const end = performance.now() + 180_000;
      for (let i = 0; !this.stopping && performance.now() < end && i < 5_000; i++) {
        const r = await callApi('GET', `/v1/products/${(i % 100) + 1}`, undefined, 3_000);
        if (r.status === 200) this.ok++;
        else this.failed++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }
}

const WORKER_STOP_ORDERS = 20;

/** Orders accepted while the worker is stopped wait in RabbitMQ and are all processed once it is back. */
async function workerStop(timeline: Timeline, figure: Parameters<Drill>[1]): Promise<string> {
  const worker = docker().getContainer(containerName('sample-worker'));
  const userId = await createUser('worker');
  timeline.mark('stopping sample-worker (SIGTERM, 10 s grace)');
  await worker.stop({ t: 10 });
  timeline.mark('sample-worker stopped');
  const ids: string[] = [];
  for (let i = 0; i < WORKER_STOP_ORDERS; i++) {
    const r = await createOrder(userId, String((i % 100) + 1));
    if (r.status === 201) ids.push((r.body as { id: string }).id);
  }
  timeline.mark(`${ids.length}/${WORKER_STOP_ORDERS} orders accepted by the API while the worker is down`);
  const pendingWhileStopped = await countStatus(ids, 'pending');
  const startedAt = performance.now();
  await worker.start();
  timeline.mark('sample-worker started');
  let processed = 0;
  await waitFor('every order accepted during the outage processed', async () => {
    processed = await countStatus(ids, 'processed');
    return processed === ids.length ? true : undefined;
  }, { timeoutMs: 90_000, intervalMs: 250 }).catch(() => undefined);
  timeline.mark(`${processed}/${ids.length} of those orders processed`);
  figure('orders_accepted_while_stopped', ids.length, 'orders', undefined, `of ${WORKER_STOP_ORDERS} posted; ${pendingWhileStopped} still pending before the restart`);
  figure('backlog_drain_seconds', Number(((performance.now() - startedAt) / 1000).toFixed(2)), 's', undefined, 'worker start → last backlog order processed');
  figure('unprocessed_orders', ids.length - processed, 'orders', targets.environment.unprocessedOrders);
  return runningProfile();
}

async function countStatus(ids: string[], status: string): Promise<number> {
  const answers = await Promise.all(ids.map((id) => callApi('GET', `/v1/orders/${id}`)));
  return answers.filter((a) => a.status === 200 && (a.body as { status?: string }).status === status).length;
}

/**
 * A drill needs every (non-laptop) service running and healthy; a member restarted by the previous
 * drill may still be between Docker health checks, so this waits a little before naming what is not.
 */
async function assertEnvironmentUp(): Promise<void> {
  const check = () => Promise.all(SERVICES.filter((s) => !s.laptop).map(serviceStatus));
  let statuses = await check();
  if (statuses.every((s) => s.state === 'missing')) throw new Error('the environment is not running: run `refstack up` first');
  const deadline = performance.now() + 60_000;
  let bad = statuses.filter((s) => s.state !== 'running' || s.health !== 'healthy');
  while (bad.length && performance.now() < deadline && bad.every((s) => s.state === 'running' && s.health === 'starting')) {
    await new Promise((r) => setTimeout(r, 500));
    statuses = await check();
    bad = statuses.filter((s) => s.state !== 'running' || s.health !== 'healthy');
  }
  if (bad.length) {
    throw new Error(`the environment is not up and healthy (${bad.map((s) => `${s.service}: ${s.state}/${s.health}`).join(', ')}): run \`refstack up\` first`);
  }
}

/** How often Docker restarted the sample-app containers (restart policy on-failure): each one is a crash. */
async function appRestarts(): Promise<number> {
  const infos = await Promise.all(APP_CONTAINERS.map((s) => docker().getContainer(containerName(s)).inspect().catch(() => undefined)));
  return infos.reduce((sum, i) => sum + (i?.RestartCount ?? 0), 0);
}

async function runningProfile(): Promise<string> {
  const info = await docker().getContainer(containerName('haproxy')).inspect().catch(() => undefined);
  return info?.Config.Labels?.[PROFILE_LABEL] ?? 'unknown';
}
