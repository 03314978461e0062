import type { ScenarioReport } from '../scenarios/scenario.ts';
import { failed, type ClientSample } from './traffic.ts';
import { percentile } from './stats.ts';

/** One second of the background client: requests sent in it, failed, and latency percentiles in ms. */
export interface ClientSecond {
  t: number;
  n: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * What one experiment run leaves behind (Chaos Toolkit's journal): every time is in seconds since the
 * experiment began. It goes into the results file (`journal`) and the game-day report.
 */
export interface ExperimentJournal {
  name: string;
  title: string;
  claim: string;
  /** A link to the runbook (monitoring/RUNBOOKS.md#<alert> or a repository path). */
  runbook: string;
  file: string;
  profile: string;
  project: string;
  startedAt: string;
  probes: Array<{ phase: 'before' | 'during' | 'after'; at: number; probe: string; value: number; unit: string; tolerance: string | null; ok: boolean; detail: string }>;
  faults: Array<{ step: string; targets: string[]; detail: string; injectedAt: number; undoneAt: number | null }>;
  /** The fault window: first injection (or the scenario's first fault mark) → last undo (or the scenario's end). */
  faultWindow: { from: number; to: number } | null;
  expectedAlerts: Array<{ name: string; severity: string; deadlineSeconds: number; firedAfter: number | null; resolvedAfter: number | null; skipped?: string }>;
  alertsSeen: Array<{ name: string; receiver: string; status: string; at: number }>;
  /** Monitoring signals (PromQL) and when each first showed the fault, seconds after it. */
  signals: Array<{ name: string; query: string; seenAfter: number | null }>;
  /** When the steady state held again. */
  recoveredAt: number | null;
  client: ClientSecond[];
  /** The runbook's own account: steps, timeline, figures, rollbacks, failures (src/scenarios/scenario.ts). */
  report: ScenarioReport | null;
}

/** Per-second aggregates of the client's requests (the plot's series). */
export function clientSeconds(samples: readonly ClientSample[]): ClientSecond[] {
  const buckets = new Map<number, ClientSample[]>();
  for (const s of samples) {
    const second = Math.floor(s.t / 1000);
    buckets.set(second, [...(buckets.get(second) ?? []), s]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, list]) => {
      const ms = list.map((s) => s.ms);
      return { t, n: list.length, failed: list.filter(failed).length, p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99) };
    });
}
