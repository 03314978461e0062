import { describe, expect, it } from 'vitest';
import { PROFILES, promises } from '../../../src/core/profiles.ts';
import { CONTAINER_FAULTS } from '../../../src/core/spec.ts';
import { targets } from '../../../src/core/targets.ts';
import { compileExperiment } from '../../../src/chaos/compile.ts';
import { ExperimentError, loadExperiments, parseExperiment } from '../../../src/chaos/load.ts';
import { parseTolerance } from '../../../src/chaos/tolerance.ts';
import { STACK } from '../../../src/stack/definition.ts';
import { DECLARED_ELSEWHERE, FAULT_VERBS } from '../../../src/stack/faults/index.ts';

const GOOD = `
title: t
claim: c
steady-state:
  - probe: api-p95-ms
    tolerance: latency.apiP95Ms
method:
  - fault: kill
    targets: [{ service: sample-api, instance: sample-api-1 }]
    duration: 10
`;

function problems(text: string): string[] {
  try {
    parseExperiment(text, '/tmp/bad-file.yaml');
  } catch (error) {
    if (error instanceof ExperimentError) return error.problems;
    throw error;
  }
  return [];
}

describe('chaos experiments (chaos/experiments/*.yaml)', () => {
  const experiments = loadExperiments();

  it('at least 12 experiments, all valid, each compiling to a scenario with a claim and rollbacks that always run', () => {
    expect(experiments.length).toBeGreaterThanOrEqual(12);
    for (const e of experiments) {
      const scenario = compileExperiment(e);
      expect(scenario.name).toBe(e.name);
      expect(scenario.resultPrefix).toBe(`chaos.${e.name.replace(/-/g, '_')}`);
      expect(e.claim.length, e.name).toBeGreaterThan(40);
      expect(e.steadyState.length, e.name).toBeGreaterThan(0);
    }
  });

  it('the issue\'s experiments are there, and the drills of `refstack drill` are experiments', () => {
    const names = experiments.map((e) => e.name);
    for (const n of ['kill-primary', 'etcd-quorum-loss', 'zone-outage', 'slow-database', 'replica-lag-storm', 'api-instance-kill', 'disk-full-wal', 'broker-alarm', 'clock-skew-replica', 'cache-partition']) expect(names).toContain(n);
    expect(experiments.filter((e) => e.drill).map((e) => e.name).sort()).toEqual(['cluster-restore', 'crash-postgres', 'isolate-primary', 'kill-primary', 'pitr-across-failover', 'rabbitmq-node-loss', 'redis-master-isolated', 'redis-master-kill', 'replicas-lost', 'repository-host-loss', 'sentinel-restart', 'stop-primary', 'switchover', 'worker-stop']);
    expect(experiments.filter((e) => e.everyRun).length).toBe(4);
  });

  it('a bad file is refused with every problem named: unknown fault, unknown service, missing tolerance, unknown alert, bad parameter', () => {
    const bad = `
title: t
claim: c
steady-state:
  - probe: api-p95-ms
  - probe: no-such-probe
method:
  - fault: kil
    targets: [{ service: pg }]
    duration: 5
  - fault: latency
    targets: [{ service: toxiproxy }]
    params: { route: postgres-write, latency: -5 }
    duration: 5
alerts: [DatabaseGone]
`;
    const found = problems(bad);
    expect(found.join('\n')).toMatch(/steady-state\[0\] \(api-p95-ms\): missing tolerance/);
    expect(found.join('\n')).toMatch(/unknown probe "no-such-probe"/);
    expect(found.join('\n')).toMatch(/method\[0\]\.fault: unknown fault "kil" \(the fault library has: kill, stop/);
    expect(found.join('\n')).toMatch(/method\[0\]\.targets\[0\]\.service: unknown service "pg"/);
    expect(found.join('\n')).toMatch(/method\[1\]\.params\.latency: a number from 0 to 60000 ms, not -5/);
    expect(found.join('\n')).toMatch(/alerts\[0\]: unknown alert "DatabaseGone"/);
  });

  it('a fault a service does not offer, a role it has not, and an unreadable tolerance are refused', () => {
    const found = problems(GOOD.replace('fault: kill', 'fault: memory-alarm').replace('instance: sample-api-1', 'role: master').replace('latency.apiP95Ms', 'latency.nothing'));
    expect(found.join('\n')).toMatch(/sample-api has no fault "memory-alarm"/);
    expect(found.join('\n')).toMatch(/role: sample-api has no roles/);
    expect(found.join('\n')).toMatch(/latency\.nothing is not in src\/core\/targets\.ts/);
    expect(problems(GOOD)).toEqual([]);
  });

  it('an expected alert may start its detection clock at the first failed client request, and nothing else', () => {
    const withAlert = (alert: string) => `${GOOD}alerts:\n${alert}\n`;
    expect(problems(withAlert('  - name: ApiDown\n    from: first-failure'))).toEqual([]);
    expect(parseExperiment(withAlert('  - name: ApiDown\n    from: first-failure'), '/tmp/ok.yaml').alerts[0]).toMatchObject({ name: 'ApiDown', from: 'first-failure', resolve: true });
    expect(parseExperiment(withAlert('  - ApiDown'), '/tmp/ok.yaml').alerts[0]).toMatchObject({ from: 'fault' });
    expect(problems(withAlert('  - name: ApiDown\n    from: first-error')).join('\n')).toMatch(/alerts\[0\]\.from: "fault" or "first-failure", not "first-error"/);
    expect(problems(withAlert('  - name: ApiDown\n    deadline: 5')).join('\n')).toMatch(/alerts\[0\]\.deadline: not a key of an expected alert/);
  });

  it('tolerances read src/core/targets.ts and the profile\'s promises', () => {
    expect(parseTolerance('latency.apiP95Ms').resolve(PROFILES.test)).toEqual(targets.latency.apiP95Ms);
    expect(parseTolerance('latency.errorRate').resolve(PROFILES.test)).toEqual(targets.latency.errorRate);
    expect(parseTolerance('<= plan.errorRate').resolve(PROFILES.test)).toEqual({ op: '<=', value: targets.plan.errorRate });
    expect(parseTolerance('<= alertRules.queueDepth').resolve(PROFILES.test)).toEqual({ op: '<=', value: targets.alertRules.queueDepth });
    expect(parseTolerance('<= promise.failoverRtoSeconds').resolve(PROFILES.production)).toEqual({ op: '<=', value: promises(PROFILES.production).failoverRtoSeconds });
    expect(parseTolerance('<= promise.alertDetectionSeconds.high').resolve(PROFILES.test).value).toBe(promises(PROFILES.test).alertDetectionSeconds.high);
    expect(() => parseTolerance('0')).toThrow(/needs a comparison/);
    expect(() => parseTolerance('<= latency.apiP95Ms')).toThrow(/already a comparison/);
    expect(() => parseTolerance('<= promise.nothing')).toThrow(/not a promise/);
  });
});

describe('the fault library (src/stack/faults)', () => {
  const declared = new Set([...CONTAINER_FAULTS.map((f) => f.verb), ...STACK.flatMap((s) => (s.faults ?? []).map((f) => f.verb))]);

  it('every verb is declared by CONTAINER_FAULTS or a service spec, and every declared verb is implemented or said to live elsewhere', () => {
    for (const verb of FAULT_VERBS) expect(declared, verb.verb).toContain(verb.verb);
    for (const verb of declared) expect(FAULT_VERBS.some((f) => f.verb === verb) || verb in DECLARED_ELSEWHERE, verb).toBe(true);
  });

  it('every verb is bounded in time and says how it is undone', () => {
    for (const verb of FAULT_VERBS) {
      expect(verb.maxSeconds, verb.verb).toBeGreaterThan(0);
      expect(verb.maxSeconds, verb.verb).toBeLessThanOrEqual(600);
      expect(verb.undo.length, verb.verb).toBeGreaterThan(10);
    }
    const covered = FAULT_VERBS.map((f) => f.verb);
    for (const v of ['kill', 'stop', 'restart', 'pause', 'partition', 'latency', 'bandwidth', 'reset-peer', 'blackhole', 'flap', 'disk-fill', 'cpu-hog', 'memory-hog', 'clock-skew', 'dns-failure']) expect(covered).toContain(v);
  });
});

describe('chaos/README.md', () => {
  it('documents every fault verb in its library table', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../chaos/README.md', import.meta.url), 'utf8');
    for (const verb of FAULT_VERBS) expect(readme, verb.verb).toContain(`| \`${verb.verb}\` |`);
  });
});
