import { expect, it } from 'vitest';
import { postgresCluster } from '../../../services/postgres/cluster.ts';
import { apiClient } from '../../../services/sample-app/client.ts';
import { replayPausedScenario } from '../../../monitoring/testing/replication.ts';
import { SKEW_READS } from '../../../monitoring/testing/load.ts';
import { useLiveMonitoring } from '../../../monitoring/testing/suite.ts';
import { scalar } from '../../../monitoring/testing/observe.ts';
import { isHostCondition, judgeQuiet } from '../../../monitoring/testing/quiet.ts';
import { stoppedScenario } from '../../../monitoring/testing/scrape.ts';
import { waitUntil } from '../../../monitoring/testing/wait.ts';
import { promises } from '../../../src/core/profiles.ts';
import { targets } from '../../../src/core/targets.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';
import { record } from '../../../src/testing/record.ts';
import { useSharedStack } from '../../../src/testing/stack.ts';

/**
 * The quiet window: steady traffic, no fault, nothing may fire. At the test profile the longest range in
 * any rule is 10 s and the longest `for` 5 s (monitoring/generated/test-profile/rules), so 120 s is a dozen full
 * windows of quiet traffic; it was 180 s until npm test's 30-minute budget needed the minute.
 */
const QUIET_SECONDS = 120;

/**
 * What `refstack up` runs, watched by its own Prometheus, rules and Alertmanager (the run's shared stack:
 * the one stack at the test profile): one target per process, no false page over a quiet window with
 * skewed traffic, and the two alerts the environment once could not raise — a replica falling behind and
 * a dead API instance — fired live. The other alerts of the plan are fired one by one in the nightly
 * suite (test/nightly/monitoring/alerts-live.test.ts).
 */
