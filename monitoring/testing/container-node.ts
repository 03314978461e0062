import { NODE_DISK } from '../../services/container-node/spec.ts';
import type { InstanceHandle } from '../../src/core/spec.ts';
import { targets } from '../../src/core/targets.ts';
import type { AlertScenario } from './scenario.ts';

/**
 * The plan's CPU, memory and disk alerts proven on the container node (services/container-node): the
 * load is injected into that cgroup, so the figures move because of it, whatever else the host runs.
 * Every load stops by itself after `maxSeconds` (and is stopped earlier by the scenario).
 */
const t = targets.alertRules;
const MAX_SECONDS = 90;
const mine = (node: InstanceHandle, extra: Record<string, string> = {}) => ({ instance: node.name, ...extra });
const disk = (node: InstanceHandle) => mine(node, { mountpoint: NODE_DISK.mountpoint });

export function cpuScenario(node: InstanceHandle): AlertScenario {
  return {
    fault: `busy loops past the container node's CPU quota (at most ${MAX_SECONDS} s)`,
    fires: ['CpuUsageHigh'],
    labels: { CpuUsageHigh: mine(node) },
    inject: async () => void (await node.sh(`burn-cpu ${MAX_SECONDS}`)),
    remove: async () => void (await node.sh('kill $(cat /tmp/burn.pids) 2>/dev/null; rm -f /tmp/burn.pids')),
  };
}

/** Memory held until the working set is `ratio` of the limit; the critical one must inhibit the high one. */
export function memoryScenario(node: InstanceHandle, level: 'high' | 'critical'): AlertScenario {
  const ratio = level === 'high' ? t.memoryHighRatio + 0.07 : t.memoryCriticalRatio + 0.04;
  return {
    fault: `memory held to ${Math.round(ratio * 100)} % of the container node's limit`,
    fires: [level === 'high' ? 'MemoryUsageHigh' : 'MemoryUsageCritical'],
    ...(level === 'critical' ? { inhibited: ['MemoryUsageHigh'] } : {}),
    labels: { MemoryUsageHigh: mine(node), MemoryUsageCritical: mine(node) },
    // In the background, output to a file: the exec returns once the memory is allocated.
    inject: async () => void (await node.sh(`hold-memory ${ratio} ${MAX_SECONDS} > /tmp/hold.log 2>&1 & for i in $(seq 50); do grep -q holding /tmp/hold.log && exit 0; sleep 0.1; done; cat /tmp/hold.log; exit 1`)),
    remove: async () => void (await node.sh('kill $(cat /tmp/hold.pid) 2>/dev/null; rm -f /tmp/hold.pid')),
  };
}

/** The node's tmpfs filled to `ratio`; the critical one must inhibit the high one of the same filesystem. */
export function diskScenario(node: InstanceHandle, level: 'high' | 'critical'): AlertScenario {
  const ratio = level === 'high' ? t.diskHighRatio + 0.06 : t.diskCriticalRatio + 0.03;
  // Whole MiB, rounded: 13 of 16 MiB (81 %) and 15 of 16 MiB (94 %), never the whole filesystem.
  const mib = Math.round(NODE_DISK.mib * ratio);
  return {
    fault: `the container node's ${NODE_DISK.mib} MiB ${NODE_DISK.mountpoint} filled to ${Math.round((mib / NODE_DISK.mib) * 100)} %`,
    fires: [level === 'high' ? 'DiskUsageHigh' : 'DiskUsageCritical'],
    ...(level === 'critical' ? { inhibited: ['DiskUsageHigh'] } : {}),
    labels: { DiskUsageHigh: disk(node), DiskUsageCritical: disk(node) },
    inject: async () => void (await node.sh(`dd if=/dev/zero of=${NODE_DISK.mountpoint}/fill bs=1M count=${mib} 2>&1`)),
    remove: async () => void (await node.sh(`rm -f ${NODE_DISK.mountpoint}/fill`)),
  };
}
