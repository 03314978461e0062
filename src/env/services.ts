import type { ServiceDefinition } from './service.ts';
import { APP_SERVICES } from './services/app.ts';
import { MESSAGING_SERVICES } from './services/messaging.ts';
import { LAPTOP_SERVICES, MONITORING_SERVICES } from './services/monitoring.ts';
import { POSTGRES_SERVICES } from './services/postgres.ts';

/**
 * Every service `refstack up` starts. Images and configuration come from the parts' own folders
 * (images/<name>/, src/topologies/, monitoring/generated/); src/env/ only wires them together.
 */
export const SERVICES: ServiceDefinition[] = [...POSTGRES_SERVICES, ...MESSAGING_SERVICES, ...APP_SERVICES, ...MONITORING_SERVICES, ...LAPTOP_SERVICES];

export function serviceByName(name: string, services = SERVICES): ServiceDefinition {
  const found = services.find((s) => s.name === name);
  if (!found) throw new Error(`unknown service "${name}"; known: ${services.map((s) => s.name).join(', ')}`);
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
    for (const dep of s.dependsOn) visit(serviceByName(dep, services));
    visiting.delete(s.name);
    ordered.push(s);
  };
  services.forEach(visit);
  return ordered;
}
