import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type Docker from 'dockerode';
import { removeByLabels, type Removed } from '../core/docker/cleanup.ts';
import { docker, withTimeout } from '../core/docker/engine.ts';
import { LABEL, runLabels } from '../core/docker/labels.ts';
import { ensureImages } from '../core/images/build.ts';
import { detail, elapsed, step } from '../core/progress.ts';
import { writeEnvConfigs } from './config-files.ts';
import { demux } from './exec.ts';
import {
  DEFAULT_PROFILE,
  ENV_NETWORK,
  CONFIG_HASH_LABEL,
  ENV_RUN_ID,
  PROFILE_LABEL,
  containerName,
  containerOptions,
  envLabels,
  imageName,
  imagePresent,
  serviceStatus,
  type EnvContext,
  type EnvProfile,
  type ServiceDefinition,
  type ServiceStatus,
} from './service.ts';
import { SERVICES, startOrder } from './services.ts';

const HEALTHY_WITHIN_MS = 180_000;
const PULL_WITHIN_MS = 600_000;
export const ENV_FILTER = [`${LABEL.managed}=true`, `${LABEL.owner}=env`];

export interface UpOptions {
  profile?: EnvProfile;
  services?: ServiceDefinition[];
  /** Aborting stops `up` from creating further containers (Ctrl-C); what it started is then removed by `down`. */
  signal?: AbortSignal;
}

export interface UpResult {
  statuses: ServiceStatus[];
  /** Laptop-only services whose image could not be had here, with the reason. */
  unavailable: Array<{ service: string; reason: string }>;
  /** Services this call started (empty: the environment was already up). */
  started: string[];
  seconds: number;
}

/**
 * Starts every service once all of its dependencies are healthy, so independent services start in
 * parallel (etcd's three members must: none is healthy before a quorum exists).
 */
export async function up(options: UpOptions = {}): Promise<UpResult> {
  const t0 = performance.now();
  const profile = options.profile ?? DEFAULT_PROFILE;
  const ordered = startOrder(options.services ?? SERVICES);
  await assertProfile(ordered, profile);
  const written = writeEnvConfigs();
  if (written) detail(`${written} configuration files under compose/generated/ brought up to date`);
  await ensureImages([...new Set(ordered.flatMap((s) => ('build' in s.image ? [s.image.build] : [])))]);
  const unavailable = await pullLaptopImages(ordered);
  const skipped = new Set(unavailable.map((u) => u.service));
  for (const s of ordered) {
    const missing = s.dependsOn.filter((d) => skipped.has(d));
    if (!missing.length) continue;
    skipped.add(s.name);
    unavailable.push({ service: s.name, reason: `needs ${missing.join(', ')}` });
  }
  const runnable = ordered.filter((s) => !skipped.has(s.name));
  const ctx: EnvContext = { network: ENV_NETWORK, profile, available: new Set(runnable.map((s) => s.name)) };
  await ensureNetwork();

  const started: string[] = [];
  const failure = new AbortController();
  const stopped = () => options.signal?.aborted || failure.signal.aborted;
  const done = new Map<string, Promise<void>>();
  const bringUp = async (service: ServiceDefinition, index: number): Promise<void> => {
    await Promise.all(service.dependsOn.map((d) => done.get(d)));
    if (stopped()) throw new Error(`${service.name} not started: up was stopped`);
    const label = `[${index + 1}/${runnable.length}] ${service.name}`;
    const status = await serviceStatus(service);
    const options = containerOptions(service, ctx);
    const hash = await configHash(options);
    if (status.state === 'running' && status.health === 'healthy' && status.configHash === hash) {
      detail(`${label} already running`);
    } else {
      const t = performance.now();
      const changed = status.state !== 'missing' && status.configHash !== hash;
      step(`${label} ${changed ? 'recreating (image or configuration changed)' : 'starting'}`);
      options.Labels = { ...options.Labels, [CONFIG_HASH_LABEL]: hash };
      await startService(service, status, options, stopped);
      started.push(service.name);
      await waitHealthy(service, stopped);
      detail(`${label} healthy in ${elapsed(t)}`);
    }
    await service.afterHealthy?.(ctx);
  };
  runnable.forEach((s, i) => {
    const p = bringUp(s, i);
    p.catch(() => failure.abort());
    done.set(s.name, p);
  });
  const results = await Promise.allSettled(done.values());
  const firstFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !/up was stopped/.test(String(r.reason?.message)));
  const anyFailure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (firstFailure ?? anyFailure) throw (firstFailure ?? anyFailure)!.reason;
  if (started.some((s) => s.startsWith('sample-api')) && !started.includes('nginx')) await reloadNginx();
  const statuses = await Promise.all(ordered.map(serviceStatus));
  return { statuses, unavailable, started, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
}

export async function status(services = SERVICES): Promise<ServiceStatus[]> {
  return Promise.all(startOrder(services).map(serviceStatus));
}

/** Removes what `up` created; volumes survive with keepData. */
export function down(options: { keepData?: boolean } = {}): Promise<Removed> {
  return removeByLabels(ENV_FILTER, { volumes: options.keepData ?? false });
}

