import type { Target } from './results/target.ts';

/**
 * The one source of truth for every SLO, target and alert threshold refstack proves.
 * Test assertions, generated alert rules and k6 thresholds all read from here; never repeat a number.
 * Values come from the plan (phase12-plan.md, "Performance Targets" and "Alert Rules").
 */
const le = (value: number): Target => ({ op: '<=', value });
const lt = (value: number): Target => ({ op: '<', value });
const eq = (value: number): Target => ({ op: '==', value });

export const targets = {
  plan: {
    availability: 0.9999,
    recoveryTimeSeconds: 3600,
    recoveryPointSeconds: 300,
    apiLatencyP95Ms: 200,
    apiThroughputRps: 10_000,
    dbLatencyP95Ms: 50,
    errorRate: 0.01,
  },
  smoke: {
    /** Generous: a cold start of the offline-built image on a 2-core machine. */
    postgresStartSeconds: le(60),
  },
  failover: {
    rtoSeconds: le(30),
    crashRtoSeconds: le(10),
    lostAcknowledgedWrites: eq(0),
  },
  switchover: {
    writePauseSeconds: le(5),
    lostAcknowledgedWrites: eq(0),
  },
  pitr: {
    rowMismatches: eq(0),
  },
  backup: {
    /** Tighter than the plan's 300 s RPO, which remains the outer bound. */
    rpoSeconds: le(60),
  },
  latency: {
    apiP95Ms: lt(200),
    dbP95Ms: lt(50),
    errorRate: le(0.01),
  },
  alerts: {
    fireSeconds: le(15),
  },
} as const;
