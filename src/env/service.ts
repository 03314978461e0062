import type Docker from 'dockerode';
import { docker } from '../core/docker/engine.ts';
import { LABEL, runLabels } from '../core/docker/labels.ts';
import { imageRef } from '../core/images/catalog.ts';
import type { TimingName } from '../topologies/postgres/timing.ts';

/** The environment `refstack up` brings up: one long-lived network, containers named refstack-<service>. */
export const ENV_NETWORK = 'refstack-env';
export const ENV_RUN_ID = 'env';
export const PROFILE_LABEL = 'org.refstack.profile';
export const SERVICE_LABEL = 'org.refstack.service';
/** Hash of a container's options and image id: `up` recreates a service whose hash changed. */
export const CONFIG_HASH_LABEL = 'org.refstack.config-hash';

export type EnvProfile = TimingName;
export const ENV_PROFILES: EnvProfile[] = ['test', 'production'];
export const DEFAULT_PROFILE: EnvProfile = 'production';

export interface Endpoint {
  name: string;
  url: string;
}

/** A refstack image built from images/<name>, or an upstream image that must be pulled (laptop-only services). */
export type ImageSource = { build: string } | { pull: string };

export interface EnvContext {
  network: string;
  profile: EnvProfile;
  /** Services `up` starts in this run: an optional service whose image cannot be had is left out. */
  available: ReadonlySet<string>;
}

export interface ServiceDefinition {
  /** Container refstack-<name>; also its DNS name on the environment network. */
  name: string;
  /** Services that must be healthy first. */
  dependsOn: string[];
  image: ImageSource;
  /** Further DNS names on the network (what other services' configuration addresses it by). */
  aliases?: string[];
  /** Runs only where its upstream image can be pulled (compose's `laptop` profile). */
  laptop?: boolean;
  /** The container's own options; name, image, labels and network aliases are added by {@link containerOptions}. */
  create(ctx: EnvContext): Docker.ContainerCreateOptions;
  endpoints: Endpoint[];
  /** One line on the service's role or state, for `refstack status`. */
  describe?(): Promise<string>;
  /** Runs once the service is healthy, every `up` (must be idempotent). */
  afterHealthy?(ctx: EnvContext): Promise<void>;
}

export function containerName(service: string): string {
  return `refstack-${service}`;
}

export function imageName(source: ImageSource): string {
  return 'build' in source ? imageRef(source.build) : source.pull;
}

/** Everything `up` passes to the engine for one service. */
export function containerOptions(def: ServiceDefinition, ctx: EnvContext): Docker.ContainerCreateOptions {
  const own = def.create(ctx);
  const exposed = Object.fromEntries(Object.keys(own.HostConfig?.PortBindings ?? {}).map((p) => [p, {}]));
  return {
    ...own,
    ExposedPorts: { ...exposed, ...own.ExposedPorts },
    name: containerName(def.name),
    Image: imageName(def.image),
    Labels: { ...own.Labels, ...envLabels(def.name, ctx.profile) },
    HostConfig: { ...own.HostConfig, NetworkMode: ctx.network },
    NetworkingConfig: { EndpointsConfig: { [ctx.network]: { Aliases: [def.name, ...(def.aliases ?? [])] } } },
  };
}

export function envLabels(service: string, profile?: EnvProfile): Record<string, string> {
  return { ...runLabels('env', ENV_RUN_ID), [SERVICE_LABEL]: service, ...(profile ? { [PROFILE_LABEL]: profile } : {}) };
}

/** Docker's health check, in the seconds people think in (the API wants nanoseconds). */
export function healthcheck(test: string, options: { intervalS?: number; timeoutS?: number; retries?: number; startPeriodS?: number } = {}): Docker.HealthConfig {
  const ns = (s: number) => Math.round(s * 1e9);
  return {
    Test: ['CMD-SHELL', test],
    Interval: ns(options.intervalS ?? 2),
    Timeout: ns(options.timeoutS ?? 3),
    Retries: options.retries ?? 3,
    StartPeriod: ns(options.startPeriodS ?? 120),
  };
}

/** A health probe for images without curl: bash opens a TCP connection. */
export const tcpProbe = (port: number) => `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`;

export interface ServiceStatus {
  service: string;
  container: string;
  state: 'missing' | 'unavailable' | 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  profile?: string;
  configHash?: string;
  detail: string;
}

export async function serviceStatus(def: ServiceDefinition): Promise<ServiceStatus> {
  const name = containerName(def.name);
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker().getContainer(name).inspect();
  } catch {
    if (def.laptop && !(await imagePresent(imageName(def.image)))) {
      return { service: def.name, container: name, state: 'unavailable', health: 'none', detail: `image ${imageName(def.image)} is not present (laptop only)` };
    }
    return { service: def.name, container: name, state: 'missing', health: 'none', detail: '' };
  }
  const health = (info.State.Health?.Status ?? 'none') as ServiceStatus['health'];
  const state = info.State.Status as ServiceStatus['state'];
  const detail = state === 'running' && def.describe ? await def.describe().catch((e: Error) => `? ${e.message}`) : '';
  const profile = info.Config.Labels?.[PROFILE_LABEL];
  const configHash = info.Config.Labels?.[CONFIG_HASH_LABEL];
  return { service: def.name, container: name, state, health, ...(profile ? { profile } : {}), ...(configHash ? { configHash } : {}), detail };
}

export async function imagePresent(ref: string): Promise<boolean> {
  try {
    await docker().getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

export { LABEL };