describeWithDocker('monitoring tells the truth about the running environment', () => {
  // First among the shared stack's users: the quiet window watches the environment as `refstack up` leaves it.
  const stack = useSharedStack({ first: true });
  const live = useLiveMonitoring(stack, 15 * 60);

  it('every process is its own scrape target, named by its container, and up', async () => {
    const scraped = stack().plan.instances.filter((i) => i.spec.scrape?.length);
    await waitUntil(`all ${scraped.length} instance targets (and Prometheus itself) up`, 90_000, async () => {
      const up = await live.monitoring().query('up');
      return up.length === scraped.length + 1 && up.every((s) => s.value[1] === '1');
    }, async () => JSON.stringify((await live.monitoring().query('up != 1')).map((s) => s.metric.instance)));
    const instances = (await live.monitoring().query('up{job!="prometheus"}')).map((s) => s.metric.instance).sort();
    expect(instances).toEqual(scraped.map((i) => i.name).sort());
    const apiTargets = scalar(await live.monitoring().query('count(up{job="sample-api"})'));
    const apiReplicas = stack().instances('sample-api').length;
    record({ id: 'monitoring.scrape_targets_sample_api', value: apiTargets, unit: 'targets', target: { op: '==', value: apiReplicas }, note: `one per API instance: ${stack().instances('sample-api').map((i) => i.name).join(', ')}` });
    expect(apiTargets).toBe(apiReplicas);
  });

  it(`quiet: ${QUIET_SECONDS} s of steady mixed traffic, the API instances at different rates, no fault: no false alert fires`, async () => {
    const byRules = live.rules();
    await waitUntil('no alert active but host conditions (start-up and earlier suites settled)', 120_000, async () => (await live.monitoring().query('ALERTS')).every((a) => isHostCondition(a.metric, byRules)), async () =>
      (await live.monitoring().query('ALERTS')).map((a) => `${a.metric.alertname}/${a.metric.alertstate}`).join(', '),
    );
    const verdict = await judgeQuiet(live.monitoring(), byRules, QUIET_SECONDS, () => live.day().all.flatMap((l) => l.outcomes));
    // Over the whole window: a starved machine leaves gaps in the scrapes that a short window would not survive.
    const rates = (await live.monitoring().query(`sum by (instance) (rate(http_requests_total{job="sample-api"}[${QUIET_SECONDS}s]))`)).map((s) => Number(s.value[1])).sort((a, b) => b - a);
    const skew = rates.length === 2 && rates[1]! > 0 ? rates[0]! / rates[1]! : Number.NaN;
    record({ id: 'monitoring.api_instance_rate_skew', value: Number(skew.toFixed(2)), unit: 'ratio', note: `requests/s by API instance over the quiet window: ${rates.map((r) => r.toFixed(1)).join(' vs ')}` });
    record({ id: 'monitoring.host_conditions_quiet', value: verdict.host.length, unit: 'alerts', note: `the host machine's own CPU, memory or disk as its node_exporter sees them (this stack loads the host too, and so does whatever else runs on it), reported with their values, not counted: ${verdict.host.join('; ') || 'none'}` });
    record({ id: 'monitoring.confirmed_alerts_quiet', value: verdict.confirmed.length, unit: 'alerts', note: verdict.confirmed.join('; ') || 'none' });
    record({ id: 'monitoring.false_alerts_quiet', value: verdict.falseAlerts.length, unit: 'alerts', target: { op: '==', value: 0 }, note: `${QUIET_SECONDS} s at the test profile's intervals, ${verdict.samples} looks${verdict.falseAlerts.length ? `: ${verdict.falseAlerts.join(', ')}` : ''}` });
    expect(skew, 'the two API instances must answer at clearly different rates').toBeGreaterThan(1.5);
    expect(verdict.falseAlerts).toEqual([]);
  }, (QUIET_SECONDS + 200) * 1000);

  it(`a replica's replay paused raises ReplicationLagHigh (> ${targets.alertRules.replicationLagSeconds} s) for that replica`, async () => {
    const paused = await replayPausedScenario(stack());
    try {
      const { measured } = await live.proofs().run(paused);
      const lag = measured[0]!;
      record({ id: 'alerts.replication_lag_env_fire_seconds', value: lag.fireSeconds, unit: 's', target: { op: '<=', value: lag.promiseSeconds }, note: `replay paused on ${paused.replica} of the environment's Patroni cluster; lag from the postgres_exporter beside each member; the promise counts the ${targets.alertRules.replicationLagSeconds} s the lag needs to reach its threshold` });
    } finally {
      await paused.release().catch(() => undefined);
    }
    await (await postgresCluster(stack())).waitHealthy(120_000);
  }, 300_000);

  it('one API instance stopped: its scrape alert pages while the other instance keeps serving through nginx', async () => {
    const [serving, stopped] = stack().instances('sample-api');
    live.day().skew.set({ hotReads: 0 });
    const api = await apiClient(stack());
    const probe = { ok: 0, failed: [] as string[], running: true };
    const probing = (async () => {
      const until = performance.now() + 150_000;
      while (probe.running && performance.now() < until) {
        const r = await api.call('GET', '/v1/products/7', undefined, 5_000);
        if (r.status === 200) probe.ok += 1;
        else probe.failed.push(`${new Date().toISOString()} ${r.status || 'no answer within 5 s'} ${(JSON.stringify(r.body) ?? '').slice(0, 160)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      const { measured } = await live.proofs().run(stoppedScenario(stopped!, 'sample-api', { afterStart: () => stack().first('nginx').kill('SIGHUP') }));
      const down = measured[0]!;
      record({ id: 'alerts.scrape_down_fire_seconds', value: down.fireSeconds, unit: 's', target: { op: '<=', value: promises(stack().profile).alertDetectionSeconds.high }, note: `${stopped!.name} stopped; ${serving!.name} kept serving` });
    } finally {
      probe.running = false;
      await probing;
      live.day().skew.set({ hotReads: SKEW_READS });
    }
    record({ id: 'monitoring.api_failed_reads_one_instance_down', value: probe.failed.length, unit: 'requests', target: { op: '==', value: 0 }, note: `${probe.ok} reads through nginx answered 200 while ${stopped!.name} was down and back${probe.failed.length ? `; failed: ${probe.failed.join(' | ')}` : ''}` });
    expect(probe.failed).toEqual([]);
  }, 300_000);
});
