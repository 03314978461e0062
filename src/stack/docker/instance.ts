import type Docker from 'dockerode';
import { docker } from '../../core/docker/engine.ts';
import { LABEL } from '../../core/docker/labels.ts';
import { containerLogs, execIn, type ExecResult } from '../../core/docker/exec.ts';
import { sleep } from '../../core/poll.ts';
import { port, type FileSpec, type InstanceHandle, type InstanceState, type ServiceSpec } from '../../core/spec.ts';
import type { PlannedInstance } from '../plan.ts';
import { putFiles } from './container.ts';
import { containerName, placementLabels, serviceNetwork, type Placement } from './placement.ts';

/**
 * One running instance of a service, as testcontainers' Started* handles are: its ports on the host,
 * its address inside the stack, exec and logs, and the fault verbs every container supports.
 */
export class StackInstance implements InstanceHandle {
  readonly container: string;

  constructor(
    readonly planned: PlannedInstance,
    readonly placement: Placement,
  ) {
    this.container = containerName(placement, planned.name);
  }

  get name(): string {
    return this.planned.name;
  }

  get spec(): ServiceSpec {
    return this.planned.spec;
  }

  get service(): string {
    return this.planned.spec.name;
  }

  private get handle(): Docker.Container {
    return docker().getContainer(this.container);
  }

  inspect(): Promise<Docker.ContainerInspectInfo> {
    return this.handle.inspect();
  }

