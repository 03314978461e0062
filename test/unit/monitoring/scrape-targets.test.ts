import { describe, expect, it } from 'vitest';
import { prometheusConfig, scrapeTargets } from '../../../services/prometheus/config.ts';
import { profile } from '../../../src/core/profiles.ts';
import { CORE_SERVICES } from '../../../src/stack/definition.ts';
import { planStack } from '../../../src/stack/plan.ts';
import { generateSecrets } from '../../../src/stack/secrets.ts';

interface ScrapeConfig {
  job_name: string;
  static_configs: Array<{ targets: string[]; labels: { instance: string } }>;
}

/**
 * Issue 11: two API instances scraped as one target (one address behind a balancer) gave one `instance`
 * whose counters jumped between the two processes. Every process is its own target now, named by its
 * container; the live suite proves it on a running stack (monitoring.scrape_targets_sample_api).
 */
describe('Prometheus scrapes one target per process, labelled with its instance name', () => {
  const plan = (replicas: Record<string, number> = {}) => planStack({ profile: 'test', services: CORE_SERVICES, replicas }, generateSecrets());
  const jobs = (p: ReturnType<typeof plan>) =>
    prometheusConfig(profile('test').monitoring, { targets: scrapeTargets(p.specs.map((spec) => ({ spec, instances: p.instancesOf(spec.name).map((i) => i.name) }))), alertmanagers: [] }).scrape_configs as ScrapeConfig[];

  it('every instance of every scraped service is one static target whose instance label is its name and whose address is its own', () => {
    const p = plan();
    const configs = jobs(p).filter((j) => j.job_name !== 'prometheus');
    const targets = configs.flatMap((j) => j.static_configs);
    expect(targets.every((t) => t.targets.length === 1 && t.targets[0]!.startsWith(`${t.labels.instance}:`))).toBe(true);
    const scraped = p.instances.filter((i) => i.spec.scrape?.length).map((i) => i.name).sort();
    expect(targets.map((t) => t.labels.instance).sort()).toEqual(scraped);
  });

  it('the API job has as many targets as API instances, and the exporters follow their members', () => {
    for (const count of [1, 2, 4]) {
      const api = jobs(plan({ 'sample-api': count })).find((j) => j.job_name === 'sample-api')!;
      expect(api.static_configs.map((t) => t.labels.instance)).toEqual(Array.from({ length: count }, (_, i) => (count === 1 ? 'sample-api' : `sample-api-${i + 1}`)));
    }
    const twoMembers = plan({ postgres: 2 });
    expect(twoMembers.instancesOf('postgres-exporter').map((i) => i.name)).toEqual(['pg1-exporter', 'pg2-exporter']);
    expect(twoMembers.instancesOf('postgres-exporter')[1]!.ctx.addresses('postgres', 'pg')[1]).toBe('pg2:5432');
    expect(() => plan({ 'postgres-exporter': 2 })).toThrow(/one instance per postgres instance/);
  });
});
