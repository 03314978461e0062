import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkArtefacts } from '../../../src/env/artefacts.ts';
import { ROOT } from '../../../src/core/paths.ts';
import { PROFILE_NAMES } from '../../../src/core/profiles.ts';
import { COMPOSE_DIR, composeEnvFile, composeFileName, renderCompose } from '../../../src/stack/compose.ts';
import { STACK } from '../../../src/stack/definition.ts';
import { planStack } from '../../../src/stack/plan.ts';
import { generateSecrets } from '../../../src/stack/secrets.ts';

describe('compose files, rendered from the one stack', () => {
  it('the committed artefacts (compose files, their configuration, monitoring rules, dashboards, runbooks) are what `refstack generate` writes now', () => {
    const s = checkArtefacts();
    expect({ stale: s.stale, missing: s.missing, extra: s.extra }, 'run: refstack generate').toEqual({ stale: [], missing: [], extra: [] });
  });

  it.each(PROFILE_NAMES)('%s: one compose service per instance `refstack up` creates, same image, same fixed 127.0.0.1 ports', (profile) => {
    const doc = parse(readFileSync(join(COMPOSE_DIR, composeFileName(profile)), 'utf8')) as { services: Record<string, { image: string; ports?: string[] }> };
    const plan = planStack({ profile, services: STACK.map((s) => s.name) }, generateSecrets());
    expect(Object.keys(doc.services).sort()).toEqual(plan.instances.map((i) => i.name).sort());
    for (const inst of plan.instances) {
      const service = doc.services[inst.name]!;
      expect(service.image, inst.name).toMatch(new RegExp(`(^|/)${'build' in inst.spec.image ? inst.spec.image.build : inst.spec.image.pull.split('/').pop()!.split(':')[0]}`));
      for (const p of inst.spec.ports.filter((x) => x.publish?.env)) expect(service.ports, inst.name).toContain(`127.0.0.1:${p.publish!.env![inst.index]}:${p.container}`);
    }
  });

  it('holds no credential: every secret is a ${REFSTACK_…} variable that `refstack env --compose` fills', () => {
    const secrets = generateSecrets();
    const files = [...renderCompose('production').values()].join('\n');
    for (const value of [secrets.postgresSuperuser, secrets.rabbitmqPassword, ...secrets.apiKeys.map((k) => k.key)]) expect(files).not.toContain(value);
    expect(files).toMatch(/PATRONI_SUPERUSER_PASSWORD: \$\{REFSTACK_POSTGRES_SUPERUSER:\?/);
    const env = composeEnvFile(secrets);
    expect(env).toContain(`REFSTACK_POSTGRES_SUPERUSER=${secrets.postgresSuperuser}`);
    expect(readFileSync(join(ROOT, 'compose', '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });

  it('every service logs through json-file tagged refstack/<service>; the log shipper reads the engine\'s log folder read-only', () => {
    type Service = { logging?: { driver: string; options: Record<string, string> }; volumes?: Array<{ type: string; source: string; target: string; read_only?: boolean }>; environment?: Record<string, string>; cap_drop?: string[] };
    const doc = parse(readFileSync(join(COMPOSE_DIR, composeFileName('production')), 'utf8')) as { services: Record<string, Service> };
    const plan = planStack({ profile: 'production', services: STACK.map((s) => s.name) }, generateSecrets());
    for (const inst of plan.instances) {
      expect(doc.services[inst.name]!.logging, inst.name).toEqual({ driver: 'json-file', options: { tag: `refstack/${inst.spec.name}`, 'max-size': '20m', 'max-file': '3' } });
    }
    const shipper = doc.services['log-shipper']!;
    expect(shipper.volumes).toContainEqual({ type: 'bind', source: '${REFSTACK_DOCKER_ROOT:-/var/lib/docker}/containers', target: '/var/lib/docker/containers', read_only: true });
    expect(shipper.environment?.LOG_PROJECT).toBe('refstack');
    expect(shipper.cap_drop).toEqual(['ALL']);
  });
  it('the pgBackRest repository host stops after the Postgres members (they depend on it, started), so their shutdown WAL is archived', () => {
    type Service = { depends_on?: Record<string, { condition: string }> };
    const doc = parse(readFileSync(join(COMPOSE_DIR, composeFileName('production')), 'utf8')) as { services: Record<string, Service> };
    const members = Object.keys(doc.services).filter((n) => /^pg\d+$/.test(n));
    expect(members.length).toBeGreaterThan(1);
    for (const m of members) expect(doc.services[m]!.depends_on?.pgbackrest, m).toEqual({ condition: 'service_started' });
    expect(Object.keys(doc.services.pgbackrest!.depends_on ?? {}).filter((d) => members.includes(d))).toEqual([]);
  });
});
