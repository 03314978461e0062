import type Docker from 'dockerode';
import { removeByLabels, type Removed } from '../docker/cleanup.ts';
import { docker } from '../docker/engine.ts';
import { LABEL, runLabels } from '../docker/labels.ts';
import { ensureImages } from '../images/build.ts';
import { detail, elapsed, step } from '../progress.ts';
import { containerName, ENV_NETWORK, ENV_RUN_ID, envLabels, serviceStatus, type ServiceDefinition, type ServiceStatus } from './service.ts';
import { SERVICES, startOrder } from './services.ts';

const HEALTHY_WITHIN_MS = 180_000;
const ENV_FILTER = [`${LABEL.managed}=true`, `${LABEL.owner}=env`];

export async function up(services = SERVICES): Promise<ServiceStatus[]> {
  const ordered = startOrder(services);
  await ensureImages([...new Set(ordered.map((s) => s.image))]);
  await ensureNetwork();
  for (const [index, service] of ordered.entries()) {
    const started = performance.now();
    const label = `[${index + 1}/${ordered.length}] ${service.name}`;
    const status = await serviceStatus(service);
    if (status.state === 'running' && (status.health === 'healthy' || status.health === 'none')) {
      detail(`${label} already running`);
      continue;
    }
    step(`${label} starting`);
    await startService(service, status);
    await waitHealthy(service);
    detail(`${label} healthy in ${elapsed(started)}`);
  }
  return Promise.all(ordered.map(serviceStatus));
}

export async function status(services = SERVICES): Promise<ServiceStatus[]> {
  return Promise.all(startOrder(services).map(serviceStatus));
}

/** Removes what `up` created; volumes survive with keepData. */
export function down(options: { keepData?: boolean } = {}): Promise<Removed> {
  return removeByLabels(ENV_FILTER, { volumes: options.keepData ?? false });
}

async function ensureNetwork(): Promise<void> {
  const existing = await docker().listNetworks({ filters: { name: [ENV_NETWORK] } });
  if (existing.some((n) => n.Name === ENV_NETWORK)) return;
  await docker().createNetwork({ Name: ENV_NETWORK, Driver: 'bridge', Labels: runLabels('env', ENV_RUN_ID) });
}

async function startService(service: ServiceDefinition, status: ServiceStatus): Promise<void> {
  const d = docker();
  if (status.state !== 'missing') await d.getContainer(status.container).remove({ force: true });
  const options = service.create(ENV_NETWORK);
  for (const mount of options.HostConfig?.Mounts ?? []) {
    if (mount.Type === 'volume' && mount.Source) await ensureVolume(mount.Source, service.name);
  }
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

async function waitHealthy(service: ServiceDefinition): Promise<void> {
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  const container = docker().getContainer(containerName(service.name));
  for (;;) {
    const info = await container.inspect();
    const health = info.State.Health?.Status;
    if (info.State.Status === 'running' && (health === 'healthy' || health === undefined)) return;
    if (info.State.Status === 'exited' || info.State.Status === 'dead' || Date.now() > deadline) {
      const why = info.State.Status === 'running' ? `not healthy within ${HEALTHY_WITHIN_MS / 1000} s` : `exited with code ${info.State.ExitCode}`;
      throw new Error(`${service.name} ${why}. Last log lines of ${containerName(service.name)}:\n${await lastLogLines(container)}\nfix the cause above, then run \`refstack up\` again (or \`refstack down\` to start clean)`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function lastLogLines(container: Docker.Container, lines = 20): Promise<string> {
  const buffer = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
  return demux(buffer)
    .split('\n')
    .filter(Boolean)
    .map((l) => `  | ${l}`)
    .join('\n');
}

/** Docker multiplexes stdout/stderr in 8-byte framed chunks when the container has no TTY. */
function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString();
    offset += 8 + size;
  }
  return out || buffer.toString();
}

export function endpointTable(services = SERVICES): string {
  const rows = startOrder(services).flatMap((s) => s.endpoints.map((e) => [s.name, e.name, e.url]));
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length), 8));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

export function statusTable(statuses: ServiceStatus[]): string {
  const rows = [['service', 'state', 'health', 'detail'], ...statuses.map((s) => [s.service, s.state, s.health, s.detail])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ').trimEnd()).join('\n');
}
