import { imageRef } from '../images/catalog.ts';
import { containerName, envLabels, type ServiceDefinition } from './service.ts';

/**
 * Every service `refstack up` starts, in dependency order. Later parts of the architecture add
 * their definitions here; each definition's config files live in its images/<name>/ folder.
 */
export const ENV_POSTGRES_PORT = 15432;

const postgres: ServiceDefinition = {
  name: 'postgres',
  dependsOn: [],
  image: 'postgres',
  endpoints: [{ name: 'PostgreSQL', url: `postgres://refstack:refstack@127.0.0.1:${ENV_POSTGRES_PORT}/refstack` }],
  create: (network) => ({
    name: containerName('postgres'),
    Image: imageRef('postgres'),
    Env: ['POSTGRES_USER=refstack', 'POSTGRES_PASSWORD=refstack', 'POSTGRES_DB=refstack'],
    Labels: envLabels('postgres'),
    Healthcheck: {
      Test: ['CMD-SHELL', 'pg_isready --host 127.0.0.1 --username refstack --dbname refstack'],
      Interval: 1_000_000_000,
      Timeout: 2_000_000_000,
      Retries: 60,
    },
    HostConfig: {
      NetworkMode: network,
      PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: String(ENV_POSTGRES_PORT) }] },
      Mounts: [{ Type: 'volume', Source: 'refstack-postgres-data', Target: '/var/lib/postgresql/data' }],
    },
    ExposedPorts: { '5432/tcp': {} },
  }),
};

export const SERVICES: ServiceDefinition[] = [postgres];

export function serviceByName(name: string): ServiceDefinition {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service "${name}"; known: ${SERVICES.map((s) => s.name).join(', ')}`);
  return found;
}

/** Services ordered so that each comes after everything it depends on. */
export function startOrder(services = SERVICES): ServiceDefinition[] {
  const ordered: ServiceDefinition[] = [];
  const visiting = new Set<string>();
  const visit = (s: ServiceDefinition) => {
    if (ordered.includes(s)) return;
    if (visiting.has(s.name)) throw new Error(`dependency cycle through ${s.name}`);
    visiting.add(s.name);
    for (const dep of s.dependsOn) visit(services.find((x) => x.name === dep) ?? serviceByName(dep));
    visiting.delete(s.name);
    ordered.push(s);
  };
  services.forEach(visit);
  return ordered;
}
