import type { Severity } from '../core/profiles.ts';
import type { Tolerance } from './tolerance.ts';

/** Which instances a fault is aimed at: a service, optionally by its role at injection time, an instance name, or a count. */
export interface TargetSelector {
  service: string;
  /** postgres: primary, sync-standby, replica (asynchronous); redis: master, replica. Resolved when the fault is injected. */
  role?: string;
  instance?: string;
  /** How many of the matching instances (default: 1; `all` in the file for every one). */
  count?: number | 'all';
}

export interface FaultStep {
  kind: 'fault';
  fault: string;
  targets: TargetSelector[];
  params: Record<string, number | string>;
  /** Seconds the fault is held at least; held longer (up to the verb's bound) while an expected alert has not fired yet. */
  duration: number;
}

/** A scenario runbook of src/scenarios as the method, for measurements that need their own code (numbered writer, split-brain watcher). */
export interface ScenarioStep {
  kind: 'scenario';
  scenario: string;
}

export type MethodStep = FaultStep | ScenarioStep;

export interface ProbeCheck {
  probe: string;
  tolerance?: Tolerance;
}

/** A PromQL condition on the stack's Prometheus that must hold within the high-severity detection promise of the fault. */
export interface Signal {
  name: string;
  query: string;
}

export interface AlertExpectation {
  name: string;
  /** From the alert rule itself: it decides the detection deadline (promises(profile).alertDetectionSeconds). */
  severity: Severity;
  /** The resolved notification must arrive too, within the same deadline after the fault is undone. */
  resolve: boolean;
  /**
   * Where the detection clock starts: at the injection (`fault`), or at the first request of the background
   * client that failed after it (`first-failure`), for a fault that harms users only once a later event
   * happens (a full disk fails writes at the next WAL segment; a lost quorum demotes at the lease's end).
   */
  from: DetectionClock;
}

export const DETECTION_CLOCKS = ['fault', 'first-failure'] as const;
export type DetectionClock = (typeof DETECTION_CLOCKS)[number];

/** One experiment, as validated from chaos/experiments/<name>.yaml (Chaos Toolkit's hypothesis, method, rollbacks). */
export interface Experiment {
  name: string;
  file: string;
  title: string;
  claim: string;
  /** An alert name (its runbook in monitoring/RUNBOOKS.md) or a repository path. */
  runbook: string;
  /** Services the stack must run. */
  services: string[];
  /** Stack options the experiment needs, key → value (a route must be among toxiproxy.routes). */
  options: Record<string, string>;
  steadyState: ProbeCheck[];
  /** Probes read at the end of each fault's hold, before its undo: what must (or must not) happen while it is in place. */
  during: ProbeCheck[];
  method: MethodStep[];
  /** Monitoring data that must show the fault (a PromQL condition), for faults no alert rule covers yet. */
  signals: Signal[];
  alerts: AlertExpectation[];
  /** Tolerances of figures: the engine's (client_*, recovery_seconds…) or the scenario's own. */
  figures: Record<string, Tolerance>;
  /** Seconds the steady state may take to hold again after the method. */
  recoverySeconds: number;
  /**
   * Seconds the steady state may take to hold before the method (no fault on an unhealthy system): an
   * environment just started on a small machine is still warming up (JIT, a log backlog being indexed).
   */
  settleSeconds: number;
  /** Named rollbacks that always run (after the faults' own undo). */
  rollbacks: string[];
  /** Offered by `refstack drill` too. */
  drill: boolean;
  /** Among the few `npm test` runs on every change (the full set is the nightly run). */
  everyRun: boolean;
}

/** The figures the engine measures for every experiment, whatever its method. */
export const ENGINE_FIGURES: Readonly<Record<string, string>> = {
  client_requests: 'requests the background client sent during the experiment',
  client_failed_reads: 'GET requests through nginx that failed (status 0 or 5xx)',
  client_failed_writes: 'POST /v1/orders that failed (status 0 or 5xx)',
  client_server_errors: 'answers a client must never get for a dependency fault: a 5xx other than 503, or no answer within the request budget + 1 s',
  client_write_recovery_seconds: 'last undo → the first accepted write after the last failed one (0 when no write failed; methods of faults only: a scenario measures its own)',
  client_error_rate: 'failed / all requests, fault window',
  client_p95_ms: 'p95 client latency during the fault window',
  client_p99_ms: 'p99 client latency during the fault window',
  fault_seconds: 'first injection → last undo',
  recovery_seconds: 'last undo → the steady state holds again',
};
