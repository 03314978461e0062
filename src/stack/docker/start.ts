import { docker, withTimeout } from '../../core/docker/engine.ts';
import { LABEL } from '../../core/docker/labels.ts';
import { ensureImages } from '../../core/images/build.ts';
import { detail, elapsed, step } from '../../core/progress.ts';
import type { Secrets, ServiceSpec } from '../../core/spec.ts';
import { planStack, type PlannedInstance, type StackPlan, type StackRequest } from '../plan.ts';
import { environmentSecrets, generateSecrets, readEnvironmentSecrets, withBackupSecrets } from '../secrets.ts';
import { PGBACKREST } from '../../../services/pgbackrest/spec.ts';
import { configHash, createOptions, putFiles, imageOf, instanceFiles } from './container.ts';
import { StackInstance } from './instance.ts';
import { containerName, ingressNetwork, placementLabels, projectFilter, serviceNetwork, volumeName, type Placement } from './placement.ts';
import { RunningStack } from './stack.ts';

const PULL_WITHIN_MS = 600_000;

export interface StartOptions {
  /** Aborting stops the start from creating further containers (Ctrl-C). */
  signal?: AbortSignal;
  /** The specs to plan from: the one stack, or the stack plus benchmark contenders. */
  stack?: readonly ServiceSpec[];
}

export interface StartReport {
  stack: RunningStack;
  /** Instances this call created or recreated (empty: everything was already running as asked). */
  started: string[];
  /** Laptop-only services whose image could not be had here, with the reason; their dependents are left out too. */
  unavailable: Array<{ service: string; reason: string }>;
  seconds: number;
}

/**
 * Starts a stack on the engine: images built when their folder changed, every service once its
 * dependencies are healthy (independent services in parallel), each instance waited on until its
 * health command passes. An ephemeral stack that fails to start is removed; an environment is left
 * as it is, for diagnosis, and the error says what to do next.
 */
