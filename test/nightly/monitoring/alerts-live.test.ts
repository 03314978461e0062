import { afterAll, beforeAll, expect, it } from 'vitest';
import { QUEUE } from '../../../sample-app/src/shared/amqp.ts';
import { postgresCluster } from '../../../services/postgres/cluster.ts';
import { apiClient } from '../../../services/sample-app/client.ts';
import { METRIC_COVERAGE } from '../../../monitoring/coverage.ts';
import { allAlertRules } from '../../../monitoring/mixin.ts';
import { dashboardQueries } from '../../../monitoring/render/dashboards.ts';
import { cpuScenario, diskScenario, memoryScenario } from '../../../monitoring/testing/container-node.ts';
import { LockPulses, pauseReplay, publishEvents, seedBusiness, setApiFaults, warmCache } from '../../../monitoring/testing/faults.ts';
import { BackgroundLoad } from '../../../monitoring/testing/load.ts';
import { monitoringOf, scalar, type Monitoring } from '../../../monitoring/testing/observe.ts';
import { isHostCondition, judgeQuiet } from '../../../monitoring/testing/quiet.ts';
import { AlertProofs, type AlertScenario } from '../../../monitoring/testing/scenario.ts';
import { stoppedScenario } from '../../../monitoring/testing/scrape.ts';
import { waitUntil } from '../../../monitoring/testing/wait.ts';
import { promises } from '../../../src/core/profiles.ts';
import { targets } from '../../../src/core/targets.ts';
import { CORE_SERVICES } from '../../../src/stack/definition.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { record } from '../../../src/testing/record.ts';
import { useStack } from '../../../src/testing/stack.ts';

const t = targets.alertRules;
/**
 * Mixed traffic of a healthy day through nginx: cache-hit reads, a few misses, writes (events on the
 * queue). Modest on purpose: an open-model load far above what a starved 2-core machine can serve
 * piles up requests and measures the machine, not the monitoring.
 */
const HEALTHY = { hotReads: 14, coldReads: 1, writes: 1 };
/** Reads sent to the first API instance directly on top: the two instances answer at different rates. */
const SKEW_READS = 10;
/** The quiet window: steady traffic, no fault, nothing may fire (the issue asks for 3 minutes). */
const QUIET_SECONDS = 180;
/** Alerts not fired live, and why; they stay promtool-tested at their real thresholds. */
const NOT_FIRED_LIVE: Record<string, string> = {
  ApiAvailabilityBurnRateTicket:
    'at a 99.99 % SLO any error ratio visible at test traffic burns faster than 6×, so the page fires with it and inhibits it (asserted live as suppressed)',
};
/** A lock held this long on `products` makes every product write wait up to that long. */
const LOCK_PULSE_SECONDS = 1.3;

/**
 * Monitoring on the one stack (every core service, test profile, sample-app.faults=on), its own rules
 * and Alertmanager routing: a quiet window first, then every alert of the plan and every scrape-health
 * alert fired by a real fault, notified at the alert-receiver service, and resolved. Faults on
 * independent targets run at the same time; each scenario looks only at its own alerts' series.
 */
