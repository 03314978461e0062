import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { system } from './alerts.ts';
import { systemPanels } from './panels.ts';

const PORT = 9100;
/** A small tmpfs the disk alerts are proven on: filling it is fast, bounded and harmless. */
export const SMALL_FS_MOUNTPOINT = '/data/small';
export const SMALL_FS_MIB = 16;

/**
 * node_exporter in a container: CPU, memory and network are the host's (/proc is not namespaced for
 * those); filesystems are the container's own, including a small tmpfs for the disk alerts.
 */
export const nodeExporter: ServiceSpec = {
  name: 'node-exporter',
  summary: 'node_exporter: CPU, memory, disk and network of the machine (System Overview)',
  image: { build: 'node-exporter' },
  replicas: 1,
  dependsOn: [],
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  tmpfs: { [SMALL_FS_MOUNTPOINT]: `rw,size=${SMALL_FS_MIB}m` },
  scrape: [{ job: 'node', port: 'metrics' }],
  faults: [
    { verb: 'cpu-hog', summary: 'two busy loops (one per core) for a bounded time' },
    { verb: 'fill-disk', summary: `fill the ${SMALL_FS_MIB} MiB tmpfs at ${SMALL_FS_MOUNTPOINT} to a given share` },
  ],
  alerts: [system],
  panels: systemPanels,
};
