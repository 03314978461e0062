import { tcpProbe, type ServiceSpec } from '../../src/core/spec.ts';
import { system } from './alerts.ts';
import { systemPanels } from './panels.ts';

const PORT = 9100;

/**
 * node_exporter in a container: the host's view. CPU, memory and network are the machine's (/proc is
 * not namespaced for those); its root filesystem is the host's disk behind the overlay. Its alerts tell
 * the truth about the machine, including what other work on it causes; the live suite reports them
 * and proves the same rules on container-node instead.
 */
export const nodeExporter: ServiceSpec = {
  name: 'node-exporter',
  summary: 'node_exporter: CPU, memory, disk and network of the machine the stack runs on (System Overview)',
  image: { build: 'node-exporter' },
  replicas: 1,
  dependsOn: [],
  ports: [{ name: 'metrics', container: PORT }],
  health: { command: tcpProbe(PORT) },
  scrape: [{ job: 'node', port: 'metrics', down: { severity: 'low', blind: "the machine's CPU, memory, disk and network" } }],
  alerts: [system],
  panels: systemPanels,
};
