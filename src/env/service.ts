import type Docker from 'dockerode';
import { docker } from '../docker/engine.ts';
import { LABEL, runLabels } from '../docker/labels.ts';

/** The environment `refstack up` brings up: one long-lived network, containers named refstack-<service>. */
export const ENV_NETWORK = 'refstack-env';
export const ENV_RUN_ID = 'env';

export interface Endpoint {
  name: string;
  url: string;
}

export interface ServiceDefinition {
  /** Container name suffix: refstack-<name>. */
  name: string;
  /** Services that must be healthy first. */
  dependsOn: string[];
  /** Image (refstack/<image>:latest) the service runs. */
  image: string;
  create(network: string): Docker.ContainerCreateOptions;
  endpoints: Endpoint[];
  /** One line on the service's role or state, for `refstack status`. */
  describe?(container: Docker.Container): Promise<string>;
}

export function containerName(service: string): string {
  return `refstack-${service}`;
}

export function envLabels(service: string): Record<string, string> {
  return { ...runLabels('env', ENV_RUN_ID), 'org.refstack.service': service };
}

export interface ServiceStatus {
  service: string;
  container: string;
  state: 'missing' | 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  detail: string;
}

export async function serviceStatus(def: ServiceDefinition): Promise<ServiceStatus> {
  const name = containerName(def.name);
  try {
    const container = docker().getContainer(name);
    const info = await container.inspect();
    const health = (info.State.Health?.Status ?? 'none') as ServiceStatus['health'];
    const state = info.State.Status as ServiceStatus['state'];
    const detail = state === 'running' && def.describe ? await def.describe(container).catch((e: Error) => e.message) : '';
    return { service: def.name, container: name, state, health, detail };
  } catch {
    return { service: def.name, container: name, state: 'missing', health: 'none', detail: '' };
  }
}

export { LABEL };
