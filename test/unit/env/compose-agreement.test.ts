import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_FILE, PROFILE_VARIABLE, renderCompose } from '../../../src/env/compose.ts';
import { COMPOSE_DIR, staleEnvConfigs } from '../../../src/env/config-files.ts';
import { ENV_PORTS } from '../../../src/env/ports.ts';
import { ENV_NETWORK, ENV_PROFILES, containerOptions, imageName, type EnvContext } from '../../../src/env/service.ts';
import { SERVICES } from '../../../src/env/services.ts';

interface ComposeMount {
  type: string;
  source: string;
  target: string;
}

interface ComposeService {
  image: string;
  profiles?: string[];
  ports?: string[];
  volumes?: ComposeMount[];
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, ComposeService>; networks: { default: { name: string } } };

/** What `refstack up` would create for one profile, reduced to what compose.yaml must agree on. */
function registryView(profile: (typeof ENV_PROFILES)[number]) {
  const ctx: EnvContext = { network: ENV_NETWORK, profile, available: new Set(SERVICES.map((s) => s.name)) };
  return SERVICES.map((def) => {
    const o = containerOptions(def, ctx);
    const mounts = o.HostConfig?.Mounts ?? [];
    return {
      name: def.name,
      image: imageName(def.image),
      laptop: def.laptop ?? false,
      binds: mounts.filter((m) => m.Type === 'bind').map((m) => `${m.Source} -> ${m.Target}`).sort(),
      volumes: mounts.filter((m) => m.Type === 'volume').map((m) => `${m.Source} -> ${m.Target}`).sort(),
      ports: Object.entries(o.HostConfig?.PortBindings ?? {})
        .flatMap(([port, bindings]) => (bindings as Array<{ HostIp: string; HostPort: string }>).map((b) => `${b.HostIp}:${b.HostPort}:${port.replace('/tcp', '')}`))
        .sort(),
    };
  });
}

/** compose.yaml's view of the same, with REFSTACK_PROFILE set to `profile` and bind sources resolved from compose/. */
function composeView(profile: string) {
  return Object.entries(compose.services).map(([name, s]) => ({
    name,
    image: s.image,
    laptop: (s.profiles ?? []).includes('laptop'),
    binds: (s.volumes ?? []).filter((v) => v.type === 'bind').map((v) => `${resolve(COMPOSE_DIR, v.source.replace(PROFILE_VARIABLE, profile))} -> ${v.target}`).sort(),
    volumes: (s.volumes ?? []).filter((v) => v.type === 'volume').map((v) => `${v.source} -> ${v.target}`).sort(),
    ports: [...(s.ports ?? [])].sort(),
  }));
}

describe('compose/compose.yaml and the environment `refstack up` builds', () => {
  it.each(ENV_PROFILES)('agree on services, images, configuration mounts, volumes and published ports (%s profile)', (profile) => {
    const byName = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(composeView(profile))).toEqual(byName(registryView(profile)));
  });

  it('compose.yaml is exactly what the registry renders (fix: npx tsx src/env/compose.ts)', () => {
    expect(readFileSync(COMPOSE_FILE, 'utf8')).toBe(renderCompose());
  });

  it('the configuration files both mount are up to date with the topology builders (fix: npx tsx src/env/config-files.ts)', () => {
    expect(staleEnvConfigs()).toEqual([]);
  });

  it('compose uses the same network name, and Grafana and Elasticsearch only in the laptop profile', () => {
    expect(compose.networks.default.name).toBe(ENV_NETWORK);
    const laptop = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('laptop')).map(([n]) => n).sort();
    expect(laptop).toEqual(['elasticsearch', 'grafana']);
  });

  it('every published port binds 127.0.0.1, is one of the documented fixed ports, is used once, and lies below the ephemeral range of the test topologies', () => {
    const ports = registryView('production').flatMap((s) => s.ports);
    const documented = new Set(Object.values(ENV_PORTS).flat().map(String));
    for (const p of ports) {
      const [ip, host] = p.split(':');
      expect(ip, p).toBe('127.0.0.1');
      expect(documented.has(host!), `${p} is not in src/env/ports.ts`).toBe(true);
      expect(Number(host), p).toBeLessThan(32768);
    }
    expect(new Set(ports.map((p) => p.split(':')[1])).size).toBe(ports.length);
    expect(ports.length).toBe(documented.size);
  });
});
