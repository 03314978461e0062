import { targets } from '../../src/core/targets.ts';
import { counter, gauge, num, series } from '../../monitoring/lib/promql.ts';
import type { AlertDefinition, Component, MonitoringTiming, PromtoolCase, RecordingRule, Severity } from '../../src/core/monitoring.ts';

const t = targets.alertRules;
const MINUTES = 30;
const NODE = { instance: 'node-exporter', job: 'node' };
const FS = { ...NODE, device: '/dev/vda', fstype: 'ext4', mountpoint: '/' };

export const systemRecord = {
  memory: 'instance:node_memory_usage:ratio',
  disk: 'instance_mountpoint:node_filesystem_usage:ratio',
  cpu: (w: string) => `instance:node_cpu_usage:ratio_rate${w}`,
};

function recordingRules(p: MonitoringTiming): RecordingRule[] {
  return [
    { record: systemRecord.memory, expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes' },
    {
      record: systemRecord.disk,
      // Read-only filesystems (images, squashfs) are always "full" and never the problem.
      expr: '(1 - node_filesystem_avail_bytes{fstype!~"ramfs|squashfs|iso9660"} / node_filesystem_size_bytes) unless node_filesystem_readonly == 1',
    },
    { record: systemRecord.cpu(p.rateWindow), expr: `1 - avg by (instance, job) (rate(node_cpu_seconds_total{mode="idle"}[${p.rateWindow}]))` },
  ];
}

const TOTAL_BYTES = 1_000_000;

function memory(name: string, usedShare: number): PromtoolCase {
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('node_memory_MemTotal_bytes', NODE), values: gauge(TOTAL_BYTES, MINUTES) },
      { series: series('node_memory_MemAvailable_bytes', NODE), values: gauge(Math.round(TOTAL_BYTES * (1 - usedShare)), MINUTES) },
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: NODE,
  };
}

function disk(name: string, usedShare: number): PromtoolCase {
  return {
    name,
    interval: '1m',
    inputSeries: [
      { series: series('node_filesystem_size_bytes', FS), values: gauge(TOTAL_BYTES, MINUTES) },
      { series: series('node_filesystem_avail_bytes', FS), values: gauge(Math.round(TOTAL_BYTES * (1 - usedShare)), MINUTES) },
      { series: series('node_filesystem_readonly', FS), values: gauge(0, MINUTES) },
    ],
    evalTime: `${MINUTES}m`,
    expectLabels: FS,
  };
}

/** Two CPUs whose idle counters grow by (1 - busyShare) CPU-seconds per second. */
function cpu(name: string, busyShare: number): PromtoolCase {
  const idlePerMinute = Math.round(60 * (1 - busyShare) * 1000) / 1000;
  return {
    name,
    interval: '1m',
    inputSeries: ['0', '1'].map((c) => ({
      series: series('node_cpu_seconds_total', { ...NODE, cpu: c, mode: 'idle' }),
      values: counter(idlePerMinute, MINUTES),
    })),
    evalTime: `${MINUTES}m`,
    expectLabels: NODE,
  };
}

const usageAlert = (
  alert: string,
  severity: Severity,
  family: 'memory' | 'disk',
  threshold: number,
): AlertDefinition => {
  const make = family === 'memory' ? memory : disk;
  const what = family === 'memory' ? 'Memory' : 'Disk';
  return {
    rule: (p) => ({
      alert,
      severity,
      family,
      expr: `${family === 'memory' ? systemRecord.memory : systemRecord.disk} > ${num(threshold)}`,
      for: p.forBySeverity[severity],
      summary: `${what} usage above ${num(threshold * 100)}%`,
      description:
        family === 'memory'
          ? `{{ $labels.instance }} has used more than ${num(threshold * 100)}% of its memory (MemAvailable / MemTotal).`
          : `{{ $labels.mountpoint }} on {{ $labels.instance }} is more than ${num(threshold * 100)}% full.`,
    }),
    tests: () => ({
      fires: make(`${alert} fires at ${num(Math.min(0.99, threshold + 0.05) * 100)}% used`, Math.min(0.99, threshold + 0.05)),
      boundary: { ...make(`${alert} stays quiet at exactly ${num(threshold * 100)}% used`, threshold), expectLabels: null },
    }),
  };
};

const cpuUsage: AlertDefinition = {
  rule: (p) => ({
    alert: 'CpuUsageHigh',
    severity: 'low',
    family: 'cpu',
    expr: `${systemRecord.cpu(p.rateWindow)} > ${num(t.cpuHighRatio)}`,
    for: p.forBySeverity.low,
    summary: `CPU usage above ${num(t.cpuHighRatio * 100)}%`,
    description: `{{ $labels.instance }} has been busy more than ${num(t.cpuHighRatio * 100)}% of the time over the last ${p.rateWindow}, averaged over its CPUs.`,
  }),
  tests: () => ({
    fires: cpu(`CpuUsageHigh fires at ${num(Math.min(1, t.cpuHighRatio + 0.1) * 100)}% busy`, Math.min(1, t.cpuHighRatio + 0.1)),
    boundary: { ...cpu(`CpuUsageHigh stays quiet at exactly ${num(t.cpuHighRatio * 100)}% busy`, t.cpuHighRatio), expectLabels: null },
  }),
};

export const system: Component = {
  name: 'system',
  recordingRules,
  alerts: [
    usageAlert('MemoryUsageCritical', 'high', 'memory', t.memoryCriticalRatio),
    usageAlert('MemoryUsageHigh', 'low', 'memory', t.memoryHighRatio),
    usageAlert('DiskUsageCritical', 'high', 'disk', t.diskCriticalRatio),
    usageAlert('DiskUsageHigh', 'low', 'disk', t.diskHighRatio),
    cpuUsage,
  ],
};
