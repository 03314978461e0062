import { join } from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertmanagerToolbox } from '../../../services/alertmanager/alertmanager.ts';
import { prometheusToolbox } from '../../../services/prometheus/prometheus.ts';
import { RECEIVER_BY_SEVERITY } from '../../../services/alertmanager/config.ts';
import { GENERATED_DIR } from '../../../monitoring/generate.ts';
import { production } from '../../../monitoring/lib/profiles.ts';
import { allAlertRules, components } from '../../../monitoring/mixin.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';

const WORK = '/work';

async function sh(container: StartedTestContainer, script: string) {
  const result = await container.exec(['sh', '-c', script]);
  return { code: result.exitCode, out: result.output };
}

/** Alert names promtool reports as failed ("alertname: X, time: …"). */
function failedAlerts(output: string): Set<string> {
  return new Set([...output.matchAll(/alertname: (\w+), time:/g)].map((m) => m[1]!));
}

describeWithDocker('monitoring rules and routing pass promtool and amtool from the Debian-packaged images', () => {
  let prom: StartedTestContainer | undefined;
  let am: StartedTestContainer | undefined;
  const alertNames = allAlertRules(production).map((r) => r.alert).sort();

  beforeAll(async () => {
    const copy = [{ source: GENERATED_DIR, target: WORK }];
    [prom, am] = await Promise.all([
      prometheusToolbox().withCopyDirectoriesToContainer(copy).start(),
      alertmanagerToolbox().withCopyDirectoriesToContainer(copy).start(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([prom?.stop(), am?.stop()]);
  });

  it('promtool check config and check rules accept the production and test-profile files', async () => {
    const config = await sh(prom!, `promtool check config ${WORK}/prometheus/prometheus.yml`);
    expect(config.code, config.out).toBe(0);
    const rules = await sh(prom!, `promtool check rules ${WORK}/prometheus/rules/*.yml ${WORK}/test-profile/rules/*.yml`);
    expect(rules.code, rules.out).toBe(0);
    expect(rules.out.match(/SUCCESS/g)?.length, rules.out).toBe(components.length * 2);
  });

  it('promtool unit tests: every alert fires when its condition holds and stays quiet at its boundary', async () => {
    const result = await sh(prom!, `cd ${WORK}/prometheus/tests && promtool test rules *.test.yml`);
    expect(result.code, result.out).toBe(0);
    expect(result.out.match(/SUCCESS/g)?.length, result.out).toBe(components.length);
  });

  it('the promtool tests can fail: with thresholds moved out of reach every firing case fails, moved to zero every boundary case fails', async () => {
    // Mutants of the rule files: every comparison against a literal made never-true, then always-true.
    const mutate = (name: string, replacement: string) =>
      sh(
        prom!,
        `rm -rf /tmp/${name} && cp -r ${WORK}/prometheus /tmp/${name} && ` +
          `sed -i -E 's/ (>|==) -?[0-9][0-9.e-]*( |$)/ ${replacement}\\2/g' /tmp/${name}/rules/*.yml && ` +
          `cd /tmp/${name}/tests && promtool test rules *.test.yml`,
      );
    const never = await mutate('never', '< -1e300');
    expect(never.code).not.toBe(0);
    expect([...failedAlerts(never.out)].sort(), 'alerts whose firing case still passed with an impossible threshold').toEqual(alertNames);
    const always = await mutate('always', '> -1e300');
    expect(always.code).not.toBe(0);
    expect([...failedAlerts(always.out)].sort(), 'alerts whose boundary case still passed with a zero threshold').toEqual(alertNames);
  });

  it('amtool check-config accepts the Alertmanager configuration and routes each severity to its receiver', async () => {
    const file = join(WORK, 'alertmanager/alertmanager.yml');
    const check = await sh(am!, `amtool check-config ${file}`);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/Found:\s+- global config\s+- route\s+- 2 inhibit rules\s+- 3 receivers/);
    for (const [severity, receiver] of Object.entries(RECEIVER_BY_SEVERITY)) {
      const route = await sh(am!, `amtool config routes test --config.file=${file} severity=${severity} alertname=X family=y 2>/dev/null`);
      expect(route.out.trim(), `severity=${severity}`).toBe(receiver);
    }
  });
});
