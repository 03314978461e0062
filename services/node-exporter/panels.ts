import { RATE_INTERVAL as RI, type DashboardPanel } from '../../src/core/monitoring.ts';
import { targets } from '../../src/core/targets.ts';

const t = targets.alertRules;

export const systemPanels: DashboardPanel[] = [
  {
    dashboard: 'system',
    row: 'CPU, memory, disk',
    title: 'CPU usage',
    description: 'Share of time the CPUs are not idle, averaged over the CPUs of each node.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [{ expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${RI}]))`, legend: '{{instance}}' }],
    thresholds: [t.cpuHighRatio],
    width: 8,
  },
  {
    dashboard: 'system',
    row: 'CPU, memory, disk',
    title: 'Memory usage',
    description: '1 − MemAvailable / MemTotal.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [{ expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{instance}}' }],
    thresholds: [t.memoryHighRatio, t.memoryCriticalRatio],
    width: 8,
  },
  {
    dashboard: 'system',
    row: 'CPU, memory, disk',
    title: 'Disk usage',
    description: 'Used share of each writable filesystem.',
    kind: 'timeseries',
    unit: 'percentunit',
    queries: [
      {
        expr: '1 - node_filesystem_avail_bytes{fstype!~"ramfs|squashfs|iso9660"} / node_filesystem_size_bytes',
        legend: '{{instance}} {{mountpoint}}',
      },
    ],
    thresholds: [t.diskHighRatio, t.diskCriticalRatio],
    width: 8,
  },
  {
    dashboard: 'system',
    row: 'Network and containers',
    title: 'Network I/O',
    description: 'Bytes received and sent per second, all interfaces but loopback.',
    kind: 'timeseries',
    unit: 'Bps',
    queries: [
      { expr: `sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[${RI}]))`, legend: 'rx {{instance}}' },
      { expr: `sum by (instance) (rate(node_network_transmit_bytes_total{device!="lo"}[${RI}]))`, legend: 'tx {{instance}}' },
    ],
  },
];
