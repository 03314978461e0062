import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { docker } from '../core/docker/engine.ts';
import { currentRunId, LABEL } from '../core/docker/labels.ts';

/**
 * Where the machine's CPU went, sampled once a second: the whole host, this process (the load
 * generator) and each container of this run (read from its cgroup, named by its network alias).
 * Bounded: sampling stops by itself after `maxSeconds`.
 */
export interface CpuWindow {
  /** Share of all host cores busy. */
  hostBusy: number;
  /** Cores used by this process (the load generator and the test runner). */
  generatorCores: number;
  /** Cores used by each container (and host process given to start), by name; empty when nothing could be read. */
  containerCores: Record<string, number>;
}

interface Sample {
  at: number;
  hostBusy: number;
  hostTotal: number;
  /** Microseconds of CPU of this process. */
  self: number;
  /** Nanoseconds of CPU of each container. */
  containers: Map<string, number>;
}

interface Tracked {
  name: string;
  usageFile: string;
  /** cgroup v1 cpuacct.usage is in ns; v2 cpu.stat usage_usec in µs; /proc/<pid>/stat in clock ticks. */
  kind: 'v1' | 'v2' | 'proc';
}

/** USER_HZ: Linux reports /proc/<pid>/stat times in 1/100 s on every common architecture. */
const TICKS_PER_SECOND = 100;

function hostTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

function cgroupUsage(id: string): { usageFile: string; kind: 'v1' | 'v2' } | undefined {
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  if (existsSync(v1)) return { usageFile: v1, kind: 'v1' };
  for (const v2 of [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, `/sys/fs/cgroup/docker/${id}/cpu.stat`]) {
    if (existsSync(v2)) return { usageFile: v2, kind: 'v2' };
  }
  return undefined;
}

function readNs(t: Tracked): number | undefined {
  try {
    const text = readFileSync(t.usageFile, 'utf8');
    if (t.kind === 'v1') return Number(text.trim());
    if (t.kind === 'proc') {
      // Fields after the parenthesised command: utime and stime are the 12th and 13th.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e9;
    }
    const match = /^usage_usec (\d+)$/m.exec(text);
    return match ? Number(match[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Docker's userland proxy processes forwarding the given published host ports: on 127.0.0.1 every
 * request to a published port passes through one of them, outside any container's cgroup.
 */
export function dockerProxies(hostPorts: number[]): Array<{ name: string; pid: number }> {
  const found: Array<{ name: string; pid: number }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args[0]?.endsWith('docker-proxy')) continue;
    const port = Number(args[args.indexOf('-host-port') + 1]);
    if (hostPorts.includes(port)) found.push({ name: `docker-proxy:${port}`, pid: Number(entry) });
  }
  return found;
}

/** This run's running containers, named by their first network alias (pg1, haproxy, latency-1-api…) or image. */
export async function runContainers(): Promise<Array<{ id: string; name: string }>> {
  const list = await docker().listContainers({ filters: { label: [`${LABEL.run}=${currentRunId()}`] } });
  return Promise.all(
    list.map(async (c) => {
      // Aliases are only in the inspect answer; Docker adds the short id as one, which names nothing.
      const info = await docker().getContainer(c.Id).inspect();
      const aliases = Object.values(info.NetworkSettings.Networks ?? {}).flatMap((n) => n.Aliases ?? []);
      const alias = aliases.find((a) => !c.Id.startsWith(a));
      return { id: c.Id, name: alias ?? c.Image.replace(/^refstack\//, '').replace(/:latest$/, '') };
    }),
  );
}

export class CpuSampler {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  readonly unreadable: string[] = [];

  private constructor(
    private readonly tracked: Tracked[],
    maxSeconds: number,
  ) {
    this.sample();
    const until = Date.now() + maxSeconds * 1000;
    this.timer = setInterval(() => {
      this.sample();
      if (Date.now() > until) this.stop();
    }, 1_000);
    this.timer.unref();
  }

  /** `hostProcesses`: further processes to account for by pid (e.g. {@link dockerProxies}). */
  static async start(maxSeconds: number, hostProcesses: Array<{ name: string; pid: number }> = []): Promise<CpuSampler> {
    if (!Number.isFinite(maxSeconds) || maxSeconds <= 0 || maxSeconds > 3_600) throw new Error(`CpuSampler: maxSeconds must be 1..3600, got ${maxSeconds}`);
    const tracked: Tracked[] = hostProcesses.map((p) => ({ name: p.name, usageFile: `/proc/${p.pid}/stat`, kind: 'proc' as const }));
    const unreadable: string[] = [];
    for (const c of await runContainers()) {
      const usage = cgroupUsage(c.id);
      if (usage) tracked.push({ name: c.name, ...usage });
      else unreadable.push(c.name);
    }
    const sampler = new CpuSampler(tracked, maxSeconds);
    sampler.unreadable.push(...unreadable);
    return sampler;
  }

  private sample(): void {
    const host = hostTimes();
    const self = process.cpuUsage();
    const containers = new Map<string, number>();
    for (const t of this.tracked) {
      const ns = readNs(t);
      if (ns !== undefined) containers.set(t.name, (containers.get(t.name) ?? 0) + ns);
    }
    this.samples.push({ at: Date.now(), hostBusy: host.busy, hostTotal: host.total, self: self.user + self.system, containers });
  }

  /** CPU use between two wall-clock times (ms), from the samples nearest inside them; undefined without two samples. */
  between(from: number, to: number): CpuWindow | undefined {
    const inside = this.samples.filter((s) => s.at >= from - 500 && s.at <= to + 500);
    if (inside.length < 2) return undefined;
    const a = inside[0]!;
    const b = inside.at(-1)!;
    const seconds = (b.at - a.at) / 1000;
    const containerCores: Record<string, number> = {};
    for (const [name, ns] of b.containers) {
      const before = a.containers.get(name);
      if (before !== undefined) containerCores[name] = (ns - before) / 1e9 / seconds;
    }
    return {
      hostBusy: b.hostTotal > a.hostTotal ? (b.hostBusy - a.hostBusy) / (b.hostTotal - a.hostTotal) : Number.NaN,
      generatorCores: (b.self - a.self) / 1e6 / seconds,
      containerCores,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** "pg1 0.62, latency-1-api 0.19, …": the biggest consumers first. */
export function formatCores(cores: Record<string, number>, top = 8): string {
  return Object.entries(cores)
    .sort((x, y) => y[1] - x[1])
    .slice(0, top)
    .map(([name, c]) => `${name} ${c.toFixed(2)}`)
    .join(', ');
}