/** An environment running with one timing profile is not silently mixed with the other. */
async function assertProfile(services: ServiceDefinition[], profile: EnvProfile): Promise<void> {
  const running = await docker().listContainers({ all: true, filters: { label: ENV_FILTER } });
  const names = new Set(services.map((s) => containerName(s.name)));
  const other = running.find((c) => c.Names.some((n) => names.has(n.replace(/^\//, ''))) && c.Labels[PROFILE_LABEL] && c.Labels[PROFILE_LABEL] !== profile);
  if (other) {
    throw new Error(
      `the environment is running with the ${other.Labels[PROFILE_LABEL]} profile, not ${profile}: run \`refstack down\` (add --keep-data to keep the data) first, then \`refstack up --profile ${profile}\``,
    );
  }
}

/** Laptop-only images: present, or pulled (bounded); otherwise reported unavailable, never silently dropped. */
async function pullLaptopImages(services: ServiceDefinition[]): Promise<Array<{ service: string; reason: string }>> {
  const unavailable: Array<{ service: string; reason: string }> = [];
  for (const s of services.filter((x) => 'pull' in x.image)) {
    const ref = imageName(s.image);
    if (await imagePresent(ref)) continue;
    step(`pulling ${ref} for ${s.name}`);
    try {
      await withTimeout(pull(ref), PULL_WITHIN_MS, `pulling ${ref} did not finish`);
    } catch (error) {
      const reason = `image ${ref} is not present and could not be pulled (${firstLine((error as Error).message)})`;
      detail(`${s.name}: unavailable — ${reason}`);
      unavailable.push({ service: s.name, reason });
    }
  }
  return unavailable;
}

async function pull(ref: string): Promise<void> {
  const stream = await docker().pull(ref);
  await new Promise<void>((resolve, reject) =>
    docker().modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
      const failed = err?.message ?? output.find((o) => o.error)?.error;
      if (failed) reject(new Error(failed));
      else resolve();
    }),
  );
}

const firstLine = (text: string) => text.split('\n')[0]!.slice(0, 200);

async function ensureNetwork(): Promise<void> {
  const existing = await docker().listNetworks({ filters: { name: [ENV_NETWORK] } });
  if (existing.some((n) => n.Name === ENV_NETWORK)) return;
  await docker().createNetwork({ Name: ENV_NETWORK, Driver: 'bridge', Labels: runLabels('env', ENV_RUN_ID) });
}

/** What decides whether a running container is still the one `up` would create. */
async function configHash(options: Docker.ContainerCreateOptions): Promise<string> {
  const image = await docker().getImage(options.Image!).inspect();
  const { Labels: _labels, ...rest } = options;
  const hash = createHash('sha256').update(image.Id).update(JSON.stringify(rest));
  // A bind-mounted configuration file is part of what the container runs.
  for (const m of options.HostConfig?.Mounts ?? []) if (m.Type === 'bind' && m.Source && statSync(m.Source).isFile()) hash.update(readFileSync(m.Source));
  return hash.digest('hex').slice(0, 16);
}

async function startService(service: ServiceDefinition, status: ServiceStatus, options: Docker.ContainerCreateOptions, stopped: () => boolean): Promise<void> {
  const d = docker();
  if (status.state !== 'missing' && status.state !== 'unavailable') await d.getContainer(status.container).remove({ force: true });
  for (const mount of options.HostConfig?.Mounts ?? []) {
    if (mount.Type === 'volume' && mount.Source) await ensureVolume(mount.Source, service.name);
  }
  if (stopped()) throw new Error(`${service.name} not started: up was stopped`);
  const container = await d.createContainer(options);
  await container.start();
}

async function ensureVolume(name: string, service: string): Promise<void> {
  try {
    await docker().getVolume(name).inspect();
  } catch {
    await docker().createVolume({ Name: name, Labels: envLabels(service) });
  }
}

async function waitHealthy(service: ServiceDefinition, stopped: () => boolean): Promise<void> {
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  const container = docker().getContainer(containerName(service.name));
  for (;;) {
    const info = await container.inspect();
    const health = info.State.Health?.Status;
    if (info.State.Status === 'running' && (health === 'healthy' || health === undefined)) return;
    if (stopped()) throw new Error(`${service.name} not healthy yet: up was stopped`);
    if (info.State.Status === 'exited' || info.State.Status === 'dead' || health === 'unhealthy' || Date.now() > deadline) {
      const why =
        info.State.Status !== 'running'
          ? `exited with code ${info.State.ExitCode}`
          : health === 'unhealthy'
            ? `is unhealthy (last check: ${firstLine(info.State.Health?.Log?.at(-1)?.Output?.trim() || 'no output')})`
            : `not healthy within ${HEALTHY_WITHIN_MS / 1000} s`;
      throw new Error(`${service.name} ${why}. Last log lines of ${containerName(service.name)}:\n${await lastLogLines(container)}\nfix the cause above, then run \`refstack up\` again (or \`refstack down\` to start clean)`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** nginx resolves its upstream names when it (re)loads: after an API instance was recreated, reload it. */
async function reloadNginx(): Promise<void> {
  await docker()
    .getContainer(containerName('nginx'))
    .kill({ signal: 'SIGHUP' })
    .catch(() => undefined);
}

export async function lastLogLines(container: Docker.Container, lines = 20): Promise<string> {
  const buffer = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  return demux(buffer)
    .split('\n')
    .filter(Boolean)
    .map((l) => `  | ${l}`)
    .join('\n');
}

export function endpointTable(services = SERVICES, unavailable: Array<{ service: string; reason: string }> = []): string {
  const skipped = new Map(unavailable.map((u) => [u.service, u.reason]));
  const rows = startOrder(services).flatMap((s) => s.endpoints.map((e) => [e.name, skipped.has(s.name) ? 'unavailable here (see above)' : e.url]));
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return rows.map((r) => `${r[0]!.padEnd(width)}  ${r[1]}`).join('\n');
}

export function statusTable(statuses: ServiceStatus[]): string {
  const rows = [['service', 'state', 'health', 'detail'], ...statuses.map((s) => [s.service, s.state, s.health, s.detail])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ').trimEnd()).join('\n');
}
