import { totalmem } from 'node:os';
import { docker } from '../../core/docker/engine.ts';
import type { StackInstance } from '../docker/instance.ts';
import { num, onEach, rootSh, str, type FaultVerb } from './verb.ts';

const PIDS = '/tmp/refstack-chaos-cpu.pids';

/** Busy loops inside the container, each under timeout(1): they end by themselves at the bound. */
export const cpuHog: FaultVerb = {
  verb: 'cpu-hog',
  undo: 'kill the busy loops (they also end by themselves: timeout(1) at the hold time)',
  maxSeconds: 120,
  params: { workers: { kind: 'number', summary: 'busy loops (one keeps one core busy)', default: 2, min: 1, max: 4 } },
  inject: (_stack, targets, params, holdSeconds) =>
    onEach(targets, async (t) => {
      const n = num(params, 'workers');
      await rootSh(t, `rm -f ${PIDS}; for i in $(seq ${n}); do timeout ${Math.ceil(holdSeconds) + 5} sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $! >> ${PIDS}; done`);
      return { detail: `${n} busy loops in ${t.name}`, undo: () => rootSh(t, `[ -f ${PIDS} ] && kill $(cat ${PIDS}) 2>/dev/null; rm -f ${PIDS}; true`).then(() => undefined) };
    }),
};

const HOG_PID = '/tmp/refstack-chaos-memory.pid';
const HOG_STATUS = '/tmp/refstack-chaos-memory.status';
const MIB = 2 ** 20;

/**
 * Memory pressure to an OOM kill inside the container's limits: a memory limit of the container's
 * current usage + `headroom` MiB is set for the experiment, then a hog (tail buffering /dev/zero, which
 * has no line end) grows past it. The kernel's OOM killer takes the largest process of the cgroup: the
 * hog, not the service. The engine cannot take a memory limit off a running container, so the undo
 * raises it to the machine's memory (no limit in effect).
 */
export const memoryHog: FaultVerb = {
  verb: 'memory-hog',
  undo: "kill the hog if alive, raise the container's memory limit to the machine's memory",
  maxSeconds: 120,
  figures: ['oom_kills'],
  params: { headroom: { kind: 'number', unit: 'MiB', summary: 'limit = current usage + headroom; the hog grows past it', default: 256, min: 32, max: 2048 } },
  inject: (_stack, targets, params, holdSeconds) =>
    onEach(targets, async (t) => {
      const container = docker().getContainer(t.container);
      const stats = (await container.stats({ stream: false })) as { memory_stats: { usage?: number; stats?: { cache?: number } } };
      const used = (stats.memory_stats.usage ?? 0) - (stats.memory_stats.stats?.cache ?? 0);
      const limit = Math.ceil(used / MIB + num(params, 'headroom')) * MIB;
      await container.update({ Memory: limit, MemorySwap: limit });
      const cap = Math.round(limit / MIB) * 2;
      await rootSh(
        t,
        `rm -f ${HOG_STATUS}; (timeout ${Math.ceil(holdSeconds) + 5} sh -c 'head -c ${cap}m /dev/zero | tail' ; echo $? > ${HOG_STATUS}) >/dev/null 2>&1 & echo $! > ${HOG_PID}`,
      );
      return {
        detail: `${t.name} limited to ${Math.round(limit / MIB)} MiB (using ${Math.round(used / MIB)} MiB); a hog grows towards ${cap} MiB`,
        async undo() {
          await rootSh(t, `pkill -P $(cat ${HOG_PID} 2>/dev/null) 2>/dev/null; true`).catch(() => undefined);
          // cgroup v1 refuses a memory limit above the memory+swap limit (EINVAL): the latter goes up first.
          await container.update({ Memory: limit, MemorySwap: 2 * totalmem() });
          await container.update({ Memory: totalmem(), MemorySwap: 2 * totalmem() });
        },
        async figures() {
          const status = (await rootSh(t, `cat ${HOG_STATUS} 2>/dev/null || echo running`)).trim();
          const oomKills = await oomKillCount(t);
          return [
            { name: 'oom_kills', value: oomKills, unit: 'kills', note: `kernel OOM kills in ${t.name}'s memory cgroup (memory.oom_control); the hog's pipeline exited ${status}` },
          ];
        },
      };
    }),
};

/** The cgroup's OOM kill counter (cgroup v1 memory.oom_control, v2 memory.events). */
async function oomKillCount(t: StackInstance): Promise<number> {
  const text = await rootSh(t, 'cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null || cat /sys/fs/cgroup/memory.events 2>/dev/null || true');
  const match = /oom_kill (\d+)/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

const FILL = '.refstack-chaos-fill';

/**
 * Disk full on a volume: fallocate a file that takes every free block of the volume's filesystem (less
 * `leave` KiB). Only a filesystem no larger than `max` MiB is filled, so the host's own disk never is:
 * stacks give the volume a size for this (e.g. `--set postgres.data-mib=384`).
 */
export const diskFill: FaultVerb = {
  verb: 'disk-fill',
  undo: 'remove the fill file',
  maxSeconds: 300,
  params: {
    volume: { kind: 'string', summary: "the name of one of the service's volumes (spec.volumes)" },
    leave: { kind: 'number', unit: 'KiB', summary: 'free space left on the filesystem', default: 0, min: 0 },
    max: { kind: 'number', unit: 'MiB', summary: 'refuse to fill a filesystem with more free space than this', default: 2048, min: 1, max: 8192 },
  },
  inject: (_stack, targets, params) =>
    onEach(targets, async (t) => {
      const volume = t.spec.volumes?.find((v) => v.name === str(params, 'volume'));
      if (!volume) throw new Error(`${t.name} has no volume "${str(params, 'volume')}" (volumes: ${t.spec.volumes?.map((v) => v.name).join(', ') || 'none'})`);
      const availKiB = Number((await rootSh(t, `df -Pk ${volume.target} | awk 'NR==2 {print $4}'`)).trim());
      if (!(availKiB <= num(params, 'max') * 1024)) {
        throw new Error(`${t.name}:${volume.target} has ${Math.round(availKiB / 1024)} MiB free, more than the bound of ${num(params, 'max')} MiB: give the volume a size (a stack option such as postgres.data-mib) so that filling it cannot fill the host's disk`);
      }
      const size = Math.max(0, availKiB - num(params, 'leave'));
      const file = `${volume.target}/${FILL}`;
      await rootSh(t, `fallocate -l ${size}K ${file} 2>/dev/null || dd if=/dev/zero of=${file} bs=1M count=${Math.ceil(size / 1024)} 2>/dev/null; sync; true`, 120_000);
      const after = (await rootSh(t, `df -Pk ${volume.target} | awk 'NR==2 {print $4}'`)).trim();
      return {
        detail: `${file} takes ${Math.round(size / 1024)} MiB; ${after} KiB left on ${t.name}:${volume.target}`,
        undo: () => rootSh(t, `rm -f ${file}`).then(() => undefined),
      };
    }),
};
