import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RECEIVER_BY_SEVERITY } from '../../../services/alertmanager/config.ts';
import { GENERATED_DIR } from '../../../monitoring/generate.ts';
import { allAlertRules, components } from '../../../monitoring/mixin.ts';
import { imageRef } from '../../../src/core/images/catalog.ts';
import { ROOT } from '../../../src/core/paths.ts';
import { PROFILE_NAMES, profile } from '../../../src/core/profiles.ts';
import type { FileSpec } from '../../../src/core/spec.ts';
import { startToolbox, type Toolbox } from '../../../src/stack/docker/toolbox.ts';
import { describeWithDocker } from '../../../src/testing/integration.ts';

/** Where the committed artefacts are copied in the toolboxes: monitoring/generated and compose/generated as they are. */
const WORK = '/work';

/** Every file under a repository folder, as files to copy to the same relative path under WORK. */
function folderFiles(folder: string): FileSpec[] {
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : [join(dir, e)]));
  return walk(join(ROOT, folder)).map((full) => ({ path: join(WORK, relative(ROOT, full)), content: readFileSync(full, 'utf8') }));
}

/** Alert names promtool reports as failed ("alertname: X, time: …"). */
function failedAlerts(output: string): Set<string> {
  return new Set([...output.matchAll(/alertname: (\w+), time:/g)].map((m) => m[1]!));
}

/** The Prometheus configuration of one profile's stack, as compose mounts it. */
const prometheusYml = (p: string) => `${WORK}/compose/generated/${p}/prometheus/etc/prometheus/prometheus.yml`;
const alertmanagerYml = (p: string) => `${WORK}/compose/generated/${p}/alertmanager/etc/alertmanager/alertmanager.yml`;

describeWithDocker('monitoring rules and routing pass promtool and amtool from the Debian-packaged images', () => {
  let prom: Toolbox | undefined;
  let am: Toolbox | undefined;
  const production = profile('production').monitoring;
  const alertNames = allAlertRules(production).map((r) => r.alert).sort();
  const componentCount = components().length;

  beforeAll(async () => {
    const files = [...folderFiles(GENERATED_DIR), ...folderFiles('compose/generated')];
    [prom, am] = await Promise.all([startToolbox(imageRef('prometheus'), files), startToolbox(imageRef('alertmanager'), files)]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([prom?.remove(), am?.remove()]);
  });

  it('promtool check config and check rules accept the stack configuration and the rule files of both profiles', async () => {
    for (const p of PROFILE_NAMES) {
      // The configuration names its rule files by the path Prometheus' container has them at.
      const config = await prom!.sh(`mkdir -p /etc/prometheus && rm -rf /etc/prometheus/rules && cp -r ${WORK}/compose/generated/${p}/prometheus/etc/prometheus/rules /etc/prometheus/rules && promtool check config ${prometheusYml(p)}`);
      expect(config.exitCode, `${p}: ${config.output}`).toBe(0);
    }
    const rules = await prom!.sh(`promtool check rules ${WORK}/${GENERATED_DIR}/prometheus/rules/*.yml ${WORK}/${GENERATED_DIR}/test-profile/rules/*.yml`);
    expect(rules.exitCode, rules.output).toBe(0);
    expect(rules.output.match(/SUCCESS/g)?.length, rules.output).toBe(componentCount * 2);
  });

  it('promtool unit tests: every alert fires when its condition holds and stays quiet at its boundary', async () => {
    const result = await prom!.sh(`cd ${WORK}/${GENERATED_DIR}/prometheus/tests && promtool test rules *.test.yml`, 300_000);
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)?.length, result.output).toBe(componentCount);
  }, 300_000);

  it('the promtool tests can fail: with thresholds moved out of reach every firing case fails, moved to zero every boundary case fails', async () => {
    // Mutants of the rule files: every comparison against a literal made never-true, then always-true.
    const mutate = (name: string, replacement: string) =>
      prom!.sh(
        `rm -rf /tmp/${name} && cp -r ${WORK}/${GENERATED_DIR}/prometheus /tmp/${name} && ` +
          `sed -i -E 's/ (>|==) -?[0-9][0-9.e-]*( |$)/ ${replacement}\\2/g' /tmp/${name}/rules/*.yml && ` +
          `cd /tmp/${name}/tests && promtool test rules *.test.yml`,
        300_000,
      );
    const never = await mutate('never', '< -1e300');
    expect(never.exitCode).not.toBe(0);
    expect([...failedAlerts(never.output)].sort(), 'alerts whose firing case still passed with an impossible threshold').toEqual(alertNames);
    const always = await mutate('always', '> -1e300');
    expect(always.exitCode).not.toBe(0);
    expect([...failedAlerts(always.output)].sort(), 'alerts whose boundary case still passed with a zero threshold').toEqual(alertNames);
  }, 600_000);

  it('amtool check-config accepts the Alertmanager configuration of both profiles and routes each severity to its receiver', async () => {
    for (const p of PROFILE_NAMES) {
      const file = alertmanagerYml(p);
      const check = await am!.sh(`amtool check-config ${file}`);
      expect(check.exitCode, check.output).toBe(0);
      expect(check.output).toMatch(/Found:\s+- global config\s+- route\s+- 2 inhibit rules\s+- 3 receivers/);
      for (const [severity, receiver] of Object.entries(RECEIVER_BY_SEVERITY)) {
        const route = await am!.sh(`amtool config routes test --config.file=${file} severity=${severity} alertname=X family=y 2>/dev/null`);
        expect(route.stdout.trim(), `${p}: severity=${severity}`).toBe(receiver);
      }
    }
  });
});