export async function startStack(request: StackRequest, where: Placement, options: StartOptions = {}): Promise<StartReport> {
  const t0 = performance.now();
  const placement: Placement = { ...where, engineRoot: where.engineRoot ?? (await docker().info()).DockerRootDir };
  const base = placement.environment ? environmentSecrets(placement.project, request.options?.['sample-app.clients']) : generateSecrets(request.options?.['sample-app.clients']);
  const planned = planStack(request, base, options.stack);
  const secrets = planned.specs.some((s) => s.name === PGBACKREST) ? withBackupSecrets(base, placement.environment ? placement.project : undefined) : base;
  const wanted = secrets === base ? planned : planStack(request, secrets, options.stack);
  await assertSameProfile(placement, wanted);
  await ensureImages([...new Set(wanted.specs.flatMap((s) => ('build' in s.image ? [s.image.build] : [])))]);
  const unavailable = await pullLaptopImages(wanted.specs);
  const plan = unavailable.length ? planStack({ ...wanted.request, services: runnable(wanted.specs, unavailable) }, secrets, options.stack) : wanted;
  const stack = new RunningStack(plan, placement);
  await ensureNetworks(placement);
  const started: string[] = [];
  try {
    await bringUp(stack, started, options.signal);
    await reloadNginx(stack, started);
  } catch (error) {
    if (!placement.environment) await stack.remove();
    throw error;
  }
  return { stack, started, unavailable, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
}

/** The stack running under a project name, for commands run after `refstack up` (status, drills, down). */
export async function attachStack(placement: Placement): Promise<RunningStack | undefined> {
  const containers = await docker().listContainers({ all: true, filters: { label: projectFilter(placement.project) } });
  const labelled = containers.find((c) => c.Labels[LABEL.stack]);
  if (!labelled) return undefined;
  const request = JSON.parse(labelled.Labels[LABEL.stack]!) as StackRequest;
  const secrets: Secrets | undefined = readEnvironmentSecrets(placement.project);
  if (!secrets) throw new Error(`stack ${placement.project} is running but its credentials (.refstack/${placement.project}/secrets.json) are gone: run \`refstack down --project ${placement.project}\` and \`refstack up\` again`);
  return new RunningStack(planStack(request, secrets), placement);
}

async function bringUp(stack: RunningStack, started: string[], signal?: AbortSignal): Promise<void> {
  const { plan, placement } = stack;
  const failed = new AbortController();
  const stopped = () => signal?.aborted || failed.signal.aborted;
  const total = plan.instances.length;
  let position = 0;
  const done = new Map<string, Promise<void>>();
  const instanceUp = async (inst: PlannedInstance) => {
    if (stopped()) throw new Error(`${inst.name} not started: the start was stopped`);
    const label = `[${++position}/${total}] ${inst.name}`;
    const t = performance.now();
    const handle = stack.instance(inst.name);
    const changed = await ensureInstance(handle, inst, plan, placement);
    if (changed) {
      step(`${label} ${changed}`);
      started.push(inst.name);
      await handle.waitReady();
      detail(`${label} healthy in ${elapsed(t)}`);
    } else {
      detail(`${label} already running`);
    }
    await inst.spec.afterHealthy?.(handle, inst.ctx);
  };
  const serviceUp = async (spec: ServiceSpec) => {
    // Yield once: every service's promise is in `done` before any reads it (an `after` may come later in plan order).
    await Promise.resolve();
    const after = (spec.after ?? []).filter((s) => done.has(s));
    await Promise.all([...spec.dependsOn, ...after].map((d) => done.get(d)));
    const [first, ...rest] = plan.instancesOf(spec.name);
    if (spec.firstInstanceBootstraps && first) {
      await instanceUp(first);
      await Promise.all(rest.map(instanceUp));
    } else {
      await Promise.all(plan.instancesOf(spec.name).map(instanceUp));
    }
  };
  for (const spec of plan.specs) {
    const p = serviceUp(spec);
    p.catch(() => failed.abort());
    done.set(spec.name, p);
  }
  const results = await Promise.allSettled(done.values());
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  const cause = rejected.find((r) => !/the start was stopped/.test(String(r.reason?.message))) ?? rejected[0];
  if (cause) throw cause.reason;
}

/**
 * Creates the instance's container unless one with the same configuration runs healthy (environments
 * only). Returns what it did, or undefined when nothing had to be done.
 */
async function ensureInstance(handle: StackInstance, inst: PlannedInstance, plan: StackPlan, placement: Placement): Promise<string | undefined> {
  const options = createOptions(inst, plan, placement);
  const files = instanceFiles(inst);
  const image = await docker().getImage(options.Image!).inspect();
  const hash = configHash(options, image.Id, files);
  const state = await handle.state();
  if (state.health !== 'missing') {
    const labels = (await handle.inspect()).Config.Labels ?? {};
    if (placement.environment && state.running && !state.paused && state.health === 'healthy' && labels[LABEL.configHash] === hash) return undefined;
    await docker().getContainer(handle.container).remove({ force: true });
  }
  for (const v of inst.spec.volumes ?? []) await ensureVolume(volumeName(placement, inst.name, v.name), placement, inst.spec.name, v.sizeMiB?.(inst.ctx), v.tmpfsOwner);
  const container = await docker().createContainer({ ...options, Labels: { ...options.Labels, [LABEL.configHash]: hash } });
  await putFiles(container, files);
  if (inst.spec.ports.some((p) => p.publish)) await docker().getNetwork(ingressNetwork(placement)).connect({ Container: container.id });
  await container.start();
  return state.health === 'missing' ? 'starting' : 'recreating (image or configuration changed, or not healthy)';
}

async function ensureNetworks(placement: Placement): Promise<void> {
  const existing = new Set((await docker().listNetworks({ filters: { label: projectFilter(placement.project) } })).map((n) => n.Name));
  const labels = placementLabels(placement);
  if (!existing.has(serviceNetwork(placement))) await docker().createNetwork({ Name: serviceNetwork(placement), Driver: 'bridge', CheckDuplicate: true, Labels: labels });
  if (!existing.has(ingressNetwork(placement))) {
    await docker().createNetwork({
      Name: ingressNetwork(placement),
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: labels,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
  }
}

/** A named volume; with a size, an in-memory filesystem of that size (see VolumeSpec.sizeMiB). */
async function ensureVolume(name: string, placement: Placement, service: string, sizeMiB?: number, owner?: string): Promise<void> {
  const driverOpts = sizeMiB ? { type: 'tmpfs', device: 'tmpfs', o: `size=${sizeMiB}m${owner ? `,${owner}` : ''}` } : undefined;
  const existing = await docker().getVolume(name).inspect().catch(() => undefined);
  if (existing) {
    if ((existing.Options?.o ?? '') === (driverOpts?.o ?? '')) return;
    // A volume's options are fixed; removing it here could throw data away, so the user decides.
    throw new Error(`volume ${name} exists ${existing.Options?.o ? `as ${existing.Options.o}` : 'on disk'}, and this stack asks for ${driverOpts ? `an in-memory ${sizeMiB} MiB one` : 'one on disk'}: run \`refstack down --project ${placement.project}\` first`);
  }
  await docker().createVolume({ Name: name, Labels: { ...placementLabels(placement), [LABEL.service]: service }, ...(driverOpts ? { DriverOpts: driverOpts } : {}) });
}

/** An environment running with one timing profile is not silently mixed with another. */
async function assertSameProfile(placement: Placement, plan: StackPlan): Promise<void> {
  const running = await docker().listContainers({ all: true, filters: { label: projectFilter(placement.project) } });
  const other = running.find((c) => c.Labels[LABEL.profile] && c.Labels[LABEL.profile] !== plan.profile.name);
  if (other) {
    const project = placement.project === 'refstack' ? '' : ` --project ${placement.project}`;
    throw new Error(
      `${placement.project} is running with the ${other.Labels[LABEL.profile]} profile, not ${plan.profile.name}: run \`refstack down${project}\` (add --keep-data to keep the data) first, then \`refstack up${project} --profile ${plan.profile.name}\``,
    );
  }
}

/** Laptop-only images: present, or pulled (bounded); otherwise reported unavailable, never silently dropped. */
async function pullLaptopImages(specs: ServiceSpec[]): Promise<Array<{ service: string; reason: string }>> {
  const unavailable: Array<{ service: string; reason: string }> = [];
  for (const spec of specs.filter((s) => 'pull' in s.image)) {
    const ref = imageOf(spec);
    if (await docker().getImage(ref).inspect().then(() => true, () => false)) continue;
    step(`pulling ${ref} for ${spec.name}`);
    try {
      await withTimeout(pull(ref), PULL_WITHIN_MS, `pulling ${ref} did not finish`);
    } catch (error) {
      const reason = `image ${ref} is not present and could not be pulled (${(error as Error).message.split('\n')[0]!.slice(0, 200)})`;
      detail(`${spec.name}: unavailable — ${reason}`);
      unavailable.push({ service: spec.name, reason });
    }
  }
  return unavailable;
}

/** The services left once the unavailable ones and everything depending on them are taken out (reasons appended). */
function runnable(specs: ServiceSpec[], unavailable: Array<{ service: string; reason: string }>): string[] {
  const out = new Set(unavailable.map((u) => u.service));
  for (const s of specs) {
    const missing = s.dependsOn.filter((d) => out.has(d));
    if (!missing.length || out.has(s.name)) continue;
    out.add(s.name);
    unavailable.push({ service: s.name, reason: `needs ${missing.join(', ')}` });
  }
  return specs.filter((s) => !out.has(s.name)).map((s) => s.name);
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

/** nginx resolves its upstream names when it (re)loads: after an API instance was recreated under it, reload it. */
async function reloadNginx(stack: RunningStack, started: string[]): Promise<void> {
  if (!stack.has('nginx') || !stack.has('sample-api')) return;
  const nginx = stack.first('nginx');
  if (started.includes(nginx.name) || !stack.instances('sample-api').some((i) => started.includes(i.name))) return;
  await docker()
    .getContainer(containerName(stack.placement, nginx.name))
    .kill({ signal: 'SIGHUP' })
    .catch(() => undefined);
}