  async state(): Promise<InstanceState> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.inspect();
    } catch {
      return { running: false, paused: false, health: 'missing', status: 'missing', exitCode: -1, restarts: 0, attached: false };
    }
    return {
      running: info.State.Running,
      paused: info.State.Paused,
      health: (info.State.Health?.Status ?? 'none') as InstanceState['health'],
      status: info.State.Status,
      exitCode: info.State.ExitCode,
      restarts: info.RestartCount,
      attached: Object.keys(info.NetworkSettings.Networks ?? {}).includes(serviceNetwork(this.placement)),
    };
  }

  /** The host port (127.0.0.1) published for one of the spec's ports; re-read each time (a restart may change it). */
  async hostPort(portName: string): Promise<number> {
    const containerPort = port(this.spec, portName).container;
    const info = await this.inspect();
    const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
    if (!binding) throw new Error(`${this.name}: port ${portName} (${containerPort}) is not published${info.State.Running ? '' : ' (the container is not running)'}`);
    return Number(binding.HostPort);
  }

  /** http://127.0.0.1:<host port><path>: a published port as the test process reaches it. */
  async url(portName: string, path = ''): Promise<string> {
    return `http://127.0.0.1:${await this.hostPort(portName)}${path}`;
  }

  /** host:port inside the stack, as other instances reach it. */
  address(portName: string): string {
    return `${this.name}:${port(this.spec, portName).container}`;
  }

  exec(command: string[], options: { user?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return execIn(this.container, command, options);
  }

  /** Runs a shell command; fails with its output when it exits non-zero. */
  async sh(script: string, options: { user?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.exec(['sh', '-c', script], options);
    if (result.exitCode !== 0) throw new Error(`${this.name}: \`${script}\` exited ${result.exitCode}: ${result.output.trim().slice(0, 2000)}`);
    return result.stdout;
  }

  logs(options: { tail?: number; sinceUnixSeconds?: number } = {}): Promise<string> {
    return containerLogs(this.container, options);
  }

  /** Polls the spec's health command until it passes (bounded); fails early with the log when the container exits. */
  async waitReady(timeoutMs = (this.spec.health.startPeriodSeconds ?? 120) * 1000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let last = '';
    for (;;) {
      const info = await this.inspect();
      if (!info.State.Running && !info.State.Restarting) {
        throw new Error(`${this.name} exited with code ${info.State.ExitCode}. Last log lines of ${this.container}:\n${indent(await this.logs({ tail: 30 }))}`);
      }
      if (info.State.Running && !info.State.Paused) {
        const probe = await this.exec(['sh', '-c', this.spec.health.command], { timeoutMs: 10_000 }).catch((e: Error) => ({ exitCode: -1, output: e.message }));
        if (probe.exitCode === 0) return;
        last = probe.output.trim().split('\n')[0] ?? '';
      }
      if (performance.now() > deadline) {
        throw new Error(`${this.name} not healthy within ${Math.round(timeoutMs / 1000)} s (last check: ${last || 'no output'}). Last log lines of ${this.container}:\n${indent(await this.logs({ tail: 30 }))}`);
      }
      await sleep(250);
    }
  }

  /** The instance's address on its stack network: how a load balancer reaches it, without the engine's port proxy. */
  async ip(): Promise<string> {
    const ip = (await this.inspect()).NetworkSettings.Networks?.[serviceNetwork(this.placement)]?.IPAddress;
    if (!ip) throw new Error(`${this.name} has no address on ${serviceNetwork(this.placement)} (isolated or not running)`);
    return ip;
  }

  /** Sends a signal to the main process and waits for the container to exit: its exit code and how long the exit took. */
  async signalAndWait(signal: string): Promise<{ exitCode: number; exitSeconds: number }> {
    const started = performance.now();
    const exited = this.handle.wait() as Promise<{ StatusCode: number }>;
    await this.handle.kill({ signal });
    const { StatusCode } = await exited;
    return { exitCode: StatusCode, exitSeconds: (performance.now() - started) / 1000 };
  }

  // Fault verbs (CONTAINER_FAULTS) -----------------------------------------------------------

  /** SIGKILL (or another signal) to the container's main process: a node loss. */
  async kill(signal = 'SIGKILL'): Promise<void> {
    await this.handle.kill({ signal });
  }

  /** Graceful stop with the image's stop signal; SIGKILL after `graceSeconds`. */
  async stop(graceSeconds = this.spec.stopGraceSeconds ?? 10): Promise<void> {
    await this.handle.stop({ t: graceSeconds });
  }

  async start(): Promise<void> {
    await this.handle.start();
  }

  async restart(graceSeconds = this.spec.stopGraceSeconds ?? 10): Promise<void> {
    await this.handle.restart({ t: graceSeconds });
  }

  /** Freeze every process (cgroup freezer): connections stay open but nothing answers. */
  async pause(): Promise<void> {
    await this.handle.pause();
  }

  async unpause(): Promise<void> {
    await this.handle.unpause();
  }

  /** Cut the instance off its stack's network: peers lose it; its published ports stay reachable from the host. */
  async isolate(options: { yieldAddress?: boolean } = {}): Promise<void> {
    await docker().getNetwork(serviceNetwork(this.placement)).disconnect({ Container: this.container, Force: true });
    if (options.yieldAddress) await this.holdFreedAddress();
  }

  private get addressHolder(): string {
    return `${this.container}-address-holder`;
  }

  /**
   * A sleeping container of the instance's own image (labelled with the project, so `down` removes it) on the
   * service network, without aliases: the engine hands it the lowest free address, the one just freed.
   */
  private async holdFreedAddress(): Promise<void> {
    const image = (await this.inspect()).Config.Image;
    const holder = await docker().createContainer({
      name: this.addressHolder,
      Image: image,
      Entrypoint: ['sleep'],
      Cmd: ['600'],
      Labels: { ...placementLabels(this.placement), [LABEL.service]: 'address-holder' },
      HostConfig: { NetworkMode: serviceNetwork(this.placement), AutoRemove: true },
    });
    await holder.start();
  }

  async writeFiles(files: FileSpec[]): Promise<void> {
    await putFiles(this.handle, files);
  }

  async emptyVolumes(): Promise<void> {
    const info = await this.inspect();
    if (info.State.Running) throw new Error(`${this.name} is running: stop or kill it before emptying its volumes`);
    const volumes = (info.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name);
    if (!volumes.length) return;
    const wiper = await docker().createContainer({
      Image: info.Config.Image,
      User: 'root',
      Entrypoint: ['sh', '-c', 'for d; do find "$d" -mindepth 1 -delete || exit 1; done', 'empty-volumes', ...volumes.map((m) => m.Destination)],
      Labels: { ...placementLabels(this.placement), [LABEL.service]: 'volume-wiper' },
      HostConfig: { NetworkMode: 'none', Binds: volumes.map((m) => `${m.Name}:${m.Destination}`) },
    });
    try {
      await wiper.start();
      const { StatusCode } = (await wiper.wait()) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`emptying the volumes of ${this.name} failed (exit ${StatusCode}): ${await containerLogs(wiper.id, { tail: 20 })}`);
    } finally {
      await wiper.remove({ force: true }).catch(() => undefined);
    }
  }

  /** Undo any fault: reattach an isolated instance, unfreeze a paused one, start a stopped or killed one. */
  async recover(): Promise<void> {
    const state = await this.state();
    if (!state.attached && state.health !== 'missing') {
      await docker()
        .getNetwork(serviceNetwork(this.placement))
        .connect({ Container: this.container, EndpointConfig: { Aliases: [this.name, ...(this.spec.aliases?.(this.planned.ctx) ?? [])] } });
      // Only now: the placeholder (if `isolate` left one) kept the old address until the instance had a new one.
      await docker().getContainer(this.addressHolder).remove({ force: true }).catch(() => undefined);
    }
    if (state.paused) await this.unpause();
    else if (!state.running) await this.start();
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => `  | ${l}`)
    .join('\n');
