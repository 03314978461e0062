import type { ServiceSpec } from '../../src/core/spec.ts';

const PORT = 9100;
/** The node's own disk: a small tmpfs, so filling it is fast, bounded and touches nothing else. */
export const NODE_DISK = { mountpoint: '/data', mib: 16 } as const;
/** The node's size: a CPU quota (CPUs) and a memory limit (MiB). Small, so the suite's load owns it even on a busy host. */
export const NODE_SIZE = { cpus: 0.25, memoryMiB: 256 } as const;

/**
 * A node the size of a container (services/container-node/exporter.py): its CPU quota, memory limit and
 * own tmpfs are reported under node_exporter's series names, so the plan's CPU, memory and disk alerts
 * read it like a machine. Whatever else the host runs or holds, its figures move only with what runs in
 * it: the live alert suite proves those alerts with load it injects here.
 */
export const containerNode: ServiceSpec = {
  name: 'container-node',
  summary: `a ${NODE_SIZE.cpus}-CPU, ${NODE_SIZE.memoryMiB} MiB node (a cgroup) exporting node_exporter's CPU, memory and disk series for itself`,
  image: { build: 'container-node' },
  replicas: 1,
  dependsOn: [],
  command: () => ['--port', String(PORT), '--filesystem', NODE_DISK.mountpoint],
  ports: [{ name: 'metrics', container: PORT }],
  // The image has no curl: Python fetches the metrics page once.
  health: { command: `python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/metrics', timeout=3)"` },
  resources: NODE_SIZE,
  tmpfs: { [NODE_DISK.mountpoint]: `rw,size=${NODE_DISK.mib}m` },
  scrape: [{ job: 'container-node', port: 'metrics', down: { severity: 'low', blind: "the container node's CPU, memory and disk: its alerts cannot fire" } }],
  faults: [
    { verb: 'burn-cpu', summary: 'busy loops past its CPU quota for a bounded time (`burn-cpu SECONDS`)' },
    { verb: 'hold-memory', summary: 'hold memory up to a share of its limit for a bounded time (`hold-memory RATIO SECONDS`)' },
    { verb: 'fill-disk', summary: `fill its ${NODE_DISK.mib} MiB tmpfs at ${NODE_DISK.mountpoint} (dd)` },
  ],
};
