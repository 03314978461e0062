import { thresholds } from '../../sample-app/src/shared/thresholds.ts';
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
  /** The log tier (issue 16): json-file → log shipper → search tier. */
  logs: {
    /** A request's log line written → searchable by its request id. */
    searchVisibleSeconds: le(10),
    lostLines: eq(0),
    duplicatedLines: eq(0),
    apiFailedWhileSearchDown: eq(0),
    retentionDeletedExpiredIndex: eq(1),
  },
  /** Distributed tracing (issue 16): one order's trace across every hop. */
  tracing: {
    missingHops: eq(0),
    /** The slow dependency's span covers most of the injected delay (ms below it). */
    slowSpanShortfallMs: le(300),
  },
  /**
   * Recovery times are not here: each timing profile promises its own, derived from its timings
   * (src/core/profiles.ts `promises`), and the plan bounds them all (`plan.recoveryTimeSeconds`).
   */
  failover: {
    lostAcknowledgedWrites: eq(0),
  },
  pitr: {
    rowMismatches: eq(0),
  },
  /** Postgres HA invariants (issue 3); timings of the cluster itself live in src/core/profiles.ts. */
  postgresHa: {
    /** Polls at which two members answered as primary at once. */
    splitBrainObservations: eq(0),
    /** Tables whose content checksum differs after a pg_dump / pg_restore round trip. */
    logicalChecksumMismatches: eq(0),
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
  /** `refstack up` and its drills (issue 6): what the API's clients see while a drill breaks a backend. */
  environment: {
    /** API reads (through nginx, served by the replicas) that failed while a drill moved the Postgres primary. */
    drillFailedReads: eq(0),
    /** Orders accepted while the worker was stopped that were not processed once it was back. */
    unprocessedOrders: eq(0),
    /** Messages the broker confirmed to a publisher that no consumer ever received (a RabbitMQ node lost). */
    lostConfirmedMessages: eq(0),
  },
  /** load/ k6 scripts (issue 7); their latency and error thresholds are `latency` above. */
  load: {
    /** Smoke: every response check passes. */
    smokeChecksPassRate: eq(1),
  },
  /**
   * monitoring (issue 5): the plan's alert table. monitoring/ generates the Prometheus rules, their
   * promtool tests and the dashboards' threshold lines from these; the SLO figures come from `plan`
   * and the slow-query bound from `sampleApp.slowQuerySeconds`.
   */
  alertRules: {
    /** High "API down": share of responses that are 5xx. (Medium "error rate" is plan.errorRate.) */
    api5xxRatio: 0.05,
    /** Quantile the latency alerts watch, and its high / low bounds in seconds. */
    apiLatencyQuantile: 0.95,
    apiLatencyCriticalSeconds: 5,
    apiLatencyHighSeconds: 1,
    memoryCriticalRatio: 0.9,
    memoryHighRatio: 0.75,
    diskCriticalRatio: 0.9,
    diskHighRatio: 0.75,
    cpuHighRatio: 0.8,
    cacheMissRatio: 0.5,
    queueDepth: 1000,
    /** Replica replay behind the primary (not in the plan's table; kept well inside the 60 s backup RPO). */
    replicationLagSeconds: 5,
    /** BackupTooOld: a repository's newest good backup older than this (production backs up hourly: three missed rounds). */
    backupMaxAgeSeconds: 3 * 3_600,
    /** WalArchiveFailing also fires when a finished WAL segment has waited this long (an archive_command that hangs fails nothing). */
    walArchivePendingSeconds: 30,
    /** SRE workbook multi-window burn rates: page (high) at 14.4× and 6×, ticket (medium) at 1×. */
    burnRates: [
      { severity: 'high', factor: 14.4, longWindowSeconds: 3_600, shortWindowSeconds: 300 },
      { severity: 'high', factor: 6, longWindowSeconds: 21_600, shortWindowSeconds: 1_800 },
      { severity: 'medium', factor: 1, longWindowSeconds: 259_200, shortWindowSeconds: 21_600 },
    ],
  },
  /** sample-app (issue 4): the app's own thresholds (sample-app/src/shared/thresholds.ts) and the figures its suites assert. */
  sampleApp: {
    ...thresholds,
    /** Suites: malformed requests answered with a 5xx; in-flight requests failed by SIGTERM; reads failed while Redis is down. */
    malformed5xx: eq(0),
    sigtermFailedRequests: eq(0),
    redisDownFailedReads: eq(0),
    /** Worker: a poison message reaches the DLQ within this many seconds of being published. */
    poisonToDlqSeconds: le(30),
  },
} as const;
