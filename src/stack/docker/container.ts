import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { LABEL } from '../../core/docker/labels.ts';
import { imageRef } from '../../core/images/catalog.ts';
import type { FileSpec, ServiceSpec } from '../../core/spec.ts';
import type { PlannedInstance, StackPlan } from '../plan.ts';
import { containerName, placementLabels, serviceNetwork, volumeName, type Placement } from './placement.ts';

export function imageOf(spec: ServiceSpec): string {
  return 'build' in spec.image ? imageRef(spec.image.build) : spec.image.pull;
}

const seconds = (s: number) => Math.round(s * 1e9);
const MIB = 1024 * 1024;
/** The highest CPU weight the engine accepts (cgroup v1 cpu.shares; the engine maps it to cpu.weight on v2). */
const MAX_CPU_SHARES = 262_144;

/**
 * A machine of the given size: the CPU quota caps it and the highest CPU weight reserves it (other
 * containers cannot starve it below its quota, and the quota keeps it from taking more); the memory
 * limit has no swap beyond it.
 */
function resourceLimits(r: NonNullable<ServiceSpec['resources']>): Docker.HostConfig {
  return { NanoCpus: Math.round(r.cpus * 1e9), CpuShares: MAX_CPU_SHARES, Memory: r.memoryMiB * MIB, MemorySwap: r.memoryMiB * MIB };
}

/** Host ports of one instance's published ports: the README's fixed ones in the default environment, else engine-picked. */
function portBindings(inst: PlannedInstance, placement: Placement): Docker.PortMap {
  return Object.fromEntries(
    inst.spec.ports
      .filter((p) => p.publish)
      .map((p) => {
        const fixed = placement.fixedPorts ? p.publish?.env?.[inst.index] : undefined;
        return [`${p.container}/tcp`, [{ HostIp: '127.0.0.1', HostPort: fixed ? String(fixed) : '' }]];
      }),
  );
}

/** The engine's data root when the runtime did not look it up (compose: a variable with Docker's default). */
export const DEFAULT_ENGINE_ROOT = '${REFSTACK_DOCKER_ROOT:-/var/lib/docker}';

/**
 * Every container logs through the engine's json-file driver, each line tagged `<project>/<service>`, size
 * capped (3 × 20 MB per container). A log shipper of the stack tails these files (spec `engineLogs`): a
 * container never depends on the shipper to start, lines written while the shipper is down are read
 * when it is back (it keeps its file offsets), and `docker logs` works as usual.
 */
export function logConfig(service: string, placement: Placement): Docker.HostConfig['LogConfig'] {
  return { Type: 'json-file', Config: { tag: `${placement.project}/${service}`, 'max-size': '20m', 'max-file': '3' } };
}

function mounts(inst: PlannedInstance, placement: Placement): Docker.MountSettings[] {
  const { spec } = inst;
  const named = (spec.volumes ?? []).map((v) => ({ Type: 'volume' as const, Source: volumeName(placement, inst.name, v.name), Target: v.target }));
  if (!spec.engineLogs) return named;
  return [...named, { Type: 'bind' as const, Source: `${placement.engineRoot ?? DEFAULT_ENGINE_ROOT}/containers`, Target: spec.engineLogs, ReadOnly: true }];
}

/** Everything the engine needs to create one instance; files are copied in separately ({@link filesArchive}). */
export function createOptions(inst: PlannedInstance, plan: StackPlan, placement: Placement): Docker.ContainerCreateOptions {
  const { spec, ctx } = inst;
  // A shipper of the stack's logs is told which lines are its own: those tagged `<project>/…`.
  const env = { ...(spec.env?.(ctx) ?? {}), ...(spec.engineLogs ? { LOG_PROJECT: placement.project } : {}) };
  return {
    name: containerName(placement, inst.name),
    Image: imageOf(spec),
    ...(spec.entrypoint ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(spec.command ? { Cmd: spec.command(ctx) } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(spec.hostname ? { Hostname: inst.name } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.stopSignal ? { StopSignal: spec.stopSignal } : {}),
    ...(spec.stopGraceSeconds ? { StopTimeout: spec.stopGraceSeconds } : {}),
    ExposedPorts: Object.fromEntries(spec.ports.map((p) => [`${p.container}/tcp`, {}])),
    Healthcheck: {
      Test: ['CMD-SHELL', spec.health.command],
      Interval: seconds(plan.profile.healthcheckIntervalSeconds),
      Timeout: seconds(5),
      Retries: 3,
      StartPeriod: seconds(spec.health.startPeriodSeconds ?? 120),
    },
    Labels: {
      ...placementLabels(placement),
      [LABEL.service]: spec.name,
      [LABEL.instance]: inst.name,
      [LABEL.profile]: plan.profile.name,
      [LABEL.stack]: JSON.stringify(plan.request),
    },
    HostConfig: {
      NetworkMode: serviceNetwork(placement),
      PortBindings: portBindings(inst, placement),
      Mounts: mounts(inst, placement),
      LogConfig: logConfig(spec.name, placement),
      ...(spec.capDrop ? { CapDrop: [...spec.capDrop] } : {}),
      ...(spec.tmpfs ? { Tmpfs: { ...spec.tmpfs } } : {}),
      ...(spec.resources ? resourceLimits(spec.resources) : {}),
      ...(spec.restart ? { RestartPolicy: { Name: spec.restart, MaximumRetryCount: 10 } } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [serviceNetwork(placement)]: { Aliases: [inst.name, ...(spec.aliases?.(ctx) ?? [])] } } },
  };
}

export function instanceFiles(inst: PlannedInstance): FileSpec[] {
  return inst.spec.files?.(inst.ctx) ?? [];
}

/** Writes the files into a container, created or stopped or running (the engine's archive upload; owner root). */
export async function putFiles(container: Docker.Container, files: FileSpec[]): Promise<void> {
  if (files.length) await container.putArchive(await filesArchive(files), { path: '/' });
}

/** A tar archive of the files, rooted at /. */
async function filesArchive(files: FileSpec[]): Promise<Buffer> {
  const archive = pack();
  for (const f of files) archive.entry({ name: f.path.replace(/^\//, ''), mode: f.mode ?? 0o644, mtime: new Date(0) }, f.content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** What decides whether a running container is still the one the stack would create: options, image and files. */
export function configHash(options: Docker.ContainerCreateOptions, imageId: string, files: FileSpec[]): string {
  const { Labels: _labels, ...rest } = options;
  const hash = createHash('sha256').update(imageId).update(JSON.stringify(rest));
  for (const f of files) hash.update(f.path).update('\0').update(f.content).update('\0');
  return hash.digest('hex').slice(0, 16);
}