describeWithDocker('monitoring tells the truth about the one stack: no false pages, every alert able to fire', () => {
  const stack = useStack({ services: CORE_SERVICES, options: { 'sample-app.faults': 'on' } });
  let monitoring: Monitoring;
  let proofs: AlertProofs;
  const loads: BackgroundLoad[] = [];
  const rules = () => new Map(allAlertRules(stack().profile.monitoring).map((r) => [r.alert, r]));
  const run = (s: AlertScenario) => proofs.run(s);
  const chain = async (...scenarios: Array<() => AlertScenario>) => {
    for (const s of scenarios) await run(s());
  };

  beforeAll(async () => {
    monitoring = await monitoringOf(stack());
    proofs = new AlertProofs(monitoring, stack().profile);
    const api = await apiClient(stack());
    await seedBusiness(api);
    await warmCache(stack());
    const through = new BackgroundLoad(api.baseUrl, api.key);
    through.set(HEALTHY);
    const skew = new BackgroundLoad(await stack().first('sample-api').url('http'), api.key);
    skew.set({ hotReads: SKEW_READS });
    for (const load of [through, skew]) {
      load.start(30 * 60);
      loads.push(load);
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
  });

  it('every process is its own scrape target, named by its container, and up', async () => {
    const scraped = stack().plan.instances.filter((i) => i.spec.scrape?.length);
    await waitUntil(`all ${scraped.length} instance targets (and Prometheus itself) up`, 90_000, async () => {
      const up = await monitoring.query('up');
      return up.length === scraped.length + 1 && up.every((s) => s.value[1] === '1');
    }, async () => JSON.stringify((await monitoring.query('up != 1')).map((s) => s.metric.instance)));
    const instances = (await monitoring.query('up{job!="prometheus"}')).map((s) => s.metric.instance).sort();
    expect(instances).toEqual(scraped.map((i) => i.name).sort());
    const apiTargets = scalar(await monitoring.query('count(up{job="sample-api"})'));
    const apiReplicas = stack().instances('sample-api').length;
    record({ id: 'monitoring.scrape_targets_sample_api', value: apiTargets, unit: 'targets', target: { op: '==', value: apiReplicas }, note: `one per API instance: ${stack().instances('sample-api').map((i) => i.name).join(', ')}` });
    expect(apiTargets).toBe(apiReplicas);
  });

  it(`quiet: ${QUIET_SECONDS} s of steady mixed traffic, the API instances at different rates, no fault: no false alert fires`, async () => {
    const byRules = rules();
    await waitUntil('no alert active but host conditions (start-up settled)', 120_000, async () => (await monitoring.query('ALERTS')).every((a) => isHostCondition(a.metric, byRules)), async () =>
      (await monitoring.query('ALERTS')).map((a) => `${a.metric.alertname}/${a.metric.alertstate}`).join(', '),
    );
    const verdict = await judgeQuiet(monitoring, byRules, QUIET_SECONDS, () => loads.flatMap((l) => l.outcomes));
    // Over the whole window: a starved machine leaves gaps in the scrapes that a short window would not survive.
    const rates = (await monitoring.query(`sum by (instance) (rate(http_requests_total{job="sample-api"}[${QUIET_SECONDS}s]))`)).map((s) => Number(s.value[1])).sort((a, b) => b - a);
    const skew = rates.length === 2 && rates[1]! > 0 ? rates[0]! / rates[1]! : Number.NaN;
    record({ id: 'monitoring.api_instance_rate_skew', value: Number(skew.toFixed(2)), unit: 'ratio', note: `requests/s by API instance over the quiet window: ${rates.map((r) => r.toFixed(1)).join(' vs ')}` });
    record({ id: 'monitoring.host_conditions_quiet', value: verdict.host.length, unit: 'alerts', note: `true of the machine, not caused by the stack, not counted: ${verdict.host.join('; ') || 'none'}` });
    record({ id: 'monitoring.confirmed_alerts_quiet', value: verdict.confirmed.length, unit: 'alerts', note: verdict.confirmed.join('; ') || 'none' });
    record({ id: 'monitoring.false_alerts_quiet', value: verdict.falseAlerts.length, unit: 'alerts', target: { op: '==', value: 0 }, note: `${QUIET_SECONDS} s at the test profile's intervals, ${verdict.samples} looks${verdict.falseAlerts.length ? `: ${verdict.falseAlerts.join(', ')}` : ''}` });
    expect(skew, 'the two API instances must answer at clearly different rates').toBeGreaterThan(1.5);
    expect(verdict.falseAlerts).toEqual([]);
  }, (QUIET_SECONDS + 200) * 1000);

  it.concurrent('the container node: CPU, memory and disk alerts fire from the load injected into it, whatever the host does', async () => {
    const node = stack().first('container-node');
    await Promise.all([
      run(cpuScenario(node)),
      chain(
        () => memoryScenario(node, 'high'),
        () => memoryScenario(node, 'critical'),
        () => diskScenario(node, 'high'),
        () => diskScenario(node, 'critical'),
      ),
    ]);
    await run(stoppedScenario(node, 'container-node'));
  }, 600_000);

  it.concurrent(`the database: a replica's replay paused raises ReplicationLagHigh (> ${t.replicationLagSeconds} s); a stopped member pages`, async () => {
    const cluster = await postgresCluster(stack());
    await cluster.waitHealthy(120_000);
    const roles = await cluster.roles();
    const replica = cluster.members.find((m) => roles[m.name] === 'replica') ?? cluster.members.find((m) => roles[m.name] === 'sync_standby')!;
    let resume: (() => Promise<void>) | undefined;
    try {
      const { measured } = await run({
        fault: `WAL replay paused on ${replica.name} (its recovery process stopped) while writes continue`,
        fires: ['ReplicationLagHigh'],
        labels: { ReplicationLagHigh: { replica: replica.name } },
        inject: async () => void (resume = await pauseReplay(replica.instance)),
        remove: async () => await resume?.(),
      });
      const lag = measured[0]!;
      record({ id: 'alerts.replication_lag_env_fire_seconds', value: lag.fireSeconds, unit: 's', target: { op: '<=', value: lag.promiseSeconds }, note: `replay paused on ${replica.name} of the one stack's Patroni cluster; lag from postgres_exporter beside each member` });
    } finally {
      await resume?.().catch(() => undefined);
    }
    // The member's machine gone: Patroni's REST and the exporter beside it stop answering with it.
    await run(
      stoppedScenario(replica.instance, 'patroni', {
        alsoFires: { DatabaseDown: { instance: `${replica.name}-exporter` } },
        afterStart: async () => void (await cluster.waitHealthy(120_000)),
      }),
    );
  }, 600_000);

  it.concurrent(`the queue and the worker: the worker stopped cannot be scraped, and ${t.queueDepth + 200} published events open the queue ticket`, async () => {
    const worker = stack().first('sample-worker');
    const stopped = stoppedScenario(worker, 'sample-worker', { alsoFires: { QueueDepthHigh: { queue: QUEUE } } });
    await run({
      ...stopped,
      fault: `${stopped.fault}, ${t.queueDepth + 200} product.updated events published to the app's exchange`,
      inject: async () => {
        await stopped.inject();
        await publishEvents(stack(), t.queueDepth + 200);
        // The backlog is there once the last event is confirmed: the queue alert counts from then.
        return { faultAt: { QueueDepthHigh: Date.now() / 1000 } };
      },
    });
  }, 600_000);

  it.concurrent("the host view and the cache tier's exporters: each stopped target raises its job's scrape alert", async () => {
    await Promise.all([run(stoppedScenario(stack().first('node-exporter'), 'node')), run(stoppedScenario(stack().instances('redis-exporter').at(-1)!, 'redis'))]);
  }, 600_000);

  it.concurrent('the API: errors, latency, slow queries and cache misses each raise their alerts, a higher severity inhibiting a lower one', async () => {
    const api = (faults: { latencyMs?: number; errorRate?: number }) => () => setApiFaults(stack(), faults);
    await run({
      fault: 'the API fails 20 % of requests with 500',
      fires: ['ApiDown', 'ApiAvailabilityBurnRatePage'],
      labels: { ApiDown: { service: 'sample-api' }, ApiAvailabilityBurnRatePage: { service: 'sample-api' } },
      inhibited: ['ApiAvailabilityBurnRateTicket'],
      inject: api({ errorRate: 0.2 }),
      remove: api({}),
    });
    // The availability page (another family) fires too and must not silence the ticket. More traffic for
    // it: at a few requests per second a 5 s window of 3 % failures often reads above 5 % (ApiDown).
    const through = loads[0]!;
    through.set({ hotReads: 100 });
    try {
      await run({ fault: 'the API fails 3 % of requests with 500', fires: ['ApiErrorRateHigh', 'ApiAvailabilityBurnRatePage'], labels: { ApiErrorRateHigh: { service: 'sample-api' } }, inject: api({ errorRate: 0.03 }), remove: api({}) });
    } finally {
      through.set(HEALTHY);
    }
    await run({ fault: 'every API request delayed 1.5 s', fires: ['ApiLatencyHigh', 'ApiLatencyBurnRatePage'], inject: api({ latencyMs: 1500 }), remove: api({}) });
    await run({ fault: 'every API request delayed 6 s', fires: ['ApiLatencyCritical'], inhibited: ['ApiLatencyHigh'], inject: api({ latencyMs: 6000 }), remove: api({}) });
    const cluster = await postgresCluster(stack());
    const locker = new LockPulses(cluster.clientConfig(cluster.write));
    await run({
      fault: `products locked for ${LOCK_PULSE_SECONDS} s at a time`,
      fires: ['SlowQueries', 'ApiLatencyBurnRateTicket'],
      labels: { SlowQueries: { service: 'sample-api' } },
      inject: async () => locker.start(LOCK_PULSE_SECONDS, 90),
      remove: () => locker.stop(),
    });
    await run({
      fault: 'cold reads at 1.5× the hot read rate',
      fires: ['CacheMissRateHigh'],
      inject: async () => through.set({ coldReads: (HEALTHY.hotReads + SKEW_READS) * 1.5 }),
      remove: async () => through.set({ coldReads: HEALTHY.coldReads }),
    });
  }, 900_000);

  it('one API instance stopped: its scrape alert pages while the other instance keeps serving through nginx', async () => {
    const [serving, stopped] = stack().instances('sample-api');
    loads[1]!.set({ hotReads: 0 });
    const api = await apiClient(stack());
    const probe = { ok: 0, failed: 0, running: true };
    const probing = (async () => {
      const until = performance.now() + 120_000;
      while (probe.running && performance.now() < until) {
        const r = await api.call('GET', '/v1/products/7', undefined, 5_000);
        if (r.status === 200) probe.ok += 1;
        else probe.failed += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      const { measured } = await run(stoppedScenario(stopped!, 'sample-api', { afterStart: () => stack().first('nginx').kill('SIGHUP') }));
      const down = measured[0]!;
      record({ id: 'alerts.scrape_down_fire_seconds', value: down.fireSeconds, unit: 's', target: { op: '<=', value: promises(stack().profile).alertDetectionSeconds.high }, note: `${stopped!.name} stopped; ${serving!.name} kept serving` });
    } finally {
      probe.running = false;
      await probing;
      loads[1]!.set({ hotReads: SKEW_READS });
    }
    record({ id: 'monitoring.api_failed_reads_one_instance_down', value: probe.failed, unit: 'requests', target: { op: '==', value: 0 }, note: `${probe.ok} reads through nginx answered 200 while ${stopped!.name} was down and back` });
    expect(probe.failed).toBe(0);
  }, 300_000);

  it('HAProxy and RabbitMQ stopped in turn: each raises its scrape alert and resolves once started', async () => {
    // A restarted container gets new host ports: the cluster handle is made after the start.
    await run(stoppedScenario(stack().first('haproxy'), 'haproxy', { afterStart: async () => void (await (await postgresCluster(stack())).waitHealthy(120_000)) }));
    await run(stoppedScenario(stack().first('rabbitmq'), 'rabbitmq'));
  }, 300_000);

  it('metric coverage: every metric the plan names exists in Prometheus under its mapped name', async () => {
    // The restarted worker exports revenue once it has processed an order of its own.
    await seedBusiness(await apiClient(stack()));
    await waitUntil('revenue_total scraped from the worker', 60_000, async () => (await monitoring.query('revenue_total')).length > 0);
    const missing: string[] = [];
    for (const entry of METRIC_COVERAGE) {
      for (const name of entry.series) {
        const result = await monitoring.query(`count({__name__="${name}"})`);
        if (!result.length || Number(result[0]!.value[1]) === 0) missing.push(`${name} (${entry.list}: ${entry.plan}, from ${entry.source})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('dashboards: every panel query of the four dashboards is valid PromQL and returns data', async () => {
    const empty: string[] = [];
    const queries = dashboardQueries(stack().plan.specs.map((spec) => ({ spec })));
    expect(new Set(queries.map((q) => q.dashboard))).toEqual(new Set(['System Overview', 'Application Performance', 'Database Health', 'Business Metrics']));
    // What Grafana substitutes for $__rate_interval with a 1 s scrape: four scrape intervals, at least.
    for (const q of queries) {
      const result = await monitoring.query(q.expr.replaceAll('$__rate_interval', '30s'));
      if (!result.length) empty.push(`${q.dashboard} / ${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('every alert of the plan and of the scrape-health family was measured firing and resolving live', () => {
    const measured = [...proofs.measured.values()].sort((a, b) => a.alert.localeCompare(b.alert));
    record({ id: 'alerts.live.alerts_fired', value: measured.length, unit: 'alerts', note: measured.map((m) => `${m.alert} ${m.fireSeconds}/${m.resolveSeconds} s`).join(', ') });
    const expected = allAlertRules(stack().profile.monitoring).map((r) => r.alert).filter((a) => !(a in NOT_FIRED_LIVE));
    expect(measured.map((m) => m.alert)).toEqual(expected.sort());
  });
});
